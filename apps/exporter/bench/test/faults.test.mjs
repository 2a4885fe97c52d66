// The fault script's parts: its verdicts (pure), its loopback tools and the holder's idle and
// sized connections (real sockets on 127.0.0.1, no root needed); and the script itself, small,
// against the built CLI (root).
// Run with: node --test apps/exporter/bench/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Holder } from '../lib/holders.mjs';
import { stopAll } from '../lib/children.mjs';
import { get, slowReader, startCountingReceiver, waitUntil } from '../lib/fault-tools.mjs';
import { FAULTS, failedFault, faultLine, faultsMarkdown, judgeAuthFlood, judgeIdle, judgePartial, judgeRetryAfter, judgeShutdown, samplesOf } from '../lib/faults-report.mjs';

test('samplesOf reads one family with its labels, escaped values and no look-alike family', () => {
  const text = [
    '# TYPE sockscope_tcp_bytes_received_total counter',
    'sockscope_tcp_bytes_received_total{direction="inbound",process="a \\"b\\" c",local_port="20100"} 9000000',
    'sockscope_tcp_bytes_received_total{direction="outbound",dst="127.0.0.1",dst_port="20100",x="}"} 0',
    'sockscope_tcp_bytes_received_total_other{local_port="1"} 5',
    'sockscope_scrape_collector_success{collector="linux-netlink"} 0',
    'up 1',
  ].join('\n');
  const got = samplesOf(text, 'sockscope_tcp_bytes_received_total');
  assert.deepEqual(got, [
    { labels: { direction: 'inbound', process: 'a "b" c', local_port: '20100' }, value: 9_000_000 },
    { labels: { direction: 'outbound', dst: '127.0.0.1', dst_port: '20100', x: '}' }, value: 0 },
  ]);
  assert.deepEqual(samplesOf(text, 'up'), [{ labels: {}, value: 1 }]);
  assert.deepEqual(samplesOf(text, 'sockscope_scrape_collector_success')[0].value, 0);
});

test('auth flood holds only when every authenticated scrape answered 200 within the limit', () => {
  const base = { clients: 50, seconds: 10, cost: 10, limitMs: 1000, baselineMs: [20, 22, 24], flood: { 401: 120, 429: 4000 } };
  const held = judgeAuthFlood({ ...base, scrapes: [{ status: 200, ms: 30 }, { status: 200, ms: 900 }] });
  assert.equal(held.held, true);
  assert.equal(held.detail, '50 wrong-password clients for 10 s against bcrypt cost 10: 2/2 authenticated scrapes answered 200, median 465 ms, slowest 900 ms (limit 1000 ms; 22 ms before the flood); the flood was answered 401 ×120, 429 ×4,000');
  assert.equal(judgeAuthFlood({ ...base, scrapes: [{ status: 200, ms: 30 }, { status: 200, ms: 3100 }] }).held, false);
  assert.equal(judgeAuthFlood({ ...base, scrapes: [{ status: 200, ms: 30 }, { status: 0, ms: 30_000 }] }).held, false);
  const none = judgeAuthFlood({ ...base, scrapes: [] });
  assert.equal(none.held, false);
  assert.match(none.detail, /no authenticated scrape finished/);
});

test('idle connections hold when the agent is alive and every probe answered 200 in time', () => {
  const probes = [
    { path: '/health', status: 200, ms: 5 },
    { path: '/metrics', status: 200, ms: 40 },
    { path: '/health', status: 200, ms: 7 },
    { path: '/metrics', status: 200, ms: 60 },
  ];
  const base = { wanted: 20_000, established: 20_000, open: 19_990, errors: 10, processes: 4, agentFds: 530, agentFdLimit: 20_000, alive: true, limitMs: 2000 };
  const ok = judgeIdle({ ...base, probes });
  assert.equal(ok.held, true);
  assert.equal(ok.detail, '20,000 idle connections to the agent from 4 processes (20,000 established, 19,990 still open, 10 connects failed; the agent held 530 descriptors of 20,000): /health 2/2 answered 200, slowest 7 ms; /metrics 2/2 answered 200, slowest 60 ms (limit 2000 ms)');
  const starved = judgeIdle({ ...base, agentFds: 20_000, probes: [{ path: '/health', status: 0, ms: 10_000, error: 'no answer within 10 s' }, ...probes.slice(1)] });
  assert.equal(starved.held, false);
  assert.match(starved.detail, /\/health 1\/2 answered 200 \(the others: no answer within 10 s ×1\), slowest 10000 ms/);
  const reset = judgeIdle({ ...base, probes: probes.map((p) => (p.path === '/metrics' ? { ...p, status: 0, error: 'ECONNRESET' } : p)) });
  assert.match(reset.detail, /\/metrics 0\/2 answered 200 \(the others: ECONNRESET ×2\)/);
  assert.equal(judgeIdle({ ...base, alive: false, probes }).held, false);
  assert.match(judgeIdle({ ...base, alive: false, probes }).detail, /the agent exited$/);
});

test('slow reader during SIGTERM holds on a prompt exit 0, and only when the agent was still writing', () => {
  const base = { responseBytes: 16 * 2 ** 20, readAtSignal: 2 ** 20, queuedBytes: 3 * 2 ** 20, limitMs: 7000, waitMs: 30_000, readRate: 40_960 };
  const ok = judgeShutdown({ ...base, exitMs: 5200, code: 0 });
  assert.equal(ok.held, true);
  assert.equal(ok.detail, 'SIGTERM while a client read a 16.0 MB /metrics at 40 KB/s (12.0 MB not yet written): the agent exited 0 5.2 s after SIGTERM (limit 7.0 s, exit code 0)');
  const hung = judgeShutdown({ ...base, exitMs: undefined });
  assert.equal(hung.held, false);
  assert.match(hung.detail, /still running 30\.0 s after SIGTERM \(killed\)/);
  assert.equal(judgeShutdown({ ...base, exitMs: 5200, code: 1 }).held, false);
  assert.equal(judgeShutdown({ ...base, exitMs: 9000, code: 0 }).held, false);
  const small = judgeShutdown({ ...base, responseBytes: 4 * 2 ** 20, exitMs: 100, code: 0 });
  assert.equal(small.held, false);
  assert.match(small.detail, /\(0\.0 MB not yet written\).* — not exercised: the agent had written all of it \(3\.0 MB queued in the kernel\)$/);
});

test('OTLP Retry-After holds when nothing came during the wait and something came after it', () => {
  const base = { retryAfterS: 5, intervalS: 1, timeoutS: 1, refusedAt: 1000, observedMs: 9000 };
  const ok = judgeRetryAfter({ ...base, requests: [6010, 7000] });
  assert.equal(ok.held, true);
  assert.equal(ok.detail, 'the receiver answered 429 with Retry-After: 5 (export interval 1 s, timeout 1 s): 0 requests during the 5 s hold, the next came 5.0 s after the 429');
  const retried = judgeRetryAfter({ ...base, requests: [2000, 3000, 4000, 5000, 6000] });
  assert.equal(retried.held, false);
  assert.match(retried.detail, /: 4 requests during the 5 s hold, the next came 5\.0 s/);
  const silent = judgeRetryAfter({ ...base, requests: [] });
  assert.equal(silent.held, false);
  assert.match(silent.detail, /no request in the 9\.0 s watched/);
});

test('partial collection holds when cuts happened, no sum went above the truth or down, and a complete collection said the truth', () => {
  const base = { connections: 9000, bytes: 1000, timeout: '100ms' };
  const ok = judgePartial({ ...base, sums: [8_000_000, 9_000_000, 9_000_000], partial: 2, full: 9_000_000 });
  assert.equal(ok.held, true);
  assert.equal(ok.detail, '9,000 idle connections each sent 1,000 bytes, 3 scrapes with collection.timeout 100ms (2 netlink dumps cut short): sum of sockscope_tcp_bytes_received_total min 8,000,000, max 9,000,000, last 9,000,000; a complete collection afterwards 9,000,000 (expected 9,000,000 throughout)');
  const inflated = judgePartial({ ...base, sums: [9_000_000, 4_000_000, 13_000_000], partial: 1, full: 32_296_000 });
  assert.equal(inflated.held, false);
  assert.match(inflated.detail, /— 1 above the truth, 1 went down$/);
  const untested = judgePartial({ ...base, sums: [9_000_000, 9_000_000], partial: 0, full: 9_000_000 });
  assert.equal(untested.held, false);
  assert.match(untested.detail, /not exercised: no netlink collection was cut short/);
  assert.equal(judgePartial({ ...base, sums: [9_000_000], partial: 1, full: undefined }).held, false);
});

test('lines and the Markdown report say held or did not hold for each fault', () => {
  assert.deepEqual(FAULTS.map((f) => f.id), ['auth', 'idle', 'sigterm', 'otlp', 'partial']);
  const faults = [
    { title: 'auth flood', held: true, detail: 'a | b' },
    failedFault('idle connections', new Error('did not finish within 240 s\nmore')),
  ];
  assert.equal(faultLine(faults[0]), 'auth flood: held — a | b');
  assert.equal(faultLine(faults[1]), 'idle connections: did not hold — could not be measured: did not finish within 240 s');
  const md = faultsMarkdown({ machine: { date: 'd', cores: 2, cpuModel: 'cpu', kernel: 'k', node: 'v20', loadavg: [1, 1, 1] }, loadavgEnd: [1, 1, 1], options: { note: '', argv: ['--only', 'auth,idle'] }, faults });
  assert.match(md, /- 1 of 2 did not hold/);
  assert.match(md, /\| auth flood \| held \| a \\\| b \|/);
  assert.match(md, /\| idle connections \| \*\*did not hold\*\* \|/);
  assert.match(md, /node apps\/exporter\/bench\/faults\.mjs --only auth,idle/);
});

test('get answers every way without throwing: a status, a timeout, a refused connection', async () => {
  const server = createServer((req, res) => (req.url === '/slow' ? setTimeout(() => res.end('late'), 2000) : res.writeHead(req.url === '/' ? 200 : 404).end('body')));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    assert.deepEqual({ ...(await get(`${base}/`, { keepBody: true })), ms: 0 }, { ms: 0, status: 200, bytes: 4, body: 'body' });
    assert.equal((await get(`${base}/nope`)).status, 404);
    const slow = await get(`${base}/slow`, { timeoutMs: 200 });
    assert.equal(slow.status, 0);
    assert.equal(slow.error, 'no answer within 0.2 s');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  assert.equal((await get(base)).error, 'ECONNREFUSED');
});

test('the counting receiver answers as told and notes when each request came', async () => {
  const receiver = await startCountingReceiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '5' } } : { status: 200 }));
  try {
    const first = await fetch(`${receiver.url}/v1/metrics`, { method: 'POST', body: 'x' });
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '5');
    const second = await fetch(`${receiver.url}/v1/metrics`, { method: 'POST', body: 'y' });
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('content-type'), 'application/x-protobuf');
    assert.deepEqual(receiver.requests.map((r) => r.status), [429, 200]);
    assert.ok(receiver.requests[0].at <= receiver.requests[1].at && receiver.requests[1].at <= performance.now());
  } finally {
    await receiver.close();
  }
});

test('the slow reader reads about chunk bytes per tick and sees the end', async () => {
  const body = Buffer.alloc(400_000, 0x61);
  const server = createServer((req, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reader = slowReader(server.address().port, '/', { chunk: 1000, everyMs: 20 });
  try {
    await waitUntil(() => reader.received > 0, 5000, 'the first bytes');
    const start = reader.received;
    await new Promise((r) => setTimeout(r, 400));
    const read = reader.received - start;
    assert.ok(read > 0 && read <= 1000 * (400 / 20 + 2), `read ${read} bytes in 400 ms at 1000 bytes per 20 ms`);
    assert.equal(reader.ended, false);
    assert.equal(reader.rate, 50_000);
  } finally {
    reader.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('holders open idle connections (0 bytes) and sized ones, and count what they received', async () => {
  const port = 23_000 + Math.floor(Math.random() * 2000);
  const listener = new Holder('server', port);
  const first = await listener.started;
  if (first.error) return; // the port is taken on this host: nothing to learn here
  const idle = new Holder('client', port);
  const sized = new Holder('client', port);
  try {
    assert.equal((await idle.send('open 5 0 3000')).open, 5);
    assert.equal((await sized.send('open 3 1000')).open, 3);
    await waitUntil(async () => (await listener.send('status')).received === 3000, 5000, 'the server receiving 3,000 bytes');
    assert.equal((await listener.send('status')).open, 8);
  } finally {
    await Promise.all([idle.close(), sized.close(), listener.close()]);
    await stopAll();
  }
});

const bench = fileURLToPath(new URL('..', import.meta.url));
const cli = join(bench, '..', 'dist', 'cli.js');

test('faults.mjs prints a line per fault, writes its results and exits 0 whatever they say', { skip: (process.getuid?.() !== 0 && 'needs root') || (!existsSync(cli) && 'the CLI is not built') }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-test-'));
  try {
    const args = ['--only', 'otlp,partial', '--partial-connections', '500', '--partial-scrapes', '3', '--out', out, '--name', 'f'];
    const r = await new Promise((resolve) => execFile(process.execPath, [join(bench, 'faults.mjs'), ...args], { timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr })));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    // the sink honours Retry-After (packages/sink-otlp): this line holds
    assert.match(lines[0], /^OTLP 429 with Retry-After: held — the receiver answered 429 with Retry-After: 5 \(export interval 1 s, timeout 1 s\): 0 requests during the 5 s hold, the next came [5-7]\.\d s after the 429$/);
    // 500 connections are read well within 100 ms: held or not, the line says why
    assert.match(lines[1], /^partial collection under load: (held|did not hold) — 500 idle connections each sent 1,000 bytes, 3 scrapes with collection\.timeout 100ms/);
    const result = JSON.parse(readFileSync(join(out, 'f.json'), 'utf8'));
    assert.deepEqual(result.faults.map((f) => f.id), ['otlp', 'partial']);
    assert.equal(result.faults[1].numbers.sums.length, 3);
    assert.equal(result.faults[1].numbers.full, 500_000);
    assert.match(readFileSync(join(out, 'f.md'), 'utf8'), /\| OTLP 429 with Retry-After \| held \|/);
    const holders = execFileSync('ps', ['-e', '-o', 'args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('bench/lib/holder.mjs'));
    assert.deepEqual(holders, []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
