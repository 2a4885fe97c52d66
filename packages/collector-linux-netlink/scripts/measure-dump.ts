// See measure-dump.sh. Two child processes hold the sockets (one process may keep at most
// 20,000 files open): one the listener and the accepted ends, one the connecting ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createPluginContext, listSockets } from '@sockscope/core';
import { createNetlinkCollector } from '../src/collector.js';
import type { NetlinkCollectorConfig } from '../src/config.js';
import { linuxNetlinkCollector } from '../src/plugin.js';

const N = Number(process.argv[2] ?? 10_000);
const PORT = 40100;

const SERVER = `
const net = require('net'); const kept = [];
const s = net.createServer((c) => { kept.push(c); if (kept.length === ${N}) console.log('ready'); });
s.listen({ port: ${PORT}, host: '127.0.0.1', backlog: 4096 }, () => console.log('listening'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
const CLIENT = `
const net = require('net'); const kept = []; let open = 0;
function one() { return new Promise((res, rej) => { const c = net.connect(${PORT}, '127.0.0.1', () => { kept.push(c); res(); }); c.on('error', rej); }); }
(async () => { for (let i = 0; i < ${N}; i += 500) await Promise.all(Array.from({ length: Math.min(500, ${N} - i) }, one)); console.log('connected'); })();
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;

async function child(code: string, until: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let seen = '';
  for await (const chunk of p.stdout as AsyncIterable<Buffer>) {
    seen += chunk.toString();
    if (seen.includes(until)) break;
  }
  return p;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
// The config as the agent hands it over: validated, with the schema's defaults filled in.
const ctx = (config: Partial<NetlinkCollectorConfig>) => createPluginContext(linuxNetlinkCollector, config, { logger: console, reportOnce: () => undefined });

const server = await child(SERVER, 'listening');
const t0 = performance.now();
const client = await child(CLIENT, 'connected');
console.log(`opened ${N} connections in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await new Promise((r) => setTimeout(r, 500));

// The machine is shared: wall time includes waiting for a CPU, so CPU time is reported too.
// GC pauses, kept with their start time: only those inside a collection count (not the
// forced gc() between runs).
const gcPauses: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });

async function measure(label: string, config: Partial<NetlinkCollectorConfig>, asyncRecv: boolean, runs = 9) {
  const c = await createNetlinkCollector(ctx(config), { asyncRecv });
  const times: number[] = [];
  const cpu: number[] = [];
  let stallMax = 0;
  let stallP99 = 0;
  let count = 0;
  let rssGrowth = 0;
  const windows: [number, number][] = [];
  for (let i = 0; i < runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const rss0 = process.memoryUsage().rss;
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const c0 = process.cpuUsage();
    const t = performance.now();
    // Every record kept, as a table in hand: the RSS growth is that of a whole collection.
    const r = await listSockets(c);
    times.push(performance.now() - t);
    windows.push([t, performance.now()]);
    const dc = process.cpuUsage(c0);
    cpu.push((dc.user + dc.system) / 1000);
    h.disable();
    rssGrowth = Math.max(rssGrowth, process.memoryUsage().rss - rss0);
    stallMax = Math.max(stallMax, h.max / 1e6);
    stallP99 = Math.max(stallP99, h.percentile(99) / 1e6);
    count = r.sockets.length;
  }
  await c.close();
  await new Promise((r) => setTimeout(r, 50)); // let the observer deliver the last entries
  const gcMax = Math.max(0, ...gcPauses.filter((g) => windows.some(([a, b]) => g.start >= a && g.start <= b)).map((g) => g.duration));
  console.log(
    `${label.padEnd(34)} sockets ${count}  wall median ${median(times).toFixed(1)} / min ${Math.min(...times).toFixed(1)} ms  ` +
      `CPU median ${median(cpu).toFixed(1)} ms  stall max ${stallMax.toFixed(1)} ms (p99 ${stallP99.toFixed(1)}, longest GC ${gcMax.toFixed(1)})  ` +
      `RSS growth ≤ ${(rssGrowth / 2 ** 20).toFixed(1)} MiB`,
  );
  return { wall: median(times), min: Math.min(...times), cpu: median(cpu) };
}

function ssWall(args: string[], runs = 9): { wall: number; min: number; cpu: number } {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    // GNU time prints the child's user and system CPU seconds on stderr.
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '/usr/bin/ss', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    times.push(performance.now() - t);
    const [u = 0, sys = 0] = r.stderr.trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
    cpu.push((u + sys) * 1000);
  }
  return { wall: median(times), min: Math.min(...times), cpu: median(cpu) };
}

const ssTin = ssWall(['-tin']);
const ssTina = ssWall(['-tina']);
console.log(`ss -tin  > /dev/null                  wall median ${ssTin.wall.toFixed(1)} / min ${ssTin.min.toFixed(1)} ms  CPU median ${ssTin.cpu.toFixed(0)} ms (10 ms resolution)`);
console.log(`ss -tina > /dev/null                  wall median ${ssTina.wall.toFixed(1)} / min ${ssTina.min.toFixed(1)} ms  CPU median ${ssTina.cpu.toFixed(0)} ms`);
const tcpSync = await measure('tcp/ipv4 all states, sync recv', { protocols: ['tcp'], families: ['ipv4'] }, false);
const tcpAsync = await measure('tcp/ipv4 all states, async recv', { protocols: ['tcp'], families: ['ipv4'] }, true);
const estSync = await measure('tcp/ipv4 ESTABLISHED, sync recv', { protocols: ['tcp'], families: ['ipv4'], states: ['ESTABLISHED'] }, false);
const all = await measure('default config (tcp+udp, v4+v6)', {}, false);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
console.log(`ESTABLISHED dump+parse / ss -tin: wall median ${ratio(estSync.wall, ssTin.wall)}, wall min ${ratio(estSync.min, ssTin.min)}, CPU ${ratio(estSync.cpu, ssTin.cpu)}`);
console.log(`all-states dump+parse / ss -tina: wall median ${ratio(tcpSync.wall, ssTina.wall)}, wall min ${ratio(tcpSync.min, ssTina.min)}, CPU ${ratio(tcpSync.cpu, ssTina.cpu)}`);
console.log(`async / sync recv: wall median ${ratio(tcpAsync.wall, tcpSync.wall)}, CPU ${ratio(tcpAsync.cpu, tcpSync.cpu)}; default config wall median ${all.wall.toFixed(1)} ms`);

server.stdin?.end();
client.stdin?.end();
await Promise.all([once(server, 'exit'), once(client, 'exit')]);
process.exit(0);
