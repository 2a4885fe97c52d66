import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, startCli } from './run-cli.js';

// A golden file of /metrics, recorded before the pipeline refactor, so the refactor can prove it
// changes no name, label or value. Real loopback sockets are opened, exchange a fixed number of
// bytes once, then sit idle ("paused"), so their kernel counters no longer move and can be
// compared exactly. The built CLI is started with four configs and each scrape is reduced to a
// canonical, sorted form (series order may legitimately change) and compared with
// test/golden/<config>.txt. UPDATE_GOLDEN=1 rewrites the files instead of comparing.
// The values are what Linux reports (e.g. a client's bytes_acked counts its SYN: 1001 for 1000
// bytes sent), so the files are for Linux only; re-record them only on a commit known to be right.

const GOLDEN_DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';
// Addresses of our own on loopback (all of 127/8 is local on Linux) so that sockets of other
// test files, which use 127.0.0.1, can never fold into our series.
const SERVER_ADDR = '127.0.0.91';
const CLIENT_ADDR = '127.0.0.92';
const CLIENTS = 3;
// A distinct size per client, so a series that merged or swapped two clients shows in the values.
const clientBytes = (i: number) => 1000 * (i + 1);
const REPLY_BYTES = 300;
const BACKLOG = 17;

// Families whose values move with scheduling even on an idle socket (round-trip times and what
// is derived from them): their series are kept, their values masked.
const VOLATILE_VALUE = /rtt|delivery_rate/;
// The exporter's own runtime (prom-client's process_* and nodejs_*): which families and labels show
// up depends on what already happened in the process (nodejs_gc_duration_seconds has no series
// before the first GC, and a family with no series is not written), and it is not what the
// pipeline renders: left out.
const RUNTIME_FAMILY = /^(process|nodejs)_/;

/** Placeholders for the ephemeral ports, by role, so the golden file does not depend on them. */
const ports = new Map<number, string>();

type Sample = { name: string; labels: Array<[string, string]>; value: string };

/** Parses one sample line; label values may hold spaces, commas, braces and escaped quotes. */
function parseSample(line: string): Sample {
  const head = /^([a-zA-Z_:][\w:]*)/.exec(line);
  if (!head) throw new Error(`unparsable line: ${line}`);
  let rest = line.slice(head[1]!.length);
  const labels: Array<[string, string]> = [];
  if (rest.startsWith('{')) {
    const re = /\s*,?\s*([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/y;
    re.lastIndex = 1;
    let m: RegExpExecArray | null;
    while ((m = re.exec(rest))) labels.push([m[1]!, m[2]!]);
    const close = rest.indexOf('}', re.lastIndex);
    if (close < 0) throw new Error(`unterminated labels: ${line}`);
    rest = rest.slice(close + 1);
  }
  return { name: head[1]!, labels, value: rest.trim().split(/\s+/)[0] ?? '' };
}

// Our process name as the kernel has it: vitest retitles its workers "node (vitest N)", N by the
// worker slot the file happens to run in, so it becomes a placeholder too.
const OWN_COMM = process.platform === 'linux' ? readFileSync('/proc/self/comm', 'utf8').trim() : '';

/** A label value with our ports (never inside a longer number or an address) and process name replaced by their role. */
const placeholders = (v: string) =>
  v.replace(/(?<![\d.])\d{2,5}(?![\d.])/g, (p) => ports.get(Number(p)) ?? p).replaceAll(OWN_COMM || '\0', 'OWN_PROCESS');
/** A series of our sockets: by address, or (folded inbound, listen queue) by our listening port. */
const ownSocket = (labels: Array<[string, string]>) =>
  labels.some(([k, v]) => v.includes(SERVER_ADDR) || v.includes(CLIENT_ADDR) || (k === 'local_port' && ports.get(Number(v)) === 'PORT_LISTEN'));

/** The order-independent canonical form of an exposition (see the comments for what is kept). */
function canonical(text: string): string[] {
  const types = new Map<string, string>();
  const labelNames = new Map<string, Set<string>>();
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    if (!line.trim() || line.startsWith('#')) continue;
    const s = parseSample(line);
    // _bucket/_sum/_count samples belong to their histogram or summary family
    const base = s.name.replace(/_(bucket|sum|count)$/, '');
    const family = types.has(s.name) ? s.name : types.has(base) ? base : s.name;
    if (!types.has(family)) types.set(family, 'untyped');
    const names = labelNames.get(family) ?? new Set<string>();
    labelNames.set(family, names);
    for (const [k] of s.labels) names.add(k);
    const labels = s.labels.map(([k, v]): [string, string] => [k, placeholders(v)]).sort(([a], [b]) => (a < b ? -1 : 1));
    const series = `${s.name}{${labels.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    if (family === 'sockscope_scrape_collector_success') out.push(`${series} ${s.value}`);
    // how long a collector took varies; which collectors ran does not
    else if (family === 'sockscope_scrape_collector_duration_seconds') out.push(`${series} MASKED`);
    // our paused sockets: exact counters (bytes, segments, retransmits, queues, cwnd, backlog)
    else if (ownSocket(s.labels)) out.push(`${series} ${VOLATILE_VALUE.test(family) ? 'MASKED' : s.value}`);
  }
  // every family, including the host ones (node_*), whose values and devices vary: name, type and label names
  for (const [family, type] of types) {
    if (RUNTIME_FAMILY.test(family)) continue;
    const names = [...(labelNames.get(family) ?? [])].sort().join(',');
    out.push(`# family ${family} ${type} labels=${names}`);
  }
  return out.sort();
}

const configs: Record<string, string | undefined> = {
  default: undefined,
  raw_endpoint: 'flows:\n  folding: raw_endpoint\n',
  peer: 'flows:\n  folding: peer\n',
  prometheus_ss_exporter: readFileSync(fileURLToPath(new URL('../../../examples/prometheus-ss-exporter/minimal.yaml', import.meta.url)), 'utf8'),
};

describe.runIf(process.platform === 'linux')('golden /metrics on paused loopback sockets', () => {
  const sockets: net.Socket[] = [];
  let server: net.Server;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golden-metrics-'));
    let received = 0;
    let replied = 0;
    const total = Array.from({ length: CLIENTS }, (_, i) => clientBytes(i)).reduce((a, b) => a + b, 0);
    server = net.createServer((s) => {
      sockets.push(s);
      // reply once, on the first data, so every accepted socket has sent and received
      s.once('data', () => s.write(Buffer.alloc(REPLY_BYTES, 1)));
      s.on('data', (d: Buffer) => (received += d.length));
    });
    await new Promise<void>((r) => server.listen({ port: 0, host: SERVER_ADDR, backlog: BACKLOG }, r));
    ports.set((server.address() as net.AddressInfo).port, 'PORT_LISTEN');
    // one client at a time, so PORT_CLIENT_n is always the client that sent clientBytes(n - 1)
    for (let i = 0; i < CLIENTS; i++) {
      const c = net.connect({ port: (server.address() as net.AddressInfo).port, host: SERVER_ADDR, localAddress: CLIENT_ADDR });
      await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
      sockets.push(c);
      ports.set(c.localPort as number, `PORT_CLIENT_${i + 1}`);
      const got = new Promise<void>((r) =>
        c.on('data', (d: Buffer) => {
          replied += d.length;
          r();
        }),
      );
      c.write(Buffer.alloc(clientBytes(i), 2));
      await got;
    }
    while (received < total || replied < CLIENTS * REPLY_BYTES) await new Promise((r) => setTimeout(r, 10));
    // longer than the kernel's longest delayed ACK (200 ms), so every byte is acked before the first scrape
    await new Promise((r) => setTimeout(r, 500));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, yaml] of Object.entries(configs)) {
    it(`${name}: same canonical /metrics as test/golden/${name}.txt`, async () => {
      let args: string[] = [];
      if (yaml !== undefined) {
        writeFileSync(join(dir, `${name}.yaml`), yaml);
        args = ['--config', join(dir, `${name}.yaml`)];
      }
      const cli = await startCli(args);
      let first: string[];
      let second: string[];
      try {
        const a = await httpGet(cli.port, '/metrics');
        const b = await httpGet(cli.port, '/metrics');
        expect([a.status, b.status]).toEqual([200, 200]);
        first = canonical(a.body);
        second = canonical(b.body);
      } finally {
        await cli.stop();
      }
      // the sockets are paused: a second scrape must say exactly the same (else the golden file would flake)
      expect(second).toEqual(first);
      // and our sockets must be in it (a golden file without them would prove nothing)
      expect(first.some((l) => !l.startsWith('#') && l.includes('PORT_LISTEN'))).toBe(true);
      const file = join(GOLDEN_DIR, `${name}.txt`);
      if (UPDATE) {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, first.join('\n') + '\n');
      } else {
        expect(first).toEqual(readFileSync(file, 'utf8').trimEnd().split('\n'));
      }
    });
  }
});
