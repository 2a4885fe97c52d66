import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createMetricFold, createPluginContext, enrichRecords, foldRecords, listSockets, translateSsExporterConfig, validateSsExporterConfig, type MetricFamily, type SocketRecord } from '@sockscope/core';
import { linuxNetlinkCollector } from '@sockscope/collector-linux-netlink';
import { processEnricher } from '@sockscope/collector-linux-procfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Each example config of prometheus_ss_exporter's README, loaded as YAML text, translated, and
// rendered over live TCP connections read through the netlink collector and the process
// enricher. The connections live in a network namespace of our own (free ports, and a 10.x
// address on its loopback for the examples that select private networks), held by node
// processes started under the command names the examples select (nginx, postgres, node…).

const NETNS = `exporter-ssx-${process.pid}`;
const PRIVATE = '10.77.0.1';
const LO = '127.0.0.1';

/** The README's YAML, verbatim, from examples/prometheus-ss-exporter (one file per example). */
const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/prometheus-ss-exporter/', import.meta.url));
const examples: Record<string, string> = Object.fromEntries(
  Object.entries({
    minimal: 'minimal',
    'web server': 'web-server',
    database: 'database',
    microservices: 'microservices',
    edge: 'edge',
    development: 'development',
    'high-cardinality': 'high-cardinality',
  }).map(([name, file]) => [name, readFileSync(join(EXAMPLES_DIR, `${file}.yaml`), 'utf8')]),
);

/** Connections each holder process opens to itself: [host, port]. */
const holders: Record<string, Array<[string, number]>> = {
  nginx: [[LO, 443], [LO, 8081], [PRIVATE, 8000]],
  curl: [[LO, 444], [LO, 7000]],
  postgres: [[LO, 5432], [LO, 5433]],
  svc: [[PRIVATE, 8080], [LO, 8082], [PRIVATE, 7001]],
  node: [[LO, 3000], [LO, 9001], [LO, 8080]],
  ruby: [[LO, 3001], [PRIVATE, 443]],
};

/** Which holder connections each example must show (both ends of each), and nothing else. */
const expected: Record<string, { families: string[]; conns: Array<[string, number]> }> = {
  minimal: { families: ['tcp_rtt', 'tcp_data_segs_in', 'tcp_data_segs_out'], conns: Object.values(holders).flat() },
  'web server': {
    families: ['tcp_rtt', 'tcp_cwnd', 'tcp_delivery_rate', 'tcp_data_segs_in', 'tcp_data_segs_out', 'tcp_rtt_hist_ms'],
    conns: [[LO, 443]],
  },
  database: { families: ['tcp_rtt', 'tcp_delivery_rate', 'tcp_data_segs_in', 'tcp_data_segs_out', 'tcp_rtt_hist_ms'], conns: [[LO, 5432]] },
  microservices: {
    families: ['tcp_rtt', 'tcp_data_segs_in', 'tcp_data_segs_out', 'tcp_rtt_hist_ms'],
    conns: [[PRIVATE, 8000], [PRIVATE, 8080]],
  },
  // 444 is just outside 80-443; the 10.x holder on 443 is an excluded network
  edge: { families: ['tcp_rtt', 'tcp_data_segs_in', 'tcp_data_segs_out', 'tcp_rtt_hist_ms'], conns: [[LO, 443], [LO, 8080]] },
  development: { families: ['tcp_rtt'], conns: [[LO, 3000], [LO, 8080]] },
  // counters are not mentioned, so they keep prometheus_ss_exporter's default (on)
  'high-cardinality': {
    families: ['tcp_rtt', 'tcp_data_segs_in', 'tcp_data_segs_out', 'tcp_rtt_hist_ms'],
    conns: [[PRIVATE, 8000], [PRIVATE, 8080], [PRIVATE, 7001], [PRIVATE, 443]],
  },
};

// A holder: listen on each spec, connect to itself, move data both ways, report the client
// ports, then stay until stdin closes.
const HOLDER = `
const net = require('net');
const specs = JSON.parse(process.argv[1]);
const keep = [];
const conns = [];
let left = specs.length;
for (const [host, port] of specs) {
  const server = net.createServer((s) => { keep.push(s); s.on('data', () => {}); s.write(Buffer.alloc(65536, 1)); });
  keep.push(server);
  server.listen(port, host, () => {
    const c = net.connect(port, host);
    keep.push(c);
    let got = 0;
    c.on('connect', () => c.write(Buffer.alloc(32768, 2)));
    c.on('data', (d) => {
      got += d.length;
      if (got === 65536) {
        conns.push([host, port, c.localPort]);
        if (--left === 0) process.stdout.write(JSON.stringify(conns) + '\\n');
      }
    });
  });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

let binDir = '';
const children: ChildProcess[] = [];
/** host|port → client port of the holder connection. */
const clientPorts = new Map<string, number>();
/** The records of the test namespace, listed and enriched through the derived list forms. */
let snapshot: { timestamp: number; sockets: SocketRecord[] };

/** Both ends of a holder connection as prometheus_ss_exporter's raw_endpoint flow labels. */
function flowsOf([host, port]: [string, number]): string[] {
  const client = clientPorts.get(`${host}|${port}`);
  if (client === undefined) throw new Error(`no holder connection on ${host}:${port}`);
  return [`(SRC#${host}|${client})(DST#${host}|${port})`, `(SRC#${host}|${port})(DST#${host}|${client})`];
}

const byName = (out: MetricFamily[], name: string) => out.find((f) => f.name === name);

// Namespaces and port 443 need root; the netlink collector needs Linux.
const canRun = process.platform === 'linux' && process.getuid?.() === 0;

describe.skipIf(!canRun)('prometheus_ss_exporter README examples on live sockets', () => {
  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NETNS]);
    execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', NETNS, 'addr', 'add', `${PRIVATE}/32`, 'dev', 'lo']);
    binDir = mkdtempSync(join(tmpdir(), 'exporter-ssx-'));
    await Promise.all(
      Object.entries(holders).map(async ([name, specs]) => {
        // exec through a link named like the program, so /proc/PID/comm says nginx, postgres…
        symlinkSync(process.execPath, join(binDir, name));
        const child = spawn('ip', ['netns', 'exec', NETNS, join(binDir, name), '-e', HOLDER, JSON.stringify(specs)], { stdio: ['pipe', 'pipe', 'inherit'] });
        children.push(child);
        const line = await new Promise<string>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`holder ${name} exited with ${code}`)));
          createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
        });
        for (const [host, port, client] of JSON.parse(line) as Array<[string, number, number]>) clientPorts.set(`${host}|${port}`, client);
      }),
    );

    const collector = await linuxNetlinkCollector.create(createPluginContext(linuxNetlinkCollector, { protocols: ['tcp'], families: ['ipv4', 'ipv6'], namespaces: [NETNS] }));
    const enricher = await processEnricher.create(createPluginContext(processEnricher, { procfs_path: '/proc', cache_size: 256 }));
    try {
      const signal = new AbortController().signal;
      const result = await listSockets(collector, signal);
      const sockets: SocketRecord[] = result.sockets.filter((s) => s.netnsName === NETNS);
      await enrichRecords(enricher, sockets, signal);
      snapshot = { timestamp: Date.now(), sockets };
    } finally {
      await collector.close();
      await enricher.close();
    }
  }, 60_000);

  afterAll(() => {
    for (const c of children) {
      c.stdin?.end();
      c.kill();
    }
    try {
      execFileSync('ip', ['netns', 'del', NETNS]);
    } catch {
      // already gone
    }
    if (binDir) rmSync(binDir, { recursive: true, force: true });
  });

  it('the holders are seen with their command names', () => {
    const comms = new Set(snapshot.sockets.map((s) => s.process?.comm));
    for (const name of Object.keys(holders)) expect(comms).toContain(name);
  });

  it('pid_condensed packs the live pid of the owning process', () => {
    const cfg = parse(examples.database as string) as { logic: { compression: { labelFolding: string } } };
    cfg.logic.compression.labelFolding = 'pid_condensed';
    const out = foldRecords(createMetricFold(translateSsExporterConfig(cfg).flows), snapshot.timestamp, snapshot.sockets);
    const pid = snapshot.sockets.find((s) => s.process?.comm === 'postgres')?.process?.pid;
    const client = clientPorts.get(`${LO}|5432`);
    expect(pid).toBeGreaterThan(0);
    expect(byName(out, 'tcp_rtt')?.samples?.map((s) => s.labels.flow).sort()).toEqual(
      [`(${pid})(DST#${LO}|5432)`, `(${pid})(DST#${LO}|${client})`].sort(),
    );
  });

  for (const [name, yamlText] of Object.entries(examples)) {
    it(`${name}: loads, and emits the expected families for exactly the selected flows`, () => {
      const cfg: unknown = parse(yamlText);
      expect(validateSsExporterConfig(cfg)).toEqual([]);
      const renderer = createMetricFold(translateSsExporterConfig(cfg).flows);
      const out = foldRecords(renderer, snapshot.timestamp, snapshot.sockets);
      const want = expected[name];
      if (!want) throw new Error(`no expectation for ${name}`);
      expect(out.map((f) => f.name)).toEqual(want.families);

      const flows = want.conns.flatMap(flowsOf).sort();
      const rtt = byName(out, 'tcp_rtt')?.samples ?? [];
      expect(rtt.map((s) => s.labels.flow).sort()).toEqual(flows);
      for (const s of rtt) {
        expect(Object.keys(s.labels)).toEqual(['flow']);
        expect(s.value).toBeGreaterThan(0);
        expect(s.value).toBeLessThan(1000); // ms, on loopback
      }
      for (const counter of ['tcp_data_segs_in', 'tcp_data_segs_out']) {
        const f = byName(out, counter);
        if (!f) continue;
        expect(f.type).toBe('counter');
        expect(f.samples?.map((s) => s.labels.flow).sort()).toEqual(flows);
        // every end moved data both ways
        for (const s of f.samples ?? []) expect(s.value).toBeGreaterThan(0);
      }
      const rate = byName(out, 'tcp_delivery_rate');
      if (rate) for (const s of rate.samples ?? []) expect(flows).toContain(s.labels.flow);
      const hist = byName(out, 'tcp_rtt_hist_ms')?.histograms?.[0];
      if (hist) {
        expect(hist.count).toBe(flows.length);
        expect(hist.counts.at(-1)).toBeLessThanOrEqual(flows.length);
        expect([...hist.counts]).toEqual([...hist.counts].sort((a, b) => a - b));
      }
    });
  }
});
