import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CGROUP_HIERARCHIES, kubepodsCgroup, placeInCgroup, removeCgroups, writeContainerdBundle } from '../fake-containers.js';
import { startCli, type RunningCli } from '../run-cli.js';
import { dashboardQueries, expandGrafanaVariables } from './promql.js';
import { startPrometheus, waitFor, type PromSample, type PrometheusServer } from './prometheus-server.js';

// The fleet service map end to end (issue 21), with the real Prometheus and the shipped rules.
//
// Four network namespaces hang off one bridge (in a fifth, "switch" namespace, so no host
// firewall sees the bridged traffic) by veths; the test's own namespace joins it too, which is
// where Prometheus scrapes from. One agent runs in each of "client", "server" and "third"
// (`ip netns exec`, listening on its namespace's address, its instance_name set); "fourth" has no
// agent. A workload runs in each agent's namespace, moved into a cgroup shaped like a Kubernetes
// container of containerd with its OCI bundle under a temp state root (as
// test/workload-identity.test.ts does): web (a Deployment's pod) in client connects to api in
// server, api (a Deployment's pod) connects to db in third (a StatefulSet's pod), and web also
// connects to a plain listener in fourth, an address no agent owns.

const u = randomBytes(3).toString('hex');
const RUN = `${process.pid}-${u}`;
const NAMESPACE = `shop-${u}`;
const SUBNET = `10.${200 + (randomBytes(1)[0] as number) % 50}.${1 + (randomBytes(1)[0] as number) % 250}`;
const SWITCH = `sockscope-fleet-sw-${u}`;
const BRIDGE = 'br0';
const ROOT_VETH = `sfr${u}`;
const ROOT_ADDR = `${SUBNET}.1`;

interface Host {
  role: 'client' | 'server' | 'third' | 'fourth';
  ns: string;
  addr: string;
}
const host = (role: Host['role'], n: number): Host => ({ role, ns: `sockscope-fleet-${role}-${u}`, addr: `${SUBNET}.${n}` });
const HOSTS = { client: host('client', 11), server: host('server', 12), third: host('third', 13), fourth: host('fourth', 14) };
const AGENTS = [HOSTS.client, HOSTS.server, HOSTS.third];

// Kubernetes' generated name parts avoid vowels and 0, 1, 3
const WORKLOADS = {
  web: { pod: `web${u}-7d4b9c8f6d-x2x9z`, workload: `web${u}`, container: 'web', id: randomBytes(32).toString('hex') },
  api: { pod: `api${u}-5f6d7c8b9d-k2x4z`, workload: `api${u}`, container: 'api', id: randomBytes(32).toString('hex') },
  db: { pod: `db${u}-0`, workload: `db${u}`, container: 'postgres', id: randomBytes(32).toString('hex') },
};
const PORTS = { api: 8080, db: 5432, external: 9000 };

const TOP = `sockscope-fleet-${RUN}.slice`;
const podCgroup = (id: string, n: number) => kubepodsCgroup(TOP, 'besteffort', `${n}${u}`, id);

const RULES = fileURLToPath(new URL('../../../../examples/prometheus/rules/fleet.yml', import.meta.url));
const MAP_SCRIPT = fileURLToPath(new URL('../../../../scripts/fleet/map-svg.mjs', import.meta.url));
const DOCS = fileURLToPath(new URL('../../../../docs/fleet/', import.meta.url));
const DASHBOARD: unknown = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../examples/prometheus/grafana/sockscope-fleet.json', import.meta.url)), 'utf8'));

// A workload: listens (echoing) on `listen`, opens `connect` connections and writes once on each;
// prints "ready" once every one is open; exits when its stdin ends.
const WORKLOAD_SCRIPT = `
const net = require('net');
const cfg = JSON.parse(process.env.FLEET_WORKLOAD);
const held = [];
const start = () => {
  let pending = cfg.connect.reduce((a, c) => a + c.count, 0);
  if (pending === 0) console.log('ready');
  for (const c of cfg.connect) for (let i = 0; i < c.count; i++) {
    const s = net.connect({ host: c.host, port: c.port }, () => { s.write('hello'); if (--pending === 0) console.log('ready'); });
    s.on('error', (e) => { console.error(String(e)); process.exit(1); });
    s.on('data', () => {});
    held.push(s);
  }
};
if (cfg.listen) {
  const server = net.createServer((s) => { s.on('data', (d) => s.write(d)); s.on('error', () => {}); held.push(s); });
  server.listen(cfg.listen, '0.0.0.0', start);
} else start();
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const sh = (...args: string[]) => execFileSync(args[0] as string, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
const tryDo = (f: () => unknown) => {
  try {
    f();
  } catch {
    // already gone
  }
};

/** The switch namespace with its bridge, the four hosts on it, and this namespace's own port on it. */
function buildNetwork(): void {
  sh('ip', 'netns', 'add', SWITCH);
  sh('ip', '-n', SWITCH, 'link', 'add', BRIDGE, 'type', 'bridge');
  sh('ip', '-n', SWITCH, 'link', 'set', BRIDGE, 'up');
  const port = (name: string) => {
    sh('ip', '-n', SWITCH, 'link', 'set', name, 'master', BRIDGE);
    sh('ip', '-n', SWITCH, 'link', 'set', name, 'up');
  };
  for (const h of Object.values(HOSTS)) {
    sh('ip', 'netns', 'add', h.ns);
    sh('ip', '-n', h.ns, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', SWITCH, 'link', 'add', `p-${h.role}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns);
    port(`p-${h.role}`);
    sh('ip', '-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', 'eth0');
    sh('ip', '-n', h.ns, 'link', 'set', 'eth0', 'up');
  }
  sh('ip', 'link', 'add', ROOT_VETH, 'type', 'veth', 'peer', 'name', 'p-root', 'netns', SWITCH);
  port('p-root');
  sh('ip', 'addr', 'add', `${ROOT_ADDR}/24`, 'dev', ROOT_VETH);
  sh('ip', 'link', 'set', ROOT_VETH, 'up');
}

function removeNetwork(): void {
  tryDo(() => sh('ip', 'link', 'del', ROOT_VETH));
  for (const ns of [SWITCH, ...Object.values(HOSTS).map((h) => h.ns)]) tryDo(() => sh('ip', 'netns', 'delete', ns));
}


/** The edge series' labels, name left out, as sorted JSON lines (order-free comparison). */
const edgeSet = (samples: PromSample[]) =>
  samples.map((s) => JSON.stringify(Object.fromEntries(Object.entries(s.metric).filter(([k]) => k !== '__name__').sort(([a], [b]) => a.localeCompare(b))))).sort();

const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;

describe.runIf(linux && root && CGROUP_HIERARCHIES.length > 0)('fleet map: three agents in three namespaces, one Prometheus, the shipped rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-fleet-'));
  const stateRoot = join(dir, 'containerd');
  const children: ChildProcess[] = [];
  const agents: RunningCli[] = [];
  let prom: PrometheusServer | undefined;

  /** Writes the OCI bundle containerd's CRI plugin would have written for a workload's container. */
  const bundle = (w: (typeof WORKLOADS)[keyof typeof WORKLOADS]) =>
    writeContainerdBundle(stateRoot, { id: w.id, container: w.container, image: `registry.example/${w.container}:1`, pod: w.pod, namespace: NAMESPACE, podUid: `9e1b5a5c-7f0e-4d2b-a8c3-${w.id.slice(0, 12)}` });

  /** Starts a workload in a namespace; resolves once it says every connection is open. */
  const startWorkload = async (ns: string, cfg: { listen?: number; connect: { host: string; port: number; count: number }[] }) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', WORKLOAD_SCRIPT], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, FLEET_WORKLOAD: JSON.stringify(cfg) },
    });
    children.push(child);
    const [line] = (await Promise.race([
      once(createInterface({ input: child.stdout! }), 'line'),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`workload in ${ns} exited with ${String(code)}`))),
    ])) as [string];
    expect(line).toBe('ready');
    return child;
  };

  beforeAll(async () => {
    removeNetwork();
    buildNetwork();
    for (const w of Object.values(WORKLOADS)) bundle(w);
    // servers first, then their clients; each moved into its container's cgroup before any agent reads it
    const db = await startWorkload(HOSTS.third.ns, { listen: PORTS.db, connect: [] });
    placeInCgroup(podCgroup(WORKLOADS.db.id, 3), db.pid!);
    await startWorkload(HOSTS.fourth.ns, { listen: PORTS.external, connect: [] });
    const api = await startWorkload(HOSTS.server.ns, { listen: PORTS.api, connect: [{ host: HOSTS.third.addr, port: PORTS.db, count: 1 }] });
    placeInCgroup(podCgroup(WORKLOADS.api.id, 2), api.pid!);
    const web = await startWorkload(HOSTS.client.ns, {
      connect: [
        { host: HOSTS.server.addr, port: PORTS.api, count: 2 },
        { host: HOSTS.fourth.addr, port: PORTS.external, count: 1 },
      ],
    });
    placeInCgroup(podCgroup(WORKLOADS.web.id, 1), web.pid!);

    for (const h of AGENTS) {
      const config = join(dir, `${h.role}.yaml`);
      writeFileSync(
        config,
        [
          'collection: { min_interval: 0s }',
          'collectors:',
          `  linux-procfs: { addresses: { instance_name: ${h.role} } }`,
          'enrichers:',
          `  container: { runtime_roots: { containerd: [${stateRoot}] } }`,
          'flows: { families: { flow_sockets: true } }',
        ].join('\n') + '\n',
      );
      agents.push(await startCli(['--config', config, '--web.listen-address', `${h.addr}:0`], { prefix: ['ip', 'netns', 'exec', h.ns] }));
    }
    prom = await startPrometheus([
      'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(RULES)}]`,
      'scrape_configs:',
      '  - job_name: sockscope',
      `    static_configs: [{ targets: [${AGENTS.map((h, i) => `'${h.addr}:${agents[i]?.port}'`).join(', ')}] }]`,
    ].join('\n'));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([prom?.stop(), ...agents.map((a) => a.stop('SIGKILL'))]);
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end();
        await once(child, 'exit');
      }
    }
    removeNetwork();
    await removeCgroups(TOP);
    rmSync(dir, { recursive: true, force: true });
  });

  const expectedEdges = () => {
    const wl = (w: keyof typeof WORKLOADS) => `${NAMESPACE}/${WORKLOADS[w].workload}`;
    const edges: Record<string, string>[] = [
      { client_instance: 'client', client_workload: wl('web'), server_instance: 'server', server_workload: wl('api'), server_port: String(PORTS.api) },
      { client_instance: 'server', client_workload: wl('api'), server_instance: 'third', server_workload: wl('db'), server_port: String(PORTS.db) },
      { client_instance: 'client', client_workload: wl('web'), address: HOSTS.fourth.addr, server_port: String(PORTS.external), remote_space: 'private' },
    ];
    return edgeSet(edges.map((metric): PromSample => ({ metric, value: [0, '0'] })));
  };

  it('every agent is scraped and publishes its addresses under its instance_name, and its pod\'s address', async () => {
    const p = prom as PrometheusServer;
    await waitFor('three agents up', async () => {
      const up = await p.query('sum(up{job="sockscope"})');
      return Number(up[0]?.value[1] ?? 0) === 3 || `up: ${up[0]?.value[1] ?? 'none'}`;
    }, 60_000);
    const names = await p.query(`sockscope_host_address_info{interface="eth0", address=~"${SUBNET.replaceAll('.', '\\\\.')}\\\\..*"}`);
    expect(names.map((s) => `${s.metric.instance_name} ${s.metric.address}`).sort()).toEqual(AGENTS.map((h) => `${h.role} ${h.addr}`).sort());
    await waitFor('the workloads\' addresses', async () => {
      const w = await p.query(`sockscope_workload_address_info{namespace="${NAMESPACE}"}`);
      const got = w.map((s) => `${s.metric.pod} ${s.metric.address} ${s.metric.workload}`).sort();
      const want = [
        `${WORKLOADS.api.pod} ${HOSTS.server.addr} ${WORKLOADS.api.workload}`,
        `${WORKLOADS.db.pod} ${HOSTS.third.addr} ${WORKLOADS.db.workload}`,
        `${WORKLOADS.web.pod} ${HOSTS.client.addr} ${WORKLOADS.web.workload}`,
      ];
      return JSON.stringify(got) === JSON.stringify(want) || JSON.stringify(got);
    }, 60_000);
  });

  it('a live query of the edge series returns exactly the expected edges: client → server, server → third, and client → an address no agent owns', async () => {
    const p = prom as PrometheusServer;
    let last: PromSample[] = [];
    await waitFor('the expected edges', async () => {
      last = await p.query('sockscope:service_edge_connections');
      return JSON.stringify(edgeSet(last)) === JSON.stringify(expectedEdges()) || JSON.stringify(edgeSet(last));
    }, 90_000);
    expect(edgeSet(last)).toEqual(expectedEdges());
    // open connections per edge: 2 web → api, 1 api → db, 1 web → the external listener
    const byTarget = Object.fromEntries(last.map((s) => [s.metric.server_workload ?? s.metric.address, Number(s.value[1])]));
    expect(byTarget).toEqual({ [`${NAMESPACE}/${WORKLOADS.api.workload}`]: 2, [`${NAMESPACE}/${WORKLOADS.db.workload}`]: 1, [HOSTS.fourth.addr]: 1 });
    // every edge has its RTT and its retransmit rate (0 on a quiet veth)
    await waitFor('RTT and retransmits of every edge', async () => {
      const rtt = await p.query('sockscope:service_edge_rtt_seconds:max');
      const retrans = await p.query('sockscope:service_edge_retransmits:rate5m');
      return (JSON.stringify(edgeSet(rtt)) === JSON.stringify(expectedEdges()) && JSON.stringify(edgeSet(retrans)) === JSON.stringify(expectedEdges())) || `rtt ${rtt.length}, retransmits ${retrans.length}`;
    }, 60_000);
    for (const s of await p.query('sockscope:service_edge_rtt_seconds:max')) expect(Number(s.value[1])).toBeGreaterThan(0);
    // the map script draws these series: every node and edge (docs/fleet/map.svg was made so, from a run's edges.json)
    const rtt = await p.query('sockscope:service_edge_rtt_seconds:max');
    const out = process.env.SOCKSCOPE_FLEET_EDGES_OUT ?? join(dir, 'edges.json');
    writeFileSync(out, JSON.stringify({ connections: last, rtt }, null, 2) + '\n');
    const svg = execFileSync(process.execPath, [MAP_SCRIPT, out], { encoding: 'utf8' });
    for (const title of [...Object.values(WORKLOADS).map((w) => `${NAMESPACE}/${w.workload}`), HOSTS.fourth.addr]) expect(svg).toContain(`>${title}</text>`);
    expect(svg.match(/<path d="M [\d.]+ [\d.]+ C /g)).toHaveLength(3);
  });

  it('every query of grafana/sockscope-fleet.json returns data', async () => {
    const p = prom as PrometheusServer;
    const { panels } = dashboardQueries(DASHBOARD);
    expect(panels.length).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const q of panels) {
      const expr = expandGrafanaVariables(q.expr, { instance: '.+' });
      const result = await p.query(expr).catch((err: unknown) => problems.push(`${q.id}: ${String(err)}`));
      if (Array.isArray(result) && result.length === 0) problems.push(`${q.id}: no data for ${expr}`);
    }
    expect(problems).toEqual([]);
    // the node graph's frames: nodes with an id each, edges whose source and target are nodes
    const [nodesQ, edgesQ] = panels.filter((q) => q.id.startsWith('Service map'));
    const nodes = new Set((await p.query(nodesQ!.expr)).map((s) => s.metric.id));
    const edges = await p.query(edgesQ!.expr);
    expect(edges).toHaveLength(3);
    for (const e of edges) expect([nodes.has(e.metric.source), nodes.has(e.metric.target)], JSON.stringify(e.metric)).toEqual([true, true]);
    expect(nodes.size).toBe(4); // web, api, db and the external address
  });
});

describe('the committed fleet picture', () => {
  it('docs/fleet/map.svg is what scripts/fleet/map-svg.mjs draws from docs/fleet/edges.json (edges recorded by this test)', () => {
    const svg = execFileSync(process.execPath, [MAP_SCRIPT, join(DOCS, 'edges.json')], { encoding: 'utf8' });
    expect(svg).toBe(readFileSync(join(DOCS, 'map.svg'), 'utf8'));
  });
});

describe('grafana/sockscope-fleet.json', () => {
  const d = DASHBOARD as { panels: { id: number; type: string; title: string; datasource?: { uid: string }; targets?: { refId: string; datasource?: { uid: string } }[] }[] };

  it('takes its data source from a variable, has unique panel ids and refIds, a node graph and a worst-edges table', () => {
    const fixed = d.panels.flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]).filter((x) => x?.uid !== '${datasource}');
    expect(fixed).toEqual([]);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) expect(new Set((p.targets ?? []).map((t) => t.refId)).size).toBe((p.targets ?? []).length);
    expect(d.panels.find((p) => p.title === 'Service map')?.type).toBe('nodegraph');
    expect(d.panels.find((p) => p.title === 'Worst edges')?.type).toBe('table');
  });
});
