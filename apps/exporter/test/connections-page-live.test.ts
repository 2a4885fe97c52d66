/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CGROUP_HIERARCHIES, kubepodsCgroup, placeInCgroup, removeCgroups, writeContainerdBundle } from './fake-containers.js';
import { startCli, type RunningCli } from './run-cli.js';

// The live connections page (issue 17) in a real headless Chromium against a RUNNING agent (the
// built CLI with --web.enable-connections behind web-config basic auth, reading every network
// namespace, the container enricher pointed at a fake containerd state root), with real sockets:
// - two host processes with names of their own (node started through symlinks, so comm differs):
//   a server and a client holding 3 loopback connections to it: one local link in the topology;
// - the same client holding 2 connections to a server in a named netns (`ip netns add`, a veth
//   pair): an endpoint actor, and rows in that netns carrying its name;
// - a holder in a cgroup shaped like a Kubernetes containerd container (both hierarchies of a
//   hybrid host) with its OCI bundle under a temp runtime root: rows carrying container, pod and
//   namespace.
// Screenshots of each view go to apps/exporter/test-artifacts/ (gitignored); with
// SOCKSCOPE_UPDATE_SCREENSHOTS=1 they replace docs/images/connections-*.png.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const DOCS_IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));

const u = randomBytes(3).toString('hex');
const RUN = `${process.pid}-${u}`;
const SERVER_COMM = `ssrv${u}`;
const CLIENT_COMM = `scli${u}`;
const POD = `web${u}-7d4b9c8f6d-x2x9z`;
const NAMESPACE = `shop-${u}`;
const POD_UID = `9e1b5a5c-7f0e-4d2b-a8c3-${u}${u}`;
const CONTAINER = 'nginx';
const IMAGE = `registry.example/web-${u}:1.27`;
const ID_K8S = randomBytes(32).toString('hex');
const NETNS = `sockscope-page-${RUN}`;
const VETH_HOST = `svh${u}`;
const VETH_NS = `svn${u}`;
// a /30 of 10.231.0.0/16 picked per run
const NET = `10.231.${parseInt(u.slice(0, 2), 16)}.${(parseInt(u.slice(2, 4), 16) & 0xfc) >>> 0}`;
const octets = NET.split('.').map(Number);
const HOST_ADDR = `${octets[0]}.${octets[1]}.${octets[2]}.${(octets[3] as number) + 1}`;
const NS_ADDR = `${octets[0]}.${octets[1]}.${octets[2]}.${(octets[3] as number) + 2}`;
const NS_PORT = 47_911;
const USER = 'alice';
const PASSWORD = 's3cret-page';

const TOP = `sockscope-page-${RUN}.slice`;
const K8S_CGROUP = kubepodsCgroup(TOP, 'burstable', POD_UID.replaceAll('-', '_'), ID_K8S);

// listens on HOST:PORT (0: the kernel picks), accepts and holds; prints the port; exits when stdin ends
const serverScript = (host: string, port: number) => `
const net = require('net');
const held = [];
const server = net.createServer((s) => held.push(s));
server.listen(${port}, '${host}', () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;
// holds COUNT connections to each "host:port:count" of argv; prints once all are connected
const clientScript = `
const net = require('net');
const targets = process.argv.slice(1).map((t) => t.split(':'));
let left = targets.reduce((n, t) => n + Number(t[2]), 0);
const held = [];
for (const [host, port, count] of targets) for (let i = 0; i < Number(count); i++) held.push(net.connect({ host, port: Number(port) }, () => { if (--left === 0) console.log('{}'); }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;
// the container's workload: COUNT loopback connections to its own listener
const holderScript = (count: number) => `
const net = require('net');
let accepted = 0;
const server = net.createServer(() => { if (++accepted === ${count}) console.log(JSON.stringify({ port: server.address().port })); });
server.listen(0, '127.0.0.1', () => { for (let i = 0; i < ${count}; i++) net.connect({ port: server.address().port, host: '127.0.0.1' }); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });

async function startChild(command: string[]): Promise<{ child: ChildProcess; line: Record<string, number> }> {
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, line: JSON.parse(line) as Record<string, number> };
}


/** GET with basic auth (or without when `auth` is false): status and body. */
function get(port: number, path: string, auth = true): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, auth: auth ? `${USER}:${PASSWORD}` : undefined }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

interface Row {
  direction: string;
  protocol: string;
  state: string;
  netns: string;
  pid?: number;
  process?: string;
  container?: string;
  pod?: string;
  namespace?: string;
  image?: string;
  local_ip: string;
  local_port: number;
  remote_ip: string;
  remote_port: number;
  server_port: number;
  count?: number;
}

const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;

describe.runIf(linux && root && CGROUP_HIERARCHIES.length > 0 && existsSync(CHROMIUM))('connections page against a running agent (real Chromium, basic auth, named netns, fake containerd container)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-page-live-'));
  const stateRoot = join(dir, 'containerd');
  const children: ChildProcess[] = [];
  let serverPort = 0;
  let containerPort = 0;
  let clientPid = 0;
  let serverPid = 0;
  let cli: RunningCli | undefined;
  let browser: Browser | undefined;
  let nsCreated = false;

  beforeAll(async () => {
    // names of their own: node started through a symlink runs with that comm
    const serverBin = join(dir, SERVER_COMM);
    const clientBin = join(dir, CLIENT_COMM);
    symlinkSync(process.execPath, serverBin);
    symlinkSync(process.execPath, clientBin);

    // the named netns, reachable from the host over a veth pair
    try {
      ip('netns', 'delete', NETNS);
    } catch {
      // none left over: the usual case
    }
    ip('netns', 'add', NETNS);
    nsCreated = true;
    ip('-n', NETNS, 'link', 'set', 'lo', 'up');
    ip('link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_NS);
    ip('link', 'set', VETH_NS, 'netns', NETNS);
    ip('addr', 'add', `${HOST_ADDR}/30`, 'dev', VETH_HOST);
    ip('link', 'set', VETH_HOST, 'up');
    ip('-n', NETNS, 'addr', 'add', `${NS_ADDR}/30`, 'dev', VETH_NS);
    ip('-n', NETNS, 'link', 'set', VETH_NS, 'up');
    const nsServer = await startChild(['ip', 'netns', 'exec', NETNS, process.execPath, '-e', serverScript(NS_ADDR, NS_PORT)]);
    children.push(nsServer.child);

    const server = await startChild([serverBin, '-e', serverScript('127.0.0.1', 0)]);
    children.push(server.child);
    serverPort = server.line.port as number;
    serverPid = server.child.pid!;
    const client = await startChild([clientBin, '-e', clientScript, `127.0.0.1:${serverPort}:3`, `${NS_ADDR}:${NS_PORT}:2`]);
    children.push(client.child);
    clientPid = client.child.pid!;

    // the fake containerd container: its bundle under a temp state root, its cgroup in each hierarchy
    writeContainerdBundle(stateRoot, { id: ID_K8S, container: CONTAINER, image: IMAGE, pod: POD, namespace: NAMESPACE, podUid: POD_UID, args: ['nginx'] });
    const holder = await startChild([process.execPath, '-e', holderScript(2)]);
    children.push(holder.child);
    containerPort = holder.line.port as number;
    placeInCgroup(K8S_CGROUP, holder.child.pid!);

    const config = join(dir, 'sockscope.yaml');
    writeFileSync(
      config,
      [
        'collection: { min_interval: 0s }',
        'collectors:',
        '  linux-netlink: { namespaces: all }',
        'enrichers:',
        '  container:',
        `    runtime_roots: { containerd: [${stateRoot}] }`,
      ].join('\n') + '\n',
    );
    const web = join(dir, 'web.yaml');
    writeFileSync(web, `basic_auth_users:\n  ${USER}: ${bcrypt.hashSync(PASSWORD, 4)}\n`);
    cli = await startCli(['--config', config, '--web.enable-connections', '--web.config.file', web]);
    for (let i = 0; i < 400 && (await get(cli.port, '/-/ready')).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cli?.stop();
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end();
        await once(child, 'exit');
      }
    }
    await removeCgroups(TOP);
    if (nsCreated) ip('netns', 'delete', NETNS); // takes the veth pair with it
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * An answer in which the test's client and server own their sockets: asked again (a new
   * collection each time) until they do, for at most 20 s — the process enricher's fd scan runs
   * beside the socket dump and a collection may miss an owner.
   */
  const settled = async (query: string): Promise<Awaited<ReturnType<typeof answer>>> => {
    const end = Date.now() + 20_000;
    for (;;) {
      const a = await answer(query);
      if (a.rows ? owned(a.rows) : JSON.stringify(a.topology).includes(`process:${CLIENT_COMM}`)) return a;
      if (Date.now() > end) return a;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const owned = (rows: Row[]) =>
    rows.filter((r) => r.process === CLIENT_COMM).length >= 5 && rows.filter((r) => r.process === SERVER_COMM).length >= 4 && rows.some((r) => r.container === CONTAINER);

  const answer = async (query: string): Promise<{ rows?: Row[]; topology?: { actors: { id: string; kind: string; address?: string }[]; links: { source: string; target: string; sockets: number }[] } }> => {
    const res = await get(cli!.port, `/api/v1/connections?${query}`);
    expect(res.status, res.body).toBe(200);
    return JSON.parse(res.body) as never;
  };

  it('the API answers only with credentials, and its rows name the netns, the container, pod and namespace, and the two host processes', async () => {
    expect((await get(cli!.port, '/api/v1/connections', false)).status).toBe(401);
    expect((await get(cli!.port, '/connections', false)).status).toBe(401);
    const rows = (await settled('limit=100000')).rows!;
    // the named netns: its listener and the 2 connections it accepted, under the netns name
    const inNs = rows.filter((r) => r.local_ip === NS_ADDR && r.local_port === NS_PORT);
    expect(inNs.map((r) => [r.direction, r.netns]).sort()).toEqual([
      ['inbound', NETNS],
      ['inbound', NETNS],
      ['listen', NETNS],
    ]);
    // the host side of those: outbound from the client, in the host's netns (not the named one)
    const toNs = rows.filter((r) => r.remote_ip === NS_ADDR && r.remote_port === NS_PORT);
    expect(toNs).toHaveLength(2);
    for (const r of toNs) expect(r).toMatchObject({ direction: 'outbound', process: CLIENT_COMM, pid: clientPid, local_ip: HOST_ADDR });
    for (const r of toNs) expect(r.netns).not.toBe(NETNS);
    // the container: listener, 2 accepted and 2 connecting sockets, each with its workload identity
    const inContainer = rows.filter((r) => r.local_port === containerPort || r.remote_port === containerPort);
    expect(inContainer).toHaveLength(5);
    for (const r of inContainer) expect(r).toMatchObject({ container: CONTAINER, pod: POD, namespace: NAMESPACE, image: IMAGE });
    // the two host processes over loopback
    const local = rows.filter((r) => r.server_port === serverPort && r.local_ip === '127.0.0.1');
    expect(local.filter((r) => r.process === SERVER_COMM).map((r) => r.direction).sort()).toEqual(['listen', 'local-inbound', 'local-inbound', 'local-inbound']);
    expect(local.filter((r) => r.process === CLIENT_COMM).map((r) => r.direction)).toEqual(['local-outbound', 'local-outbound', 'local-outbound']);
  });

  it('the topology has a local link between the two host processes and an endpoint actor for the peer in the other netns', async () => {
    const t = (await settled(`view=topology&process=${CLIENT_COMM}&process=${SERVER_COMM}`)).topology!;
    expect(t.links).toContainEqual(expect.objectContaining({ source: `process:${CLIENT_COMM}`, target: `process:${SERVER_COMM}`, sockets: 3 }));
    expect(t.actors).toContainEqual(expect.objectContaining({ id: `endpoint:${NS_ADDR}`, kind: 'endpoint', address: NS_ADDR }));
    expect(t.links).toContainEqual(expect.objectContaining({ source: `process:${CLIENT_COMM}`, target: `endpoint:${NS_ADDR}`, sockets: 2 }));
  });

  it("view=protocols on Linux: /proc/net/snmp's TCP and UDP counters per second since the previous answer (0 the first time), the established count; no filters", async () => {
    const ask = async (query: string) => {
      const res = await get(cli!.port, `/api/v1/connections?${query}`);
      return { status: res.status, json: JSON.parse(res.body) as { interval_seconds: number; tcp_established?: number; rows: { protocol: string; counter: string; per_second: number; total: number }[]; error?: string } };
    };
    const first = await ask('view=protocols');
    expect(first.status).toBe(200);
    expect(first.json.interval_seconds).toBe(0);
    expect(first.json.rows.every((r) => r.per_second === 0)).toBe(true);
    expect(first.json.rows.map((r) => `${r.protocol}.${r.counter}`)).toEqual(expect.arrayContaining(['tcp.active_opens', 'tcp.passive_opens', 'tcp.retrans_segs', 'udp.in_datagrams', 'udp.no_ports']));
    // this test's own connections at least (loopback, the host's netns: the agent's)
    expect(first.json.tcp_established).toBeGreaterThanOrEqual(6);
    // 20 connections opened and accepted in between: both opens counters move
    const { createServer, connect } = await import('node:net');
    const srv = createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await Promise.all(Array.from({ length: 20 }, () => new Promise<void>((r) => connect(port, '127.0.0.1', function (this: import('node:net').Socket) { this.destroy(); r(); }))));
    srv.close();
    await new Promise((r) => setTimeout(r, 200));
    const second = await ask('view=protocols');
    expect(second.json.interval_seconds).toBeGreaterThan(0);
    const row = (c: string) => second.json.rows.find((r) => r.counter === c)!;
    const before = (c: string) => first.json.rows.find((r) => r.counter === c)!.total;
    expect(row('active_opens').total - before('active_opens')).toBeGreaterThanOrEqual(20);
    expect(row('active_opens').per_second).toBeCloseTo((row('active_opens').total - before('active_opens')) / second.json.interval_seconds, 2);
    expect(row('passive_opens').per_second).toBeGreaterThan(0);
    const filtered = await ask('view=protocols&process=nginx');
    expect(filtered.status).toBe(400);
    expect(filtered.json.error).toMatch(/^process: view=protocols .* takes no filters/);
  });

  describe('in Chromium, with page.authenticate', () => {
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      const context = await browser!.createBrowserContext();
      page = await context.newPage();
      await page.setViewport({ width: 1400, height: 860 });
      await page.authenticate({ username: USER, password: PASSWORD });
      page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !/favicon/.test(msg.location().url ?? '')) problems.push(`console error: ${msg.text()}`);
      });
      await page.evaluateOnNewDocument(() => {
        const seen: string[] = ((window as unknown as { cspViolations: string[] }).cspViolations = []);
        document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await page.goto(`http://127.0.0.1:${cli!.port}/connections#view=detailed&paused=1`, { waitUntil: 'load' });
    });

    afterAll(async () => {
      const csp = await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
      expect([...problems, ...csp.map((v) => `CSP violation: ${v}`)]).toEqual([]);
    });

    const shot = async (view: string) => {
      const file = `${ARTIFACTS}connections-${view}.png`;
      await page.screenshot({ path: file as `${string}.png` });
      if (process.env.SOCKSCOPE_UPDATE_SCREENSHOTS === '1') {
        mkdirSync(DOCS_IMAGES, { recursive: true });
        copyFileSync(file, `${DOCS_IMAGES}connections-${view}.png`);
      }
    };
    const cells = async (key: string): Promise<string[]> => {
      const keys = await page.$$eval('#thead .th', (ths) => ths.map((th) => (th as HTMLElement).dataset.key));
      const i = keys.indexOf(key);
      expect(i, `column ${key} in ${keys.join(', ')}`).toBeGreaterThanOrEqual(0);
      const rows = await page.$$eval('#tbody .tr', (trs) => trs.map((tr) => ({ i: Number((tr as HTMLElement).dataset.index), cells: [...tr.children].map((td) => td.textContent ?? '') })));
      return rows.sort((a, b) => a.i - b.i).map((r) => r.cells[i] as string);
    };
    /** Clicks ↻ (a new collection) until `check` holds, at most 20 s (see `settled`). */
    const reloadUntil = async (check: () => Promise<boolean>): Promise<void> => {
      const end = Date.now() + 20_000;
      while (!(await check()) && Date.now() < end) {
        const before = await page.evaluate(() => (window as any).sockscopeConnections?.answer?.timestamp as string | undefined);
        await page.click('#reload');
        await page.waitForFunction((t) => { const a = (window as any).sockscopeConnections?.answer; return a && a.timestamp !== t; }, { timeout: 15_000 }, before);
      }
    };
    const answerRows = async (): Promise<Row[]> => (await page.evaluate(() => (window as any).sockscopeConnections?.answer?.rows ?? [])) as Row[];
    const loaded = (view: string) => page.waitForFunction((v) => (window as any).sockscopeConnections?.answer?.view === v, { timeout: 15_000 }, view);

    it("the table shows the agent's rows; a filter narrows them to the test's processes; sorting orders them", async () => {
      await loaded('detailed');
      await reloadUntil(async () => owned(await answerRows()));
      const all = await answerRows();
      expect(all.some((r) => r.process === SERVER_COMM && r.direction === 'listen' && r.local_port === serverPort)).toBe(true);
      await page.type('input[name="process"]', `${SERVER_COMM}, ${CLIENT_COMM}`);
      await page.keyboard.press('Enter');
      // server: listen + 3 local-inbound; client: 3 local-outbound + 2 outbound to the netns
      await page.waitForFunction(() => (window as any).sockscopeConnections?.answer?.counts?.matched !== undefined && location.hash.includes('process='), { timeout: 15_000 });
      await reloadUntil(async () => (await page.$$eval('#tbody .tr', (trs) => trs.length)) === 9);
      expect((await cells('process')).sort()).toEqual([...Array<string>(5).fill(CLIENT_COMM), ...Array<string>(4).fill(SERVER_COMM)]);
      expect(await page.evaluate(() => location.hash)).toContain(`process=`);
      await page.click('#thead .th[data-key="pid"]');
      const pids = (await cells('pid')).map(Number);
      expect(pids).toEqual([...pids].sort((a, b) => b - a));
      expect(new Set(pids)).toEqual(new Set([serverPid, clientPid]));
      await page.click('#thead .th[data-key="pid"]');
      expect((await cells('pid')).map(Number)).toEqual([...pids].sort((a, b) => a - b));
      // the netns column names the host's netns for these, the remote of the outbound ones is the netns peer
      expect((await cells('remote')).filter((c) => c === `${NS_ADDR}:${NS_PORT}`)).toHaveLength(2);
      await shot('detailed');
    });

    it('switches to the aggregated view: one row per process, direction and server, counts summed', async () => {
      await page.click('#view-aggregated');
      await loaded('aggregated');
      await reloadUntil(async () => (await answerRows()).reduce((n, r) => n + (r.process === CLIENT_COMM || r.process === SERVER_COMM ? (r.count ?? 0) : 0), 0) === 9);
      const rows = await answerRows();
      expect(rows.find((r) => r.process === SERVER_COMM && r.direction === 'local-inbound')).toMatchObject({ count: 3, server_port: serverPort });
      expect(rows.find((r) => r.process === CLIENT_COMM && r.direction === 'local-outbound')).toMatchObject({ count: 3, server_port: serverPort });
      expect(rows.find((r) => r.process === CLIENT_COMM && r.direction === 'outbound')).toMatchObject({ count: 2, server_port: NS_PORT });
      const counts = (await cells('count')).map(Number);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(9);
      await shot('aggregated');
    });

    it('switches to the topology: the two processes joined by one local link, the netns peer an endpoint', async () => {
      await page.click('#view-topology');
      await loaded('topology');
      await page.waitForFunction(() => ((window as any).sockscopeConnections?.cy?.nodes().length ?? 0) > 0, { timeout: 15_000 });
      await reloadUntil(() => page.evaluate((id) => (window as any).sockscopeConnections.cy.getElementById(id).length === 1, `process:${CLIENT_COMM}`));
      const graph = await page.evaluate(() => {
        const cy = (window as any).sockscopeConnections.cy;
        return {
          nodes: cy.nodes().map((n: any) => `${n.data('kind')} ${n.id()}`) as string[],
          edges: cy.edges().map((e: any) => `${e.source().id()} -> ${e.target().id()} ${e.data('label')}`) as string[],
        };
      });
      expect(graph.nodes).toEqual(expect.arrayContaining([`process process:${SERVER_COMM}`, `process process:${CLIENT_COMM}`, `endpoint endpoint:${NS_ADDR}`]));
      expect(graph.edges).toEqual(expect.arrayContaining([`process:${CLIENT_COMM} -> process:${SERVER_COMM} 3`, `process:${CLIENT_COMM} -> endpoint:${NS_ADDR} 2`]));
      await shot('topology');
    });
  });
});
