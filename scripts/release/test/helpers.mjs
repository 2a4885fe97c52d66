// Shared by the release tests: where the artifacts are, a free port, starting an agent and
// waiting for its /health, fetching a page.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OUT, ROOT, binaryDir, gitRevision, releaseVersion } from '../release.mjs';
import { freePort } from '../measure.mjs';

export { OUT, ROOT, binaryDir, freePort, gitRevision, releaseVersion };

export const VERSION = releaseVersion();

/** The artifacts `pnpm release` made; the tests run after it (pnpm test:release builds them first). */
export function artifact(name) {
  const file = join(OUT, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: run pnpm release first (pnpm test:release does)`);
  return file;
}

/** A new empty directory under the system temp dir, checked to have no node_modules in it or above it. */
export function emptyDir(prefix) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) throw new Error(`${d}/node_modules exists above the test directory ${dir}`);
    if (dirname(d) === d) break;
  }
  return dir;
}

export async function get(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
}

/**
 * Starts `cmd args… --web.listen-address 127.0.0.1:<free port>` and resolves once /health
 * answers 200, with the port, the stderr so far and a stop() that ends it (SIGTERM) and resolves
 * with its exit code.
 */
export async function startAgent(cmd, args = [], opts = {}) {
  const port = await freePort();
  const child = spawn(cmd, [...args, '--web.listen-address', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let exit;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exit = { code, signal }))));
  const t0 = Date.now();
  for (;;) {
    if (exit) throw new Error(`${cmd} exited (${exit.code ?? exit.signal}) before answering /health:\n${log}`);
    if (Date.now() - t0 > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} did not answer /health within 30 s:\n${log}`);
    }
    try {
      if ((await get(port, '/health')).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    pid: child.pid,
    log: () => log,
    async stop() {
      if (!exit) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** What a notice says when a part of the agent itself failed (not the host). */
export const PACKAGING_BROKE = /Cannot find module|is not defined|is not a function|worker thread failed|could not start|ERR_MODULE|ERR_DLOPEN|internal error/i;

/** The checks every installed form passes: /metrics has the build info of this release and the socket families, /health says ok. */
export async function scrapeChecks(assert, port) {
  const metrics = await get(port, '/metrics');
  assert.equal(metrics.status, 200);
  const info = /^sockscope_build_info\{([^}]*)\} 1$/m.exec(metrics.text);
  assert.ok(info, 'sockscope_build_info is served');
  assert.match(info[1], new RegExp(`version="${VERSION.replace(/\./g, '\\.')}"`));
  assert.match(info[1], /revision="[0-9a-f]{7,}(-dirty)?"/, 'a git revision, not "unknown"');
  assert.match(metrics.text, /^sockscope_sockets\{/m);
  assert.match(metrics.text, /^node_network_receive_bytes_total\{device="lo"\}/m);
  const health = await get(port, '/health');
  assert.equal(health.status, 200);
  const body = JSON.parse(health.text);
  assert.equal(body.status, 'ok');
  assert.equal(body.version, VERSION);
  assert.ok(body.collectors.some((c) => c.name === 'linux-netlink' && c.success), 'the netlink collector (koffi) ran');
  // run as root (or with the unit's capabilities) no part of the agent may be off for a reason of
  // its own: such a notice is something the packaging broke (the destroy-event worker once could
  // not find koffi, the fd-scan worker's source once called a helper the bundle did not give it).
  // Notices about the host (a container runtime's state missing) depend on the machine and pass.
  assert.deepEqual((body.notices ?? []).filter((n) => PACKAGING_BROKE.test(n)), [], JSON.stringify(body.notices));
  return { metrics: metrics.text, health: body };
}
