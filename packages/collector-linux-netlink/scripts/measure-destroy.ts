// See measure-destroy.sh. A child process churns loopback connections at a fixed rate (each
// sends BYTES and closes) and prints when each client socket closed; this process runs the
// destroy-event source. Each variant runs twice:
// - cost: drained once a second; main-thread CPU (schedstat of the main thread: time on a CPU,
//   so waiting for one on a loaded machine does not count) minus that of a run with no source,
//   per event;
// - latency: drained every 2 ms; an event's latency is the drain that first saw it minus the
//   churner's close time.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createDestroyEventSource, type DestroyEventOptions } from '../src/destroy/source.js';

const RATE = Number(process.argv[2] ?? 2000);
const SECONDS = Number(process.argv[3] ?? 10);
const BYTES = 1000;
const PORT = 40200;

const CHURNER = `
const net = require('net'); const { performance } = require('perf_hooks');
const closes = []; let done = 0;
const s = net.createServer((c) => { c.on('data', () => {}); c.on('end', () => c.end()); c.on('error', () => {}); });
s.listen({ port: ${PORT}, host: '127.0.0.1', backlog: 4096 }, () => console.log('listening'));
process.stdin.once('data', () => {
  const total = ${RATE} * ${SECONDS}; let started = 0; const t0 = performance.now();
  const tick = setInterval(() => {
    const due = Math.min(total, Math.floor((performance.now() - t0) / 1000 * ${RATE}));
    for (; started < due; started++) {
      const c = net.connect(${PORT}, '127.0.0.1', () => c.end(Buffer.alloc(${BYTES}, 1)));
      c.on('error', () => {});
      c.on('close', () => { closes.push([c.localPort ?? c._lp, performance.timeOrigin + performance.now()]); if (++done === total) { clearInterval(tick); console.log(JSON.stringify({ closes, seconds: (performance.now() - t0) / 1000 })); } });
      c.on('connect', () => { c._lp = c.localPort; });
    }
  }, 5);
});`;

/** CPU time of the main thread alone, ms (schedstat: ns on CPU), unaffected by time spent waiting for one. */
const mainThreadCpu = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN;

let baselineCpuPerSecond = 0;

/** Busy main thread (a long collection, a GC, a big serialization): `ms` of work every second. */
let stallMs = 0;

async function run(label: string, opts: DestroyEventOptions | undefined, drainEveryMs: number): Promise<void> {
  const churner = spawn(process.execPath, ['-e', CHURNER], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  churner.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  while (!out.includes('listening')) await new Promise((r) => setTimeout(r, 10));
  out = '';
  const src = opts ? await createDestroyEventSource(opts, { platform: 'linux', reportOnce: (_k, m) => console.log(m) }) : undefined;
  src?.start();
  const arrival = new Map<number, number>(); // client local port -> first drain that saw it
  let records = 0;
  const drainer = setInterval(() => {
    if (!src) return;
    const now = performance.timeOrigin + performance.now();
    for (const r of src.drain().records) {
      if (r.remote.port !== PORT) continue; // the client end of a churned connection
      records++;
      if (!arrival.has(r.local.port)) arrival.set(r.local.port, now);
    }
  }, drainEveryMs);
  const staller = setInterval(() => {
    const until = performance.now() + stallMs;
    while (performance.now() < until);
  }, 1000);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const t0 = performance.now();
  churner.stdin.write('go\n');
  while (!out.includes('closes')) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200)); // the stragglers
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const mainCpu = mainThreadCpu() - main0;
  delay.disable();
  clearInterval(drainer);
  clearInterval(staller);
  const stats = src?.stats();
  await src?.close();
  churner.stdin.end();
  churner.kill();
  const result = JSON.parse(out.trim().split('\n').at(-1) as string) as { closes: [number, number][]; seconds: number };
  const lat: number[] = [];
  for (const [port, at] of result.closes) {
    const seen = arrival.get(port);
    if (seen !== undefined) lat.push(seen - at);
  }
  const perSecond = mainCpu / (wall / 1000);
  if (!src && drainEveryMs === 1000) baselineCpuPerSecond = perSecond;
  const events = stats?.received ?? 0;
  const extra = src && drainEveryMs === 1000 && stallMs === 0 ? ` | main-thread CPU over baseline ${((perSecond - baselineCpuPerSecond) * 1000 / (events / (wall / 1000))).toFixed(1)} us/event` : '';
  console.log(
    `${label.padEnd(26)} drain/${drainEveryMs} ms conns ${result.closes.length} in ${result.seconds.toFixed(1)} s | client events ${records} | ` +
      `main thread CPU ${mainCpu.toFixed(0)} ms, loop busy ${(elu.utilization * 100).toFixed(1)} % | process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms | ` +
      `latency p50 ${quantile(lat, 0.5).toFixed(1)} p99 ${quantile(lat, 0.99).toFixed(1)} max ${quantile(lat, 1).toFixed(1)} ms | ` +
      `max loop delay ${(delay.max / 1e6).toFixed(1)} ms | wall ${(wall / 1000).toFixed(1)} s` +
      extra + (stats ? ` | received ${stats.received} dropped ${stats.dropped} enobufs ${stats.enobufs} rcvbuf ${stats.sockets[0]?.rcvbuf}` : ''),
  );
}

console.log(`churn ${RATE} connections/s for ${SECONDS} s, ${BYTES} bytes each; drain every 2 ms`);
const variants: [string, DestroyEventOptions | undefined][] = [
  ['no source (baseline)', undefined],
  ['worker, flush 5 ms', { reader: 'worker' }],
  ['worker, flush 1 ms', { reader: 'worker', flushMs: 1 }],
  ['main thread, every 10 ms', { reader: 'main', intervalMs: 10 }],
  ['main thread, every 50 ms', { reader: 'main', intervalMs: 50 }],
];
const mode = process.argv[4] ?? 'all';
if (mode === 'all' || mode === 'cost') {
  for (let round = 0; round < 2; round++) {
    for (const [label, opts] of variants) await run(label, opts, 1000);
    for (const [label, opts] of variants.slice(1)) await run(label, opts, 2);
  }
}
if (mode === 'all' || mode === 'stall') {
  // The main thread busy 200 ms every second, and the receive buffer SO_RCVBUF gives without
  // CAP_NET_ADMIN at the default net.core.rmem_max (212992, doubled by the kernel).
  stallMs = 200;
  console.log(`main thread busy ${stallMs} ms every second, rcvbuf 425984`);
  for (const [label, opts] of variants.slice(1)) await run(label, { ...opts, rcvbuf: 425_984 }, 1000);
  // The same with the default receive buffer (8 MiB, SO_RCVBUFFORCE as root): what reader 'auto'
  // reads on the main thread with (MAIN_READER_MIN_RCVBUF and up).
  console.log(`main thread busy ${stallMs} ms every second, default rcvbuf`);
  for (const [label, opts] of [...variants.slice(1), ['main thread, every 20 ms (auto)', { reader: 'main', intervalMs: 20 }] as [string, DestroyEventOptions]]) await run(label, opts, 1000);
}
if (mode === 'all' || mode === 'memory') {
  // Heap per buffered record: a real destroy datagram parsed 50,000 times and kept.
  const { readFileSync } = await import('node:fs');
  const { parseDestroyDatagram } = await import('../src/destroy/parse.js');
  const d = readFileSync('test/fixtures/destroy/0.bin'); // measure-destroy.sh runs in the package directory
  const kept: unknown[] = [];
  (globalThis as { gc?: () => void }).gc?.();
  const h0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < 50_000; i++) parseDestroyDatagram(d, d.length, Date.now(), (r) => void kept.push(r));
  (globalThis as { gc?: () => void }).gc?.();
  console.log(`heap per buffered TCP record: ${((process.memoryUsage().heapUsed - h0) / kept.length).toFixed(0)} bytes`);
}
process.exit(0);
