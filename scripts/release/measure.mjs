// Cold start to the first answered /health and on-disk size of an executable: used by
// `pnpm release --measure` to write the numbers deploy/README.md and the README quote.
//   node scripts/release/measure.mjs [--runs N] [--path /health] -- COMMAND [ARGS…]
// The command is started with --web.listen-address on a free loopback port appended (pass
// --listen-flag NAME for another flag spelling); the clock runs from spawn to the first 200.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'node:http';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function get(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 500 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Milliseconds from spawn to the first 200 on `path`; the process is killed after. */
export async function coldStart(cmd, args, { path = '/health', listenFlag = '--web.listen-address', timeoutMs = 20_000, cwd, env } = {}) {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, [...args, listenFlag, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'], cwd, env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = null;
  child.on('exit', (code, sig) => (exited = { code, sig }));
  try {
    for (;;) {
      if (exited) throw new Error(`${cmd} exited (${exited.code ?? exited.sig}) before answering ${path}: ${stderr.slice(-2000)}`);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (ms > timeoutMs) throw new Error(`${cmd} did not answer ${path} within ${timeoutMs} ms: ${stderr.slice(-2000)}`);
      if ((await get(port, path)) === 200) return Number(process.hrtime.bigint() - t0) / 1e6;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    if (!exited) {
      child.kill('SIGTERM');
      await new Promise((r) => (exited ? r() : child.once('exit', r)));
    }
  }
}

/** The median of `runs` cold starts (after one warm-up run that fills the page cache). */
export async function medianColdStart(cmd, args, opts = {}) {
  const runs = opts.runs ?? 5;
  await coldStart(cmd, args, opts);
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await coldStart(cmd, args, opts));
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], runs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const opts = {};
  while (argv.length && argv[0] !== '--') {
    const flag = argv.shift();
    if (flag === '--runs') opts.runs = Number(argv.shift());
    else if (flag === '--path') opts.path = argv.shift();
    else if (flag === '--listen-flag') opts.listenFlag = argv.shift();
    else throw new Error(`unknown flag ${flag}`);
  }
  argv.shift();
  const [cmd, ...args] = argv;
  const r = await medianColdStart(cmd, args, opts);
  console.log(JSON.stringify({ cmd: [cmd, ...args].join(' '), ...r }));
}
