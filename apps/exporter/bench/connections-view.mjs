// What the live connections view (issue 17) adds to a default /metrics scrape: two CLIs on the
// default config side by side, one with --web.enable-connections, scraped alternately at N
// connections (min_interval 0s: every scrape collects) — first while nobody read the view (the
// fold stays out of the collections), then after /api/v1/connections was read (the fold joins
// every collection for the agent's idle window). Medians of wall time and of the agent's CPU
// time per scrape, peak RSS; then the aggregated and detailed answers. Needs root (private netns).
//
//   node apps/exporter/bench/connections-view.mjs [--connections 10000] [--runs 9]   (after pnpm build)
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryOf, scrape, startSockscope, writeCheckedConfig } from './lib/agents.mjs';
import { installCleanup, runMain } from './lib/children.mjs';
import { defaultConfig } from './lib/configs.mjs';
import { BenchError } from './lib/flags.mjs';
import { createHolderPool } from './lib/holders.mjs';
import { median, progress } from './lib/measure.mjs';
import { insideNamespace, prepareNamespace, reexecInNamespace } from './lib/netns.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'dist', 'cli.js');

/** CPU time (user + system, all threads) of a process so far, ms. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** GET of an answer of the connections API: wall ms, bytes, rows. */
function answer(url) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    request(url, { headers: { 'accept-encoding': 'identity' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new BenchError(`GET ${url}: ${res.statusCode} ${body.toString('utf8', 0, 300)}`));
        const json = JSON.parse(body.toString('utf8'));
        resolve({ ms: performance.now() - start, bytes: body.length, rows: json.rows?.length ?? 0, sockets: json.counts.sockets });
      });
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function main(argv) {
  const arg = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const n = arg('connections', 10_000);
  const runs = arg('runs', 9);
  if (!insideNamespace()) return reexecInNamespace(fileURLToPath(import.meta.url), argv);
  installCleanup();
  prepareNamespace();
  const tmp = mkdtempSync(join(tmpdir(), 'sockscope-bench-view-'));
  const pool = createHolderPool();
  try {
    progress(`opening ${n} connections`);
    await pool.grow(n);
    const config = await writeCheckedConfig(CLI, tmp, 'default', defaultConfig());
    const off = await startSockscope('view off', CLI, config, 9301);
    const on = await startSockscope('view on', CLI, config, 9302, { args: ['--web.enable-connections'] });
    const agents = { off, on };
    const base = on.url.replace(/\/metrics$/, '');
    const phase = async (label) => {
      const times = { off: [], on: [] };
      const cpu = { off: [], on: [] };
      for (let i = 0; i < 2; i++) for (const a of Object.values(agents)) await scrape(a.url);
      for (let i = 0; i < runs; i++) {
        // alternate which goes first
        const order = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        for (const name of order) {
          const a = agents[name];
          const before = cpuMs(a.pid);
          const s = await scrape(a.url);
          cpu[name].push(cpuMs(a.pid) - before);
          times[name].push(s.ms);
        }
        progress(`${label}: run ${i + 1}/${runs}`);
      }
      return { times, cpu, mem: { off: memoryOf(off.pid), on: memoryOf(on.pid) } };
    };
    const idle = await phase('view not read');
    await answer(`${base}/api/v1/connections?view=aggregated`);
    const active = await phase('view read');
    const aggregated = [];
    const detailed = [];
    for (let i = 0; i < 3; i++) {
      aggregated.push(await answer(`${base}/api/v1/connections?view=aggregated`));
      detailed.push(await answer(`${base}/api/v1/connections?limit=100000`));
    }
    const memAfter = memoryOf(on.pid);
    const m = (list) => Math.round(median(list) * 10) / 10;
    const added = (a, b) => `${((median(b) / median(a) - 1) * 100).toFixed(1)} %`;
    const report = ({ times, cpu, mem }) => ({
      scrape_ms: { off: m(times.off), on: m(times.on), added: added(times.off, times.on) },
      scrape_cpu_ms: { off: m(cpu.off), on: m(cpu.on), added: added(cpu.off, cpu.on) },
      peak_rss_mb: { off: Math.round(mem.off.peakMb), on: Math.round(mem.on.peakMb) },
    });
    const result = {
      connections: n,
      sockets: detailed[0].sockets,
      runs,
      view_not_read: report(idle),
      view_read: report(active),
      aggregated_answer: { ms: m(aggregated.map((a) => a.ms)), bytes: aggregated[0].bytes, rows: aggregated[0].rows },
      detailed_answer: { ms: m(detailed.map((a) => a.ms)), bytes: detailed[0].bytes, rows: detailed[0].rows },
      peak_rss_mb_after_answers: Math.round(memAfter.peakMb),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    await off.stop();
    await on.stop();
  } finally {
    await pool.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

runMain('bench connections-view', main, (err) => err instanceof BenchError);
