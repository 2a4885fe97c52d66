// Reads a soak's per-second samples: RSS at start, middle and end, the leak verdict, and how
// collection time drifted from the first minute to the last.
import { median } from './measure.mjs';
import { reproduce } from './report.mjs';

/** Median of `key` over the samples whose time lies in [from, to) seconds. */
function windowMedian(samples, key, from, to) {
  const values = samples.filter((s) => s.t >= from && s.t < to && Number.isFinite(s[key])).map((s) => s[key]);
  return { value: median(values), samples: values.length };
}

/**
 * Summarizes a soak of `seconds`: RSS as the median of a window (5% of the run, at least 5 s)
 * at start, middle and end; "no leak" when the end is within 10% of the middle; collection
 * time as the median of the first and last minute (or fifth of the run, when shorter).
 */
export function summarizeSoak(samples, seconds) {
  const half = Math.max(2.5, seconds * 0.025);
  const rss = {
    start: windowMedian(samples, 'rssMb', 0, 2 * half),
    middle: windowMedian(samples, 'rssMb', seconds / 2 - half, seconds / 2 + half),
    end: windowMedian(samples, 'rssMb', seconds - 2 * half, seconds + 1),
  };
  const growth = rss.end.value / rss.middle.value - 1;
  const edge = Math.min(60, seconds / 5);
  const keys = ['scrapeMs', ...new Set(samples.flatMap((s) => Object.keys(s.collectorMs ?? {})).map((k) => `collector:${k}`))];
  const drift = Object.fromEntries(keys.map((key) => {
    const pick = (s) => (key === 'scrapeMs' ? s.scrapeMs : s.collectorMs?.[key.slice(10)]);
    const first = median(samples.filter((s) => s.t < edge).map(pick).filter(Number.isFinite));
    const last = median(samples.filter((s) => s.t >= seconds - edge).map(pick).filter(Number.isFinite));
    return [key, { firstMs: first, lastMs: last, change: last / first - 1 }];
  }));
  // issue 20: scrapes stay steady under churn — p99 of the window within 1.5x its median
  const scrapes = samples.map((x) => x.scrapeMs).filter(Number.isFinite);
  const p50 = quantile(scrapes, 0.5);
  const p99 = quantile(scrapes, 0.99);
  return {
    rss,
    rssGrowthEndVsMiddle: growth,
    stretches: stretchesOf(samples, seconds),
    scrape: { p50Ms: p50, p99Ms: p99, ratio: p99 / p50, verdict: scrapes.length === 0 ? 'not measured' : p99 <= SCRAPE_P99_GOAL * p50 ? 'PASS' : 'FAIL' },
    verdict: Number.isFinite(growth) ? (growth <= 0.1 ? 'no leak' : 'possible leak') : 'not measured',
    driftWindowSeconds: edge,
    drift,
  };
}

/**
 * The window in stretches (a minute each, a tenth of a shorter window): scrape median and the
 * machine's stolen CPU in each, to tell a slow stretch of the VM from the agent slowing down.
 * Steal is the mean of the samples' `stealPct`, null where none was read.
 */
function stretchesOf(samples, seconds) {
  const width = Math.min(60, seconds / 10);
  const out = [];
  for (let from = 0; from < seconds; from += width) {
    const inside = samples.filter((s) => s.t >= from && s.t < from + width);
    if (inside.length === 0) continue;
    const steal = inside.map((s) => s.stealPct).filter(Number.isFinite);
    out.push({ fromS: from, scrapeMs: median(inside.map((s) => s.scrapeMs)), stealPct: steal.length ? steal.reduce((a, b) => a + b, 0) / steal.length : null });
  }
  return out;
}

/** Goal of issue 20: a soak's scrape p99 at most this many times its median. */
export const SCRAPE_P99_GOAL = 1.5;

/** Goal of issue 18: the agent's event loop never blocked longer than this under churn. */
export const BLOCKED_GOAL_MS = 50;

/** Value at quantile `q` (nearest rank) of a list of numbers. */
function quantile(values, q) {
  const xs = [...values].sort((a, b) => a - b);
  return xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
}

/**
 * The /health probe's latencies (`[{ t, ms }]`): median, p99 and max, how many answers took
 * longer than the goal, the five slowest with their time in the window, and the verdict
 * (PASS when the slowest answer took at most BLOCKED_GOAL_MS and no probe failed).
 */
export function summarizeProbe(latencies, failed, everyMs) {
  const ms = latencies.map((l) => l.ms);
  const max = ms.length ? Math.max(...ms) : NaN;
  return {
    everyMs,
    probes: ms.length,
    failed,
    medianMs: median(ms),
    p99Ms: quantile(ms, 0.99),
    maxMs: max,
    overGoal: ms.filter((x) => x > BLOCKED_GOAL_MS).length,
    slowest: [...latencies].sort((a, b) => b.ms - a.ms).slice(0, 5),
    verdict: ms.length > 0 && failed === 0 && max <= BLOCKED_GOAL_MS ? 'PASS' : 'FAIL',
  };
}

/** The three verdicts of issue 18's churn proof: drops counted, RSS flat, agent blocked at most 50 ms. */
export function soakVerdicts(result) {
  const out = [];
  const l = result.lifecycle;
  if (l && l.agent.received !== null && l.agent.dropped !== null) {
    const heard = l.agent.received + l.agent.dropped;
    out.push(`verdict, no event lost (handed + dropped-and-counted = closed): ${heard === l.expected.destroyEvents ? 'PASS' : 'FAIL'} (${heard} of ${l.expected.destroyEvents}, ${l.agent.dropped} dropped and counted)`);
  }
  // the lowest RSS of each third of the window: the floor the GC returns to, beside the verdict's medians
  const thirds = [0, 1, 2].map((k) => Math.min(...(result.samples ?? []).filter((x) => x.t >= (k * result.seconds) / 3 && x.t < ((k + 1) * result.seconds) / 3 + (k === 2 ? 1 : 0)).map((x) => x.rssMb)));
  const floor = thirds.every(Number.isFinite) ? `; lowest RSS per third of the window ${thirds.map((x) => x.toFixed(0)).join(', ')} MB` : '';
  out.push(`verdict, RSS flat (end within 10% of the middle): ${result.summary.verdict === 'no leak' ? 'PASS' : 'FAIL'} (${pct(result.summary.rssGrowthEndVsMiddle)}${floor})`);
  const sc = result.summary.scrape;
  if (sc) out.push(`verdict, scrape p99 ≤ ${SCRAPE_P99_GOAL}× median: ${sc.verdict} (median ${sc.p50Ms.toFixed(1)} ms, p99 ${sc.p99Ms.toFixed(1)} ms, ${sc.ratio.toFixed(2)}×)`);
  const h = result.health;
  if (h) out.push(`verdict, agent blocked ≤ ${BLOCKED_GOAL_MS} ms (slowest /health answer): ${h.verdict} (max ${h.maxMs.toFixed(1)} ms)`);
  else out.push('verdict, agent blocked: not measured (--probe_ms 0)');
  const asked = result.options.churn;
  out.push(`churn rate: ${result.churnPerSecond.toFixed(0)}/s made of ${asked}/s asked (${result.churnPerSecond >= asked * 0.98 ? 'reached' : 'NOT reached'})`);
  return out;
}

const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** Families of the lifecycle totals (issue 18): the netlink collector's and the metric fold's. */
const LIFECYCLE = {
  received: 'sockscope_lifecycle_events_received_total',
  dropped: 'sockscope_lifecycle_events_dropped_total',
  enobufs: 'sockscope_lifecycle_enobufs_total',
  opened: 'sockscope_tcp_connections_opened_total',
  closed: 'sockscope_tcp_connections_closed_total',
  failures: 'sockscope_tcp_connect_failures_total',
};

/**
 * Remembers the last value of every lifecycle series seen in the expositions it observes. A
 * folded series is published only in the collections where it had a socket (a series of
 * unowned closed clients has none in a collection where nothing of it closed), so one scrape's
 * sum can miss a counter that still holds its count; the sum over every series seen so far
 * does not. (Assumes no series is forgotten meanwhile: max_idle_series is far longer than a soak.)
 */
export function createLifecycleMemory() {
  const last = new Map(); // family -> Map(labels text -> value)
  return {
    observe(text) {
      for (const family of Object.values(LIFECYCLE)) {
        let series = last.get(family);
        if (!series) last.set(family, (series = new Map()));
        for (const m of text.matchAll(new RegExp(`^${family}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) series.set(m[1] ?? '', Number(m[2]));
      }
    },
    /** The totals over every series seen (see lifecycleTotals). */
    totals() {
      const lines = [];
      for (const [family, series] of last) for (const [labels, value] of series) lines.push(`${family}${labels ? `{${labels}}` : ''} ${value}`);
      return lifecycleTotals(lines.join('\n'));
    },
  };
}

/**
 * The lifecycle totals of one exposition: each family's values summed, and for the per-flow ones
 * also by `direction` (failures by `reason`); a family the agent does not publish is null.
 */
export function lifecycleTotals(text) {
  const out = {};
  for (const [key, family] of Object.entries(LIFECYCLE)) {
    let total = null;
    const by = {};
    for (const m of text.matchAll(new RegExp(`^${family}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
      const v = Number(m[2]);
      total = (total ?? 0) + v;
      const label = key === 'failures' ? 'reason' : 'direction';
      const l = new RegExp(`${label}="([^"]*)"`).exec(m[1] ?? '')?.[1];
      if (l !== undefined) by[l] = (by[l] ?? 0) + v;
    }
    out[key] = total;
    if (Object.keys(by).length > 0) out[`${key}By`] = by;
  }
  return out;
}

/** `after - before` of two lifecycleTotals, family by family (null when either is missing). */
export function lifecycleDelta(before, after) {
  const out = {};
  for (const key of Object.keys(LIFECYCLE)) {
    out[key] = before[key] === null || after[key] === null ? null : after[key] - before[key];
    const by = after[`${key}By`];
    if (by) out[`${key}By`] = Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v - (before[`${key}By`]?.[k] ?? 0)]));
  }
  return out;
}

/**
 * What the soak's sockets should have made the agent hear: every socket the holders closed (the
 * churning clients and the servers' ends), the failed connects, and both ends of each HTTP
 * connection to the agent that closed (the scrapes keep one alive), all in the bench's own
 * network namespace. `churner` holds the holders' deltas.
 */
export function lifecycleExpected(churner, httpConnections) {
  return {
    destroyEvents: churner.clientClosed + churner.serverClosed + churner.failedConnects + 2 * httpConnections,
    closedInbound: churner.serverClosed + httpConnections,
    closedOutbound: churner.clientClosed + httpConnections,
  };
}

/** The soak's summary as text lines (printed) and Markdown (written). */
export function soakText(result) {
  const s = result.summary;
  const lines = [
    `soak: ${result.seconds} s measured after ${result.options.settle} s of settling, ${result.options.connections} connections held, churn ${result.options.churn}/s (measured ${result.churnPerSecond.toFixed(0)}/s), ${result.scrapes} scrapes (${result.failedScrapes} failed, ${result.lateScrapes} late)`,
    `RSS start ${s.rss.start.value.toFixed(1)} MB, middle ${s.rss.middle.value.toFixed(1)} MB, end ${s.rss.end.value.toFixed(1)} MB (end vs middle ${pct(s.rssGrowthEndVsMiddle)}): ${s.verdict}`,
    `peak RSS ${result.peakRssMb.toFixed(1)} MB; series at the end ${result.lastSeries}`,
  ];
  for (const [key, d] of Object.entries(s.drift)) {
    lines.push(`${key === 'scrapeMs' ? 'scrape latency' : key.replace('collector:', 'collector ')}: first ${s.driftWindowSeconds} s median ${d.firstMs.toFixed(1)} ms, last ${s.driftWindowSeconds} s median ${d.lastMs.toFixed(1)} ms (${pct(d.change)})`);
  }
  const stretches = s.stretches ?? [];
  if (stretches.length > 0) {
    const steal = (x) => (x.stealPct === null ? 'steal not read' : `steal ${x.stealPct.toFixed(1)}%`);
    lines.push(`scrape median by stretch of the window (and the machine's CPU stolen by the hypervisor meanwhile): ${stretches.map((x) => `${x.fromS.toFixed(0)} s ${x.scrapeMs.toFixed(0)} ms, ${steal(x)}`).join('; ')}`);
  }
  const h = result.health;
  if (h) {
    lines.push(`agent blocked (/health asked every ${h.everyMs} ms during the window, ${h.probes} answers, ${h.failed} failed): median ${h.medianMs.toFixed(1)} ms, p99 ${h.p99Ms.toFixed(1)} ms, max ${h.maxMs.toFixed(1)} ms; ${h.overGoal} over ${BLOCKED_GOAL_MS} ms; slowest at ${h.slowest.map((x) => `${x.t.toFixed(1)} s (${x.ms.toFixed(0)} ms)`).join(', ')}`);
  }
  if (result.lifecycle) lines.push(...lifecycleText(result.lifecycle));
  if (result.lifecycle || h) lines.push(...soakVerdicts(result));
  return lines;
}

/** The lifecycle lines of a soak: what the agent heard against what the churner made. */
export function lifecycleText({ churner, httpConnections, expected, agent }) {
  const n = (v) => (v === null || v === undefined ? 'not published' : String(v));
  const off = (got, want) => (got === null || got === undefined ? '' : ` (${got - want >= 0 ? '+' : ''}${got - want}, ${pct(want === 0 ? 0 : got / want - 1)})`);
  const heard = agent.received === null || agent.dropped === null ? null : agent.received + agent.dropped;
  const lines = [
    `lifecycle, churner: clients closed ${churner.clientClosed} and opened ${churner.clientOpened}, servers closed ${churner.serverClosed}, failed connects ${churner.failedConnects}; ${httpConnections} HTTP connections to the agent closed (scrapes keep one alive)`,
    `lifecycle, destroy events: handed to the pipeline ${n(agent.received)} + dropped (counted) ${n(agent.dropped)} = ${n(heard)} vs ${expected.destroyEvents} closed${off(heard, expected.destroyEvents)}; ENOBUFS ${n(agent.enobufs)}`,
  ];
  if (agent.closed !== null) {
    const want = expected.closedInbound + expected.closedOutbound;
    // raw_endpoint has no direction label: only the total can be compared
    const by = agent.closedBy ? `: inbound ${agent.closedBy.inbound ?? 0} vs ${expected.closedInbound}${off(agent.closedBy.inbound ?? 0, expected.closedInbound)}, outbound ${agent.closedBy.outbound ?? 0} vs ${expected.closedOutbound}${off(agent.closedBy.outbound ?? 0, expected.closedOutbound)}` : '';
    lines.push(`lifecycle, sockscope_tcp_connections_closed_total: ${n(agent.closed)} vs ${want}${off(agent.closed, want)}${by}; opened ${n(agent.opened)}, connect failures ${n(agent.failures)}`);
  } else {
    lines.push('lifecycle: sockscope_tcp_connections_{opened,closed}_total are not published by this build');
  }
  return lines;
}

/** The Markdown report of a soak. */
export function soakMarkdown(result) {
  const m = result.machine;
  const out = ['# sockscope soak', '', `- date: ${m.date}`, `- machine: ${m.cores} cores, ${m.cpuModel}; kernel ${m.kernel}; node ${m.node}`,
    `- load average at start: ${m.loadavg.join(', ')}; at end: ${result.loadavgEnd.join(', ')}`,
    `- config: flows.folding ${result.options.folding}, every scrape collects afresh (collection.min_interval 0s)`];
  if (result.options.note) out.push('', `> **Note:** ${result.options.note}`);
  out.push('', ...soakText(result).map((l) => `- ${l}`), '', '## Reproduce', '', ...reproduce('bench:soak', 'soak.mjs', result.options.argv));
  return out.join('\n');
}
