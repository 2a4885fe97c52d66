import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, startCli, type RunningCli } from './run-cli.js';

// Issue 18, live and exact, through the real CLI: the sockets that open and close between two
// scrapes are counted from their destroy events (opened/closed once each, bytes to the byte),
// connects that never established are counted by reason, and lifetimes land in their buckets.
// A child process makes the traffic (in the host namespace, or inside a named one), so the test
// knows to the byte what was sent. The scrape's own connection (127.0.0.1 to 127.0.0.1) is left
// out by selection; the traffic runs between 127.0.0.98 and 127.0.0.97 (or 127.0.0.2 for the
// dropped SYNs). Every port is fixed and below the ephemeral range, the clients' too: the host
// namespace is shared with other processes, and the direction of a socket whose local port
// another process listens on is inbound to that listener (a client on an ephemeral port now and
// then took one, and its series lost a connection). The server closes first, so the TIME_WAIT
// sockets hold its end and the client ports are free for the next run.

const SERVER = '127.0.0.97';
const CLIENT = '127.0.0.98';
const PORT = 27811; // the listener
const CLOSED_PORT = 27812; // nothing listens: refused
const DROP_ADDR = '127.0.0.2'; // SYNs dropped by nft (in the namespace)
const DROP_PORT = 27813;
const CHURN_PORTS = 28000; // the 1,000 clients' ports: 28000-28999
const FAIL_PORTS = 29000; // the refused connects': 29000-29099
const HELD_PORTS = 29200; // the held connections': 29200-29214
const NS = `sockscope-lifecycle-${process.pid}`;

// The traffic maker: one JSON line answered per command line on stdin.
const CHILD = `
const net = require('net');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const size = (i) => 1 + ((i * 7919) % 20000);
const accepted = new Map(); // the server's end of each held connection, by the client's port
const held = []; // client ports of the held connections, oldest first
let server;
// n connects to host:port, 20 at a time, from local ports fromPort, fromPort + 1, … (0: the kernel picks)
async function connectAll(n, host, port, from, fromPort, each) {
  let next = 0;
  const codes = {};
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await new Promise((resolve) => {
        const o = { host, port: Number(port), localAddress: from === '-' ? undefined : from };
        if (Number(fromPort) > 0) o.localPort = Number(fromPort) + i;
        const c = net.connect(o);
        c.on('error', (e) => { codes[e.code] = (codes[e.code] || 0) + 1; c.destroy(); resolve(); });
        c.on('connect', () => each(c, i, resolve));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(20, n) }, worker));
  return codes;
}
const cmds = {
  // the listener: each connection starts with a 4-byte length; the server closes first once that
  // many bytes followed (so the TIME_WAIT is on its side and the client ports are free again), or
  // holds it when the length is 0
  async listen(host, port) {
    server = net.createServer((s) => {
      let got = 0;
      let want = -1;
      s.on('error', () => {});
      s.on('data', (d) => {
        got += d.length;
        if (want < 0 && got >= 4) want = d.readUInt32BE(0);
        if (want === 0) accepted.set(s.remotePort, s);
        else if (want > 0 && got >= want + 4) s.end();
      });
      s.on('end', () => s.end());
    });
    await new Promise((r, j) => { server.on('error', j); server.listen({ host, port: Number(port), backlog: 1024 }, r); });
    return {};
  },
  // n connections, each sending 4 + size(i) bytes; the server closes each once it has them all
  async churn(n, host, port, from, fromPort) {
    let up = 0;
    const codes = await connectAll(Number(n), host, port, from, fromPort, (c, i, done) => {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(size(i));
      up += 4 + size(i);
      c.resume();
      c.on('end', () => c.end());
      c.on('close', done);
      c.write(Buffer.concat([head, Buffer.alloc(size(i), 1)]));
    });
    return { up, codes };
  },
  async fail(n, host, port, from, fromPort) {
    return { codes: await connectAll(Number(n), host, port, from, fromPort, (c, i, done) => { c.destroy(); done(); }) };
  },
  // n connections held open until close
  async open(n, host, port, from, fromPort) {
    const codes = await connectAll(Number(n), host, port, from, fromPort, (c, i, done) => {
      c.resume();
      c.on('end', () => c.end());
      held.push({ port: c.localPort, c });
      c.write(Buffer.alloc(4));
      done();
    });
    while (held.some((h) => !accepted.has(h.port))) await new Promise((r) => setTimeout(r, 5));
    return { held: held.length, codes };
  },
  // the server closes the oldest n held connections; resolves once both ends are closed
  async close(n) {
    const some = held.splice(0, Number(n));
    await Promise.all(some.map(({ port, c }) => new Promise((r) => { c.on('close', r); accepted.get(port).end(); })));
    return { held: held.length };
  },
};
const rl = require('readline').createInterface({ input: process.stdin });
rl.on('close', () => process.exit(0));
rl.on('line', async (line) => {
  const [cmd, ...args] = line.split(' ');
  try { out(await cmds[cmd](...args)); } catch (e) { out({ error: String(e) }); }
});
out({ ready: true });`;

interface Traffic {
  send(cmd: string): Promise<Record<string, any>>;
  end(): Promise<void>;
}

async function traffic(prefix: string[] = []): Promise<Traffic> {
  const cmd = [...prefix, process.execPath, '-e', CHILD];
  const child: ChildProcess = spawn(cmd[0] as string, cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, any>;
  await next();
  return {
    async send(line) {
      child.stdin!.write(`${line}\n`);
      const r = await next();
      if (r.error) throw new Error(`traffic child: ${line}: ${r.error}`);
      return r;
    },
    async end() {
      child.stdin!.end();
      if (child.exitCode === null) await new Promise((r) => child.on('exit', r));
    },
  };
}

/** Samples of a text exposition: name, labels, value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of `name` over the series whose labels include `match`. */
const sum = (text: string, name: string, match: Record<string, string>) =>
  samples(text)
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);

const scrape = async (cli: RunningCli) => {
  const r = await httpGet(cli.port, '/metrics');
  expect(r.status).toBe(200);
  return r.body;
};
const settle = () => new Promise((r) => setTimeout(r, 300)); // the reader thread batches for a few ms

const inbound = { direction: 'inbound', local_port: String(PORT) };
const outbound = { direction: 'outbound', dst: SERVER, dst_port: String(PORT) };
// 0.1 s lands in (0.05, 0.75] unless the first sighting's scrape took longer than 0.65 s
const BUCKETS = [0.05, 0.75, 2, 5];

function config(dir: string, name: string, extra = '', collection = 'min_interval: 0s'): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `collection: { ${collection} }`,
      // the scrape's own connection is 127.0.0.1 <-> 127.0.0.1: out of every series below
      `flows: { duration_buckets: [${BUCKETS.join(', ')}], selection: { exclude: { addresses: [127.0.0.1] } } }`,
      extra,
    ].join('\n'),
  );
  return file;
}

/** Opens and closes 1,000 connections between two scrapes; every count grows by exactly what was made. */
async function exactChurn(cli: RunningCli, t: Traffic, label: Record<string, string> = {}): Promise<void> {
  const before = await scrape(cli);
  const { up, codes } = await t.send(`churn 1000 ${SERVER} ${PORT} ${CLIENT} ${CHURN_PORTS}`);
  expect(codes).toEqual({});
  await settle();
  const after = await scrape(cli);
  const delta = (name: string, match: Record<string, string>) => sum(after, name, { ...match, ...label }) - sum(before, name, { ...match, ...label });
  for (const side of [inbound, outbound]) {
    expect(delta('sockscope_tcp_connections_opened_total', side), `opened ${side.direction}`).toBe(1000);
    expect(delta('sockscope_tcp_connections_closed_total', side), `closed ${side.direction}`).toBe(1000);
  }
  // the FIN rule: a closed socket's bytes_received is the data plus the peer's FIN (one per connection)
  expect(delta('sockscope_tcp_bytes_received_total', inbound)).toBe(up + 1000);
  expect(delta('sockscope_lifecycle_events_dropped_total', {})).toBe(0);
  expect(delta('sockscope_lifecycle_enobufs_total', {})).toBe(0);
}

const root = process.getuid?.() === 0;

describe.runIf(process.platform === 'linux' && root)('connection lifecycle, live through the CLI (issue 18)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-lifecycle-'));
  let t: Traffic;
  let cli: RunningCli;

  beforeAll(async () => {
    t = await traffic();
    await t.send(`listen ${SERVER} ${PORT}`);
    cli = await startCli(['--config', config(dir, 'host')]);
  });

  afterAll(async () => {
    await cli?.stop();
    await t?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('1,000 connections opened and closed between two scrapes: opened and closed grow by 1,000 on each side, the server\'s bytes received by the bytes sent (+1 FIN each)', async () => {
    await exactChurn(cli, t);
  });

  it('100 connects to a closed port are counted as refused under their destination', async () => {
    const before = await scrape(cli);
    const { codes } = await t.send(`fail 100 ${SERVER} ${CLOSED_PORT} ${CLIENT} ${FAIL_PORTS}`);
    expect(codes).toEqual({ ECONNREFUSED: 100 });
    await settle();
    const after = await scrape(cli);
    const dst = { direction: 'outbound', dst: SERVER, dst_port: String(CLOSED_PORT) };
    expect(sum(after, 'sockscope_tcp_connect_failures_total', { ...dst, reason: 'refused' }) - sum(before, 'sockscope_tcp_connect_failures_total', { ...dst, reason: 'refused' })).toBe(100);
    expect(sum(after, 'sockscope_tcp_connect_failures_total', { ...dst, reason: 'timeout' })).toBe(0);
  });

  it('connections held 0.1 s, 1 s and 3 s land in their duration buckets', async () => {
    await scrape(cli); // the agent's first collections are the slow ones (caches filled)
    expect((await t.send(`open 15 ${SERVER} ${PORT} ${CLIENT} ${HELD_PORTS}`)).codes).toEqual({});
    // a lifetime runs from the start of the first collection that saw the socket (the fold's
    // timestamp of that collection) to its destroy event: the clock starts as the scrape is asked
    const start = Date.now();
    const before = await scrape(cli); // their first sighting
    const until = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, start + ms - Date.now())));
    await until(100);
    await t.send('close 5');
    await until(1000);
    await t.send('close 5');
    await until(3000);
    await t.send('close 5');
    await settle();
    const after = await scrape(cli);
    for (const side of [inbound, outbound]) {
      const bucket = (le: string) =>
        sum(after, 'sockscope_tcp_connection_duration_seconds_bucket', { ...side, le }) - sum(before, 'sockscope_tcp_connection_duration_seconds_bucket', { ...side, le });
      expect([...BUCKETS.map(String), '+Inf'].map(bucket), side.direction).toEqual([0, 5, 10, 15, 15]);
    }
  });
});

describe.runIf(process.platform === 'linux' && root)('connection lifecycle with collection.streaming: off, through the CLI (issue 18)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-lifecycle-buffered-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('buffered collections replay the closed records after the live ones: the same exact counts', async () => {
    const cli = await startCli(['--config', config(dir, 'buffered', '', 'min_interval: 0s, streaming: off')]);
    const t = await traffic();
    try {
      await t.send(`listen ${SERVER} ${PORT}`);
      await exactChurn(cli, t);
    } finally {
      await t.end();
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe.runIf(process.platform === 'linux' && root)('connection lifecycle without CAP_NET_ADMIN, through the CLI (issue 18)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-lifecycle-cap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('one notice naming CAP_NET_ADMIN for a receive buffer above net.core.rmem_max; collections go on and the closed connections are counted', async () => {
    // on this kernel joining the destroy groups needs no capability; only SO_RCVBUFFORCE does
    const file = config(dir, 'cap', 'collectors: { linux-netlink: { destroy_rcvbuf: 67108864 } }');
    const cli = await startCli(['--config', file], { prefix: ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', '--'] });
    const t = await traffic();
    try {
      await t.send(`listen ${SERVER} ${PORT + 100}`);
      const before = await scrape(cli);
      const { codes } = await t.send(`churn 50 ${SERVER} ${PORT + 100} ${CLIENT} ${CHURN_PORTS}`);
      expect(codes).toEqual({});
      await settle();
      const after = await scrape(cli);
      await scrape(cli);
      const closed = (text: string) => sum(text, 'sockscope_tcp_connections_closed_total', { direction: 'inbound', local_port: String(PORT + 100) });
      expect(closed(after) - closed(before)).toBe(50);
      const health = JSON.parse((await httpGet(cli.port, '/health')).body) as { notices: string[] };
      const capability = health.notices.filter((n) => n.includes('CAP_NET_ADMIN'));
      expect(capability).toHaveLength(1);
      expect(capability[0]).toMatch(/destroy-event receive buffer is \d+ bytes, not the 67108864 asked: SO_RCVBUFFORCE needs CAP_NET_ADMIN/);
    } finally {
      await t.end();
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe.runIf(process.platform === 'linux' && root)('connection lifecycle in a named namespace, live through the CLI (issue 18)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-lifecycle-ns-'));
  let t: Traffic;
  let cli: RunningCli;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });

  beforeAll(async () => {
    try {
      ip('netns', 'del', NS);
    } catch {
      // none left over
    }
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    const inNs = (...cmd: string[]) => execFileSync('ip', ['netns', 'exec', NS, ...cmd], { stdio: 'ignore' });
    // one SYN retry: a connect to the dropping address gives up after about 3 s (1 s, then 2 s)
    inNs('sysctl', '-qw', 'net.ipv4.tcp_syn_retries=1');
    inNs('nft', 'add table inet sockscope_drop');
    inNs('nft', 'add chain inet sockscope_drop input { type filter hook input priority 0 ; }');
    inNs('nft', `add rule inet sockscope_drop input ip daddr ${DROP_ADDR} tcp dport ${DROP_PORT} tcp flags syn drop`);
    t = await traffic(['ip', 'netns', 'exec', NS]);
    await t.send(`listen ${SERVER} ${PORT}`);
    cli = await startCli(['--config', config(dir, 'netns', `collectors: { linux-netlink: { namespaces: [${NS}] } }`)]);
  });

  afterAll(async () => {
    await cli?.stop();
    await t?.end();
    try {
      ip('netns', 'del', NS);
    } catch {
      // beforeAll failed first
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('1,000 connections in the namespace: the same exact counts, on its series', async () => {
    await exactChurn(cli, t, { netns: NS });
  });

  it('20 connects whose SYNs are dropped are counted as timeout, 100 to a closed port as refused, each under its destination', async () => {
    const before = await scrape(cli);
    const [dropped, refused] = await Promise.all([t.send(`fail 20 ${DROP_ADDR} ${DROP_PORT} - 0`), traffic(['ip', 'netns', 'exec', NS]).then(async (u) => {
      try {
        return await u.send(`fail 100 ${SERVER} ${CLOSED_PORT} ${CLIENT} ${FAIL_PORTS}`);
      } finally {
        await u.end();
      }
    })]);
    expect(dropped.codes).toEqual({ ETIMEDOUT: 20 });
    expect(refused.codes).toEqual({ ECONNREFUSED: 100 });
    await settle();
    const after = await scrape(cli);
    const failures = (text: string, dst: string, port: number, reason: string) =>
      sum(text, 'sockscope_tcp_connect_failures_total', { direction: 'outbound', dst, dst_port: String(port), reason, netns: NS });
    const delta = (dst: string, port: number, reason: string) => failures(after, dst, port, reason) - failures(before, dst, port, reason);
    expect(delta(DROP_ADDR, DROP_PORT, 'timeout')).toBe(20);
    expect(delta(DROP_ADDR, DROP_PORT, 'refused')).toBe(0);
    expect(delta(SERVER, CLOSED_PORT, 'refused')).toBe(100);
    expect(delta(SERVER, CLOSED_PORT, 'timeout')).toBe(0);
  });
});
