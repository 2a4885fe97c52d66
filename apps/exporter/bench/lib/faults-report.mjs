// The fault script's judgements: each fault's measurements → held or did not hold, with the
// numbers, as one printed line and a row of faults-latest.md. Pure functions (bench/test covers them).
import { median } from './measure.mjs';
import { reproduce } from './report.mjs';

/** The faults in the order they are reported, with the words their lines start with. */
export const FAULTS = [
  { id: 'auth', title: 'auth flood' },
  { id: 'idle', title: 'idle connections' },
  { id: 'sigterm', title: 'slow reader during SIGTERM' },
  { id: 'otlp', title: 'OTLP 429 with Retry-After' },
  { id: 'partial', title: 'partial collection under load' },
];

/**
 * The samples of one family in a Prometheus text exposition: `[{ labels, value }]`. Label values
 * are unescaped (`\\`, `\"`, `\n`).
 */
export function samplesOf(text, name) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const labels = {};
    let rest = line.slice(name.length);
    if (rest[0] === '{') {
      const end = closingBrace(rest);
      for (const m of rest.slice(1, end).matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
      rest = rest.slice(end + 1);
    }
    out.push({ labels, value: Number(rest.trim().split(/\s+/)[0]) });
  }
  return out;
}

/** Index of the `}` closing a label set that starts at 0, skipping quoted values. */
function closingBrace(s) {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    if (quoted && s[i] === '\\') i++;
    else if (s[i] === '"') quoted = !quoted;
    else if (!quoted && s[i] === '}') return i;
  }
  return s.length;
}

const ms = (x) => `${Math.round(x)} ms`;
const s1 = (x) => `${(x / 1000).toFixed(1)} s`;
const int = (x) => Math.round(x).toLocaleString('en-US');
const mb = (x) => `${(x / 2 ** 20).toFixed(1)} MB`;
const counts = (obj) =>
  Object.entries(obj)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ×${int(n)}`)
    .join(', ') || 'none';

/**
 * Auth flood: `clients` wrong-password clients for `seconds` against a bcrypt `cost` hash while
 * an authenticated client scrapes. Held when every authenticated scrape answered 200 within
 * `limitMs`. `scrapes`: `[{ status, ms }]` (status 0: no answer); `baselineMs`: authenticated
 * scrapes before the flood; `flood`: the flood's answers by status.
 */
export function judgeAuthFlood({ clients, seconds, cost, limitMs, baselineMs, scrapes, flood }) {
  const ok = scrapes.filter((r) => r.status === 200);
  const slowest = Math.max(...scrapes.map((r) => r.ms));
  const held = scrapes.length > 0 && ok.length === scrapes.length && slowest <= limitMs;
  const detail = scrapes.length === 0
    ? `${clients} wrong-password clients for ${seconds} s against bcrypt cost ${cost}: no authenticated scrape finished`
    : `${clients} wrong-password clients for ${seconds} s against bcrypt cost ${cost}: ${ok.length}/${scrapes.length} authenticated scrapes answered 200, ` +
      `median ${ms(median(scrapes.map((r) => r.ms)))}, slowest ${ms(slowest)} (limit ${ms(limitMs)}; ${ms(median(baselineMs))} before the flood); ` +
      `the flood was answered ${counts(flood)}`;
  return { held, detail };
}

/**
 * Idle connections: `wanted` connections to the agent, left idle; `established` of them got
 * through the handshake, `open` were still open when the probes ran (`errors`: connects that
 * failed or timed out, retried). Held when the agent is alive and every probe
 * (`[{ path, status, ms }]`) answered 200 within `limitMs`.
 */
export function judgeIdle({ wanted, established, open, errors, processes, agentFds, agentFdLimit, alive, probes, limitMs }) {
  const byPath = groupBy(probes, (p) => p.path);
  const parts = Object.entries(byPath).map(([path, ps]) => {
    const ok = ps.filter((p) => p.status === 200);
    const failed = {};
    for (const p of ps) if (p.status !== 200) failed[p.status === 0 ? (p.error ?? 'no answer') : `HTTP ${p.status}`] = (failed[p.status === 0 ? (p.error ?? 'no answer') : `HTTP ${p.status}`] ?? 0) + 1;
    const why = ok.length < ps.length ? ` (the others: ${counts(failed)})` : '';
    return `${path} ${ok.length}/${ps.length} answered 200${why}, slowest ${ms(Math.max(...ps.map((p) => p.ms)))}`;
  });
  const held = alive && probes.length > 0 && probes.every((p) => p.status === 200 && p.ms <= limitMs);
  const fds = agentFds === undefined ? '' : `; the agent held ${int(agentFds)} descriptors of ${agentFdLimit === undefined ? '?' : int(agentFdLimit)}`;
  const detail = `${int(wanted)} idle connections to the agent from ${processes} processes (${int(established)} established, ${int(open)} still open, ${int(errors)} connects failed${fds}): ` +
    (alive ? `${parts.join('; ')} (limit ${ms(limitMs)})` : 'the agent exited');
  return { held, detail };
}

function groupBy(xs, key) {
  const out = {};
  for (const x of xs) (out[key(x)] ??= []).push(x);
  return out;
}

/**
 * Slow reader during SIGTERM: the agent was sent SIGTERM while a client read a `responseBytes`
 * /metrics slowly. Held when it exited 0 within `limitMs` (`exitMs` undefined: still running after
 * `waitMs`, then killed). Exercised only when the agent was still writing when the signal came:
 * more of the answer was unread than the kernel had queued on the connection (`queuedBytes`).
 */
export function judgeShutdown({ responseBytes, readAtSignal, queuedBytes, exitMs, code, signal, limitMs, waitMs, readRate }) {
  const unwritten = responseBytes - readAtSignal - queuedBytes;
  const exercised = unwritten > 0;
  const exited = exitMs !== undefined;
  const held = exercised && exited && exitMs <= limitMs && code === 0;
  const how = exited ? `the agent exited ${code ?? signal} ${s1(exitMs)} after SIGTERM` : `the agent was still running ${s1(waitMs)} after SIGTERM (killed)`;
  const note = exercised ? '' : ` — not exercised: the agent had written all of it (${mb(queuedBytes)} queued in the kernel)`;
  return {
    held,
    detail: `SIGTERM while a client read a ${mb(responseBytes)} /metrics at ${int(readRate / 1024)} KB/s (${mb(Math.max(0, unwritten))} not yet written): ${how} (limit ${s1(limitMs)}, exit code 0)${note}`,
  };
}

/**
 * OTLP 429 with Retry-After: the receiver refused the first export at `refusedAt` with
 * `Retry-After: retryAfterS`; `requests` are the arrival times (ms, same clock) of every later
 * request. Held when none came before the wait was over (100 ms slack) and one came after it.
 */
export function judgeRetryAfter({ retryAfterS, intervalS, timeoutS, refusedAt, requests, observedMs }) {
  const holdEnd = refusedAt + retryAfterS * 1000;
  const during = requests.filter((t) => t > refusedAt && t < holdEnd - 100);
  const next = requests.find((t) => t >= holdEnd - 100);
  const held = during.length === 0 && next !== undefined;
  const after = next === undefined ? `no request in the ${s1(observedMs)} watched` : `the next came ${s1(next - refusedAt)} after the 429`;
  return {
    held,
    detail: `the receiver answered 429 with Retry-After: ${retryAfterS} (export interval ${intervalS} s, timeout ${timeoutS} s): ${during.length} requests during the ${retryAfterS} s hold, ${after}`,
  };
}

/**
 * Partial collection under load: `sums` of sockscope_tcp_bytes_received_total over the flows of
 * `connections` idle connections each sent `bytes` bytes, one per scrape, `partial` of those
 * scrapes from a collection whose netlink dump was cut short, and `full` the sum of a complete
 * collection afterwards (undefined: none completed). Held when a cut happened (else the fault was
 * not exercised), no sum went above the truth or down, and the complete collection said the truth.
 */
export function judgePartial({ connections, bytes, timeout, sums, partial, full }) {
  const expected = connections * bytes;
  const above = sums.filter((v) => v > expected).length;
  const decreases = sums.filter((v, i) => i > 0 && v < sums[i - 1]).length;
  const held = partial > 0 && above === 0 && decreases === 0 && full === expected;
  const range = sums.length ? `min ${int(Math.min(...sums))}, max ${int(Math.max(...sums))}, last ${int(sums.at(-1))}` : 'no scrape';
  const notes = [];
  if (partial === 0) notes.push('not exercised: no netlink collection was cut short');
  if (above > 0) notes.push(`${above} above the truth`);
  if (decreases > 0) notes.push(`${decreases} went down`);
  const fullText = full === undefined ? 'no complete collection afterwards' : `a complete collection afterwards ${int(full)}`;
  return {
    held,
    detail: `${int(connections)} idle connections each sent ${int(bytes)} bytes, ${sums.length} scrapes with collection.timeout ${timeout} (${partial} netlink dumps cut short): ` +
      `sum of sockscope_tcp_bytes_received_total ${range}; ${fullText} (expected ${int(expected)} throughout)${notes.length ? ' — ' + notes.join(', ') : ''}`,
  };
}

/** One printed line: `<title>: held — <numbers>` or `<title>: did not hold — <numbers>`. */
export function faultLine({ title, held, detail }) {
  return `${title}: ${held ? 'held' : 'did not hold'} — ${detail}`;
}

/** What a fault that could not be measured (an error in the harness or the agent) reports. */
export function failedFault(title, err) {
  return { title, held: false, detail: `could not be measured: ${String(err?.message ?? err).split('\n')[0]}` };
}

/** The Markdown report: machine, verdict per fault with its numbers, how to reproduce. */
export function faultsMarkdown(result) {
  const m = result.machine;
  const all = result.faults.every((f) => f.held);
  const out = ['# sockscope fault script', '', `- date: ${m.date}`, `- machine: ${m.cores} cores, ${m.cpuModel}; kernel ${m.kernel}; node ${m.node}`,
    `- load average at start: ${m.loadavg.join(', ')}; at end: ${result.loadavgEnd?.join(', ') ?? '-'}`,
    '- loopback only, in a private network namespace; every fault runs against a freshly started agent (the built CLI).',
    `- ${all ? 'every fault held' : `${result.faults.filter((f) => !f.held).length} of ${result.faults.length} did not hold`}`];
  if (result.options.note) out.push('', `> **Note:** ${result.options.note}`);
  out.push('', '| fault | verdict | measured |', '|---|---|---|');
  for (const f of result.faults) out.push(`| ${f.title} | ${f.held ? 'held' : '**did not hold**'} | ${f.detail.replaceAll('|', '\\|')} |`);
  out.push('', '## Reproduce', '', ...reproduce('bench:faults', 'faults.mjs', result.options.argv));
  return out.join('\n');
}
