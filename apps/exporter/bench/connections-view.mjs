// What the live connections view (issue 17) adds to a default /metrics scrape: two CLIs on the
// default config side by side, one with --web.enable-connections, scraped alternately at N
// connections (min_interval 0s: every scrape collects) — first while nobody read the view (the
// fold stays out of the collections), then after /api/v1/connections was read (the fold joins
// every collection for the agent's idle window). Medians of wall time and of the agent's CPU
// time per scrape, peak RSS; then the aggregated and detailed answers. Then the goals, each answer
// on a fresh agent of its own so that its peak RSS is its own: a default agent scraped --runs
// times, one answering only aggregated views, one only detailed ones (limit=100000); aggregated
// answer time ≤ 1.5× the default scrape, detailed peak RSS ≤ 1.5× the default agent's — PASS or
// FAIL; each the median of --rounds such agents. With --baseline DIR (a copy of an older checkout with its dist built) the same three
// agents of that build run too (A/B in one run). --out FILE writes the JSON there as well.
// Needs root (private netns).
//
//   node apps/exporter/bench/connections-view.mjs [--connections 10000] [--runs 9] [--rounds 3] [--baseline DIR] [--out FILE]   (after pnpm build)
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const str = (name) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const baseline = str('baseline');
  const roundCount = arg('rounds', 3);
  const out = str('out');
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
    await off.stop();
    await on.stop();
    const builds = { current: CLI };
    if (baseline) builds.baseline = join(baseline, 'apps', 'exporter', 'dist', 'cli.js');
    // rounds alternate the builds (A/B in one run): peak RSS moves with the GC's timing, so each
    // figure is the median of `--rounds` fresh agents
    const rounds = Object.fromEntries(Object.keys(builds).map((b) => [b, []]));
    let port = 9303;
    for (let i = 0; i < roundCount; i++) {
      for (const [build, cli] of Object.entries(builds)) rounds[build].push(await goalRound(build, cli, config, runs, () => port++));
    }
    result.goals = Object.fromEntries(Object.entries(rounds).map(([b, r]) => [b, goalsOf(r)]));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (out) {
      writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
      if (out.endsWith('.json')) writeFileSync(out.replace(/\.json$/, '.md'), markdownOf(result));
    }
  } finally {
    await pool.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * One round of the goals for one build, each answer on a fresh agent (peak RSS is a
 * high-water mark): the default agent scraped `runs` times; one agent answering `runs` aggregated
 * views; one answering 3 detailed ones (limit=100000, the JSON streamed). Agents run one after the other.
 */
async function goalRound(build, cli, config, runs, nextPort) {
  const m = (list) => Math.round(median(list) * 10) / 10;
  const base = await startSockscope(`${build} default`, cli, config, nextPort());
  const scrapes = [];
  for (let i = 0; i < runs; i++) scrapes.push((await scrape(base.url)).ms);
  const basePeak = memoryOf(base.pid).peakMb;
  await base.stop();
  progress(`${build}: default scrape ${m(scrapes)} ms, peak RSS ${Math.round(basePeak)} MB`);
  const viewAgent = async (label, url, count) => {
    const a = await startSockscope(`${build} ${label}`, cli, config, nextPort(), { args: ['--web.enable-connections'] });
    const root = a.url.replace(/\/metrics$/, '');
    const answers = [];
    for (let i = 0; i < count; i++) answers.push(await answer(`${root}${url}`));
    const peak = memoryOf(a.pid).peakMb;
    await a.stop();
    progress(`${build}: ${label} answer ${m(answers.map((x) => x.ms))} ms, peak RSS ${Math.round(peak)} MB`);
    return { ms: median(answers.map((x) => x.ms)), bytes: answers[0].bytes, rows: answers[0].rows, peakMb: peak };
  };
  const aggregated = await viewAgent('aggregated', '/api/v1/connections?view=aggregated', runs);
  const detailed = await viewAgent('detailed', '/api/v1/connections?limit=100000', 3);
  return { scrapeMs: median(scrapes), basePeakMb: basePeak, aggregated, detailed };
}

/** The goals of one build from its rounds: medians over the rounds, and the verdicts. */
function goalsOf(rounds) {
  const r1 = (x) => Math.round(x * 10) / 10;
  const med = (f) => median(rounds.map(f));
  const scrapeMs = med((r) => r.scrapeMs);
  const basePeak = med((r) => r.basePeakMb);
  const agg = { ms: med((r) => r.aggregated.ms), peak: med((r) => r.aggregated.peakMb) };
  const det = { ms: med((r) => r.detailed.ms), peak: med((r) => r.detailed.peakMb) };
  const aggRatio = agg.ms / scrapeMs;
  const rssRatio = det.peak / basePeak;
  return {
    rounds: rounds.length,
    default_scrape: { ms: r1(scrapeMs), peak_rss_mb: Math.round(basePeak), peak_rss_mb_each: rounds.map((r) => Math.round(r.basePeakMb)) },
    aggregated_answer: { ms: r1(agg.ms), bytes: rounds[0].aggregated.bytes, rows: rounds[0].aggregated.rows, peak_rss_mb: Math.round(agg.peak), peak_rss_mb_each: rounds.map((r) => Math.round(r.aggregated.peakMb)) },
    detailed_answer: { ms: r1(det.ms), bytes: rounds[0].detailed.bytes, rows: rounds[0].detailed.rows, peak_rss_mb: Math.round(det.peak), peak_rss_mb_each: rounds.map((r) => Math.round(r.detailed.peakMb)) },
    aggregated_time_goal: { goal: 'aggregated answer ≤ 1.5× the default scrape', ratio: Math.round(aggRatio * 100) / 100, verdict: aggRatio <= 1.5 ? 'PASS' : 'FAIL' },
    detailed_memory_goal: { goal: 'detailed answer peak RSS ≤ 1.5× the default agent', ratio: Math.round(rssRatio * 100) / 100, verdict: rssRatio <= 1.5 ? 'PASS' : 'FAIL' },
  };
}

/** The goals of a result as a Markdown table (one row per build), beside the JSON. */
function markdownOf(r) {
  const lines = [
    `# connections-view: ${r.connections} connections (${r.sockets} sockets)`,
    '',
    `Medians of ${Object.values(r.goals)[0].rounds} rounds, each on fresh agents (default config, min_interval 0s); ${r.runs} scrapes and aggregated answers, 3 detailed answers (limit=100000) per agent.`,
    '',
    '| build | default scrape | default peak RSS | aggregated answer | aggregated ≤ 1.5× scrape | detailed answer | detailed peak RSS | detailed RSS ≤ 1.5× default |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [build, g] of Object.entries(r.goals)) {
    lines.push(
      `| ${build} | ${g.default_scrape.ms} ms | ${g.default_scrape.peak_rss_mb} MB | ${g.aggregated_answer.ms} ms | ${g.aggregated_time_goal.ratio}× ${g.aggregated_time_goal.verdict} | ${g.detailed_answer.ms} ms, ${(g.detailed_answer.bytes / 1e6).toFixed(1)} MB | ${g.detailed_answer.peak_rss_mb} MB (${g.detailed_answer.peak_rss_mb_each.join(', ')}) | ${g.detailed_memory_goal.ratio}× ${g.detailed_memory_goal.verdict} |`,
    );
  }
  lines.push('', 'Scrapes with the view on and off (one agent each, alternating):', '', '```json', JSON.stringify({ view_not_read: r.view_not_read, view_read: r.view_read }, null, 2), '```', '');
  return lines.join('\n');
}

runMain('bench connections-view', main, (err) => err instanceof BenchError);
