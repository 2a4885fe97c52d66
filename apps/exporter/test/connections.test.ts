// `sockscope connections` and the agent's /api/v1/connections (issue 17), against live sockets
// of several kinds held by this process and by a child under another uid, compared with
// `ss -tuanpe` read at the same time.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import bcrypt from 'bcryptjs';
import { compileConfigSchema, connectionsAnswerSchema, type AggregatedRow, type ConnectionsAnswer, type DetailedRow } from '@sockscope/core';
import { WEB_CSP } from '@sockscope/sink-prometheus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePasswd } from '../src/connections/view.js';
import { parseConnectionsArgs } from '../src/connections/args.js';
import { apiUrl } from '../src/connections/source.js';
import { waitFor } from './connection-holders.js';
import { CLI, runCli, startCli, type RunningCli } from './run-cli.js';
import { makeTestPki, type TestPki } from './tls-fixtures.js';

const validate = compileConfigSchema(connectionsAnswerSchema as never);
const NOBODY = 65534;

/** ss's state names as the kernel's (the answer's). */
const SS_STATES: Record<string, string> = {
  ESTAB: 'ESTABLISHED',
  UNCONN: 'CLOSE',
  'TIME-WAIT': 'TIME_WAIT',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

interface SsRow {
  protocol: 'tcp' | 'udp';
  state: string;
  local: string;
  remote: string;
  uid: number;
  inode: number;
  pids: number[];
}

const hostPort = (text: string): string => {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const port = text.slice(i + 1);
  // ss writes a dual-stack socket (IPv6 on ::, not v6only) as *:port
  return `${host === '*' ? '::' : host}:${port === '*' ? '0' : port}`;
};

/** `ss -tuanpe`, parsed: one row per socket with its endpoints, state, uid, inode and owning pids. */
function ss(): SsRow[] {
  const out = execFileSync('ss', ['-tuanpeH'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const f = line.trim().split(/\s+/);
      return {
        protocol: f[0] as 'tcp' | 'udp',
        state: SS_STATES[f[1] as string] ?? (f[1] as string),
        local: hostPort(f[4] as string),
        remote: hostPort(f[5] as string),
        uid: Number(/\buid:(\d+)/.exec(line)?.[1] ?? 0),
        inode: Number(/\bino:(\d+)/.exec(line)?.[1] ?? 0),
        pids: [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])),
      };
    });
}

const key = (r: { protocol: string; state: string; local: string; remote: string; uid: number; inode: number }) => `${r.protocol} ${r.state} ${r.local} ${r.remote} uid=${r.uid} ino=${r.inode}`;
const rowKey = (r: DetailedRow) =>
  key({ protocol: r.protocol.slice(0, 3), state: r.state, local: `${r.local_ip}:${r.local_port}`, remote: `${r.remote_ip}:${r.remote_port}`, uid: r.uid, inode: r.inode });

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
const connect = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });

// the sockets under test
const servers: Server[] = [];
const sockets: Socket[] = [];
let udp: UdpSocket;
let child: ChildProcess;
const ports = { pair: 0, udp: 0, nobody: 0, timeWait: 0, closeWait: 0, dual: 0 };
let pki: TestPki;

beforeAll(async () => {
  // an own-process pair: listener, accepted side and client side, all of this process
  const pair = createServer((s) => sockets.push(s));
  servers.push(pair);
  ports.pair = await listen(pair);
  sockets.push(await connect(ports.pair));

  // a dual-stack listener (IPv6 on ::, not v6only)
  const dual = createServer();
  servers.push(dual);
  ports.dual = await new Promise<number>((resolve) => dual.listen({ port: 0, host: '::', ipv6Only: false }, () => resolve((dual.address() as { port: number }).port)));

  // a UDP socket
  udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  ports.udp = udp.address().port;

  // a listener in a child under uid 65534; this process connects to it
  child = spawn('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, '-e', "const s=require('net').createServer(c=>{}).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ports.nobody = await new Promise<number>((resolve) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (l) => resolve(Number(l))));
  sockets.push(await connect(ports.nobody));

  // TIME_WAIT: the client closes first, the server closes when it sees the end
  const tw = createServer((s) => s.on('end', () => s.end()).resume());
  servers.push(tw);
  ports.timeWait = await listen(tw);
  const closing = await connect(ports.timeWait);
  closing.end();
  await new Promise((r) => closing.on('close', r));

  // CLOSE_WAIT: the client closes, the server (this process) never does
  const cw = createServer({ allowHalfOpen: true }, (s) => void sockets.push(s));
  servers.push(cw);
  ports.closeWait = await listen(cw);
  const leaving = await connect(ports.closeWait);
  leaving.end();

  await waitFor(async () => {
    const rows = ss();
    return rows.some((r) => r.state === 'TIME_WAIT' && r.local.endsWith(`:${ports.timeWait}`) === false && r.remote.endsWith(`:${ports.timeWait}`)) && rows.some((r) => r.state === 'CLOSE_WAIT' && r.local.endsWith(`:${ports.closeWait}`));
  }, 'the TIME_WAIT and CLOSE_WAIT sockets');
  pki = makeTestPki();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  udp?.close();
  child?.kill();
  pki?.remove();
});

const portFlags = () => Object.values(ports).flatMap((p) => ['--port', String(p)]);
const mine = (rows: SsRow[]) => rows.filter((r) => Object.values(ports).some((p) => r.local.endsWith(`:${p}`) || r.remote.endsWith(`:${p}`)));

async function connectionsJson(args: string[], env?: NodeJS.ProcessEnv): Promise<ConnectionsAnswer> {
  const r = await runCli(['connections', '--json', '--limit', '100000', ...args], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const answer = JSON.parse(r.stdout) as ConnectionsAnswer;
  expect(validate(structuredClone(answer))).toEqual([]);
  return answer;
}

describe('sockscope connections (in-process) against ss -tuanpe', () => {
  it('--json: the rows of the sockets under test equal ss -tuanpe on endpoints, state, uid and inode, with their process and direction', async () => {
    const before = mine(ss());
    const answer = await connectionsJson(portFlags());
    const after = mine(ss());
    // a socket ss saw both before and after the collection is a socket the answer must have
    const stable = before.filter((b) => after.some((a) => key(a) === key(b)));
    const rows = answer.rows as DetailedRow[];
    // 3 of the pair, UDP, 3 of the child's, 2 listeners and the TIME_WAIT, 3 of the CLOSE_WAIT connection, the dual-stack listener
    expect(stable.length).toBeGreaterThanOrEqual(13);
    expect(rows.map(rowKey).sort()).toEqual(expect.arrayContaining(stable.map(key).sort()));
    for (const r of rows) expect(before.map(key).concat(after.map(key))).toContain(rowKey(r));
    // every kind is there
    const states = new Set(rows.map((r) => r.state));
    for (const s of ['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'CLOSE']) expect(states, s).toContain(s);
    // pid: the owner ss names
    for (const r of rows) {
      const s = after.find((a) => key(a) === rowKey(r)) ?? before.find((b) => key(b) === rowKey(r));
      if (s && s.pids.length > 0) expect(s.pids).toContain(r.pid);
    }
    // the child's listener and accepted socket are nobody's
    const nobody = rows.filter((r) => r.local_port === ports.nobody);
    expect(nobody.map((r) => [r.state, r.uid, r.user])).toEqual(
      expect.arrayContaining([
        ['LISTEN', NOBODY, 'nobody'],
        ['ESTABLISHED', NOBODY, 'nobody'],
      ]),
    );
    // the own pair: listener, accepted side (local-inbound), client side (local-outbound), all this process's
    const pair = rows.filter((r) => r.local_port === ports.pair || r.remote_port === ports.pair);
    expect(pair.map((r) => [r.direction, r.pid]).sort()).toEqual(
      [
        ['listen', process.pid],
        ['local-inbound', process.pid],
        ['local-outbound', process.pid],
      ].sort(),
    );
    expect(rows.find((r) => r.local_port === ports.dual)).toMatchObject({ protocol: 'tcp46', direction: 'listen', state: 'LISTEN', local_ip: '::', pid: process.pid });
    const u = rows.find((r) => r.local_port === ports.udp);
    expect(u).toMatchObject({ protocol: 'udp4', state: 'CLOSE', pid: process.pid });
    expect(answer.counts.matched).toBe(rows.length);
  });

  it('--aggregate: the counts of the aggregated rows sum to the detailed rows of the same filters', async () => {
    const filters = [...portFlags(), '--protocol', 'tcp'];
    const detailed = await connectionsJson(filters);
    const aggregated = await connectionsJson([...filters, '--aggregate']);
    expect(aggregated.view).toBe('aggregated');
    const sum = (aggregated.rows as AggregatedRow[]).reduce((n, r) => n + r.count, 0);
    // TIME_WAIT sockets may come and go between two collections: compare what both saw
    expect(Math.abs(sum - (detailed.rows?.length ?? 0))).toBeLessThanOrEqual(2);
    expect(sum).toBe(aggregated.counts.matched);
  });

  it('the table shows the sockets with their process, --topology the link between this process and the child, and a bad filter is exit 2 with the query error', async () => {
    const table = await runCli(['connections', '--port', String(ports.nobody)]);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^DIRECTION\s+PROTO\s+STATE\s+RECV-Q\s+SEND-Q\s+LOCAL\s+REMOTE\s+PROCESS\s+USER\s+CONTAINER\s+RTT$/);
    expect(table.stdout).toContain(`127.0.0.1:${ports.nobody}`);
    expect(table.stdout).toMatch(/nobody/);
    // not a terminal: no colour
    expect(table.stdout).not.toContain('\x1b[');
    const topo = await connectionsJson(['--topology', '--port', String(ports.nobody), '--state', 'ESTABLISHED']);
    const links = topo.topology?.links ?? [];
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ protocol: 'tcp4', state: 'ESTABLISHED', sockets: 1 });
    const text = await runCli(['connections', '--topology', '--port', String(ports.nobody), '--state', 'ESTABLISHED']);
    expect(text.stdout).toMatch(/Links \(1\)/);
    expect(text.stdout).toMatch(/→/);
    expect(text.stdout).not.toMatch(/LABELS/);
    // --labels: collecting here reads no server config, so every label is allowed (by pid: this process and the child are both node)
    const labelled = await connectionsJson(['--topology', '--group-by', 'pid', '--labels', 'user,uid', '--port', String(ports.nobody), '--state', 'ESTABLISHED']);
    const nobodyActor = labelled.topology?.actors.find((a) => a.labels?.uid?.includes(String(NOBODY)));
    expect(nobodyActor?.labels).toMatchObject({ user: ['nobody'], uid: [String(NOBODY)] });
    const labelledText = await runCli(['connections', '--topology', '--group-by', 'pid', '--labels', 'user', '--port', String(ports.nobody), '--state', 'ESTABLISHED']);
    expect(labelledText.stdout).toMatch(/LABELS/);
    expect(labelledText.stdout).toMatch(/user=nobody/);

    const bad = await runCli(['connections', '--state', 'ESTABLISHD', '--port', '70000']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^sockscope: state: .*; port: /);
  });

  it('--watch refreshes until SIGINT and exits 0', async () => {
    const proc = spawn(process.execPath, [join(import.meta.dirname, '../dist/cli.js'), 'connections', '--watch', '0.2', '--port', String(ports.pair)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    await waitFor(async () => (out.match(/^DIRECTION/gm) ?? []).length >= 2, 'two frames');
    proc.kill('SIGINT');
    const code = await new Promise<number | null>((r) => proc.on('close', r));
    expect(code).toBe(0);
  });
});

describe('sockscope connections on a terminal (a pty from script(1))', () => {
  const inPty = async (command: string, env: NodeJS.ProcessEnv) => {
    const { stdout } = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm', ...env }, encoding: 'utf8' });
    return stdout;
  };
  const cli = `${process.execPath} ${CLI} connections`;

  it('colours the table on a terminal, never with NO_COLOR or --no-color', async () => {
    const coloured = await inPty(`${cli} --port ${ports.pair}`, {});
    expect(coloured).toContain('\x1b[1mDIRECTION');
    expect(coloured).toMatch(/\x1b\[3\dmlisten/);
    for (const [flags, env] of [['', { NO_COLOR: '1' }], [' --no-color', {}]] as const) {
      const plain = await inPty(`${cli} --port ${ports.pair}${flags}`, env);
      expect(plain).toMatch(/^DIRECTION/m);
      expect(plain).not.toContain('\x1b[');
    }
  });

  it('--watch redraws in place (screen cleared per frame, cursor hidden then shown again) and ctrl-C exits 0', async () => {
    // SIGINT after 4 s, as ctrl-C; --preserve-status: timeout exits with the command's own status
    const out = await inPty(`timeout --preserve-status -s INT 4 ${cli} --watch 0.3 --port ${ports.pair}`, {});
    expect((out.match(/\x1b\[H\x1b\[2J/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(out.startsWith('\x1b[?25l')).toBe(true);
    expect(out.trimEnd().endsWith('\x1b[?25h')).toBe(true);
    expect(out).toContain('ctrl-C quits');
  });
});

describe('parsing of sockscope connections', () => {
  it('connections --help lists every filter as a flag and exits 0; sockscope --help names the command and --web.enable-connections', async () => {
    const help = await runCli(['connections', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--state VALUE', '--port VALUE', '--local-port VALUE', '--process VALUE', '--pod VALUE', '--limit VALUE', '--labels VALUE', '--aggregate', '--topology', '--json', '--watch [SECONDS]', '--from URL', '--ca-file FILE', '--insecure-skip-verify', '--user NAME[:PASSWORD]']) {
      expect(help.stdout, flag).toContain(flag);
    }
    const top = await runCli(['--help']);
    expect(top.stdout).toContain('sockscope connections [flags]');
    expect(top.stdout).toContain('--web.enable-connections');
    // the command must come first: its flags are its own
    const late = await runCli(['--log.level', 'info', 'connections']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/put it first/);
  });

  it('maps flags to query parameters, --local-port and --local_port alike, repeated flags kept', () => {
    const a = parseConnectionsArgs(['--state', 'ESTABLISHED', '--state=LISTEN', '--local-port', '22', '--remote_port', '443', '--aggregate', '--watch', '--json']);
    expect(a.params).toEqual({ state: ['ESTABLISHED', 'LISTEN'], local_port: ['22'], remote_port: ['443'], view: ['aggregated'] });
    expect(a.watchSeconds).toBe(2);
    expect(parseConnectionsArgs(['--watch', '5']).watchSeconds).toBe(5);
    expect(() => parseConnectionsArgs(['--stat', 'x'])).toThrow(/unknown flag --stat \(did you mean --state\?\)/);
    expect(() => parseConnectionsArgs(['--user', 'a'])).toThrow(/give its URL with --from/);
  });

  it('reads user names from /etc/passwd text: the first line of a uid wins, comments and bad lines skipped', () => {
    expect([...parsePasswd('# c\nroot:x:0:0::/root:/bin/sh\nbad\nnobody:x:65534:65534::/:/usr/sbin/nologin\ntoor:x:0:0::/:/bin/sh\nx:x:notanumber:0::/:/\n')]).toEqual([
      [0, 'root'],
      [65534, 'nobody'],
    ]);
  });

  it('--from: the API URL from the agent address, credentials taken out of the URL into basic auth', () => {
    expect(apiUrl({ from: 'https://alice:p%40ss@127.0.0.1:8020', env: {} })).toMatchObject({
      shown: 'https://127.0.0.1:8020/api/v1/connections',
      authorization: `Basic ${Buffer.from('alice:p@ss').toString('base64')}`,
    });
    expect(apiUrl({ from: '127.0.0.1:8020/', user: 'bob', env: { SOCKSCOPE_PASSWORD: 'pw' } })).toMatchObject({
      shown: 'http://127.0.0.1:8020/api/v1/connections',
      authorization: `Basic ${Buffer.from('bob:pw').toString('base64')}`,
    });
    expect(apiUrl({ from: 'http://h:1/api/v1/connections?x=1', env: {} }).shown).toBe('http://h:1/api/v1/connections');
  });
});

/** Polls /-/ready (over TLS with auth when given) until 200. */
async function ready(port: number, opts: { tls?: boolean; auth?: string } = {}): Promise<void> {
  await waitFor(async () => (await get(port, '/-/ready', opts)).status === 200, '/-/ready');
}

function get(port: number, path: string, opts: { tls?: boolean; auth?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  if (!opts.tls) {
    return fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => ({ status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() }));
  }
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {};
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca: execFileSync('cat', [pki.caCert]), headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the agent serves the live connections only when asked', () => {
  let agents: RunningCli[] = [];
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    agents = [];
  });

  it('off by default: /api/v1/connections and /connections are 404 with a one-line hint naming --web.enable-connections', async () => {
    const cli = await startCli([]);
    agents.push(cli);
    await ready(cli.port);
    for (const path of ['/api/v1/connections', '/connections']) {
      const res = await get(cli.port, path);
      expect(res.status).toBe(404);
      expect(res.body.trim().split('\n')).toHaveLength(1);
      expect(res.body).toContain('--web.enable-connections');
    }
    // and `connections --from` says so in one line, exit 1
    const r = await runCli(['connections', '--from', `http://127.0.0.1:${cli.port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/404: .*--web\.enable-connections/);
  });

  it('--web.enable-connections: 200 with the rows of this process, the page with its CSP, and --from reads the same', async () => {
    const cli = await startCli(['--web.enable-connections']);
    agents.push(cli);
    await ready(cli.port);
    const res = await get(cli.port, `/api/v1/connections?port=${ports.pair}`);
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body) as ConnectionsAnswer;
    expect(validate(structuredClone(answer))).toEqual([]);
    expect((answer.rows as DetailedRow[]).filter((r) => r.pid === process.pid)).toHaveLength(3);
    const page = await get(cli.port, '/connections');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(WEB_CSP);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('<script defer src="connections.js"></script>');
    const bad = await get(cli.port, '/api/v1/connections?state=nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: expect.stringMatching(/^state: /) });

    const remote = await connectionsJson(['--from', `http://127.0.0.1:${cli.port}`, '--port', String(ports.pair)]);
    expect((remote.rows as DetailedRow[]).map(rowKey).sort()).toEqual((answer.rows as DetailedRow[]).map(rowKey).sort());
    const badRemote = await runCli(['connections', '--from', `http://127.0.0.1:${cli.port}`, '--view', 'detailed', '--limit', 'lots']);
    expect(badRemote.code).toBe(2);
  });

  it('behind TLS and basic auth: 401 without credentials; --from with --ca-file and --user works; a wrong password, a refused port or an untrusted certificate is one line and exit 1', async () => {
    const web = join(pki.dir, 'web.yml');
    writeFileSync(web, `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\nbasic_auth_users:\n  alice: ${bcrypt.hashSync('s3cret', 4)}\n`);
    const cli = await startCli(['--web.enable-connections', '--web.config.file', web]);
    agents.push(cli);
    await ready(cli.port, { tls: true, auth: 'alice:s3cret' });
    expect((await get(cli.port, '/api/v1/connections', { tls: true })).status).toBe(401);
    expect((await get(cli.port, '/connections', { tls: true })).status).toBe(401);

    const from = `https://127.0.0.1:${cli.port}`;
    const env = { ...process.env, SOCKSCOPE_PASSWORD: 's3cret' };
    const answer = await connectionsJson(['--from', from, '--ca-file', pki.caCert, '--user', 'alice', '--port', String(ports.pair)], env);
    expect((answer.rows as DetailedRow[]).filter((r) => r.pid === process.pid)).toHaveLength(3);

    const oneLine = async (args: string[], pattern: RegExp, environment: NodeJS.ProcessEnv = process.env) => {
      const r = await runCli(['connections', ...args], { env: environment });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    };
    await oneLine(['--from', from, '--ca-file', pki.caCert, '--user', 'alice:wrong'], /401 unauthorized: wrong user or password/);
    await oneLine(['--from', from, '--ca-file', pki.caCert], /401 unauthorized: the agent asks for a user/);
    await oneLine(['--from', from, '--user', 'alice'], /TLS certificate not trusted .*--ca-file/, env);
    // a port nothing listens on: the one of an agent stopped just now
    const gone = await startCli([]);
    const goneAt = gone.port;
    await gone.stop();
    await oneLine(['--from', `http://127.0.0.1:${goneAt}`], /connection refused/);
  });
});

describe('sockscope connections --json into a pipe', () => {
  it('writes all of a large answer before it exits (thousands of sockets, megabytes of JSON)', async () => {
    // 1,500 loopback connections held by this process: 3,000 sockets and a listener
    const server = createServer();
    const accepted: Socket[] = [];
    server.on('connection', (s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const clients: Socket[] = [];
    try {
      for (let i = 0; i < 1500; i++) {
        const c = createConnection(port, '127.0.0.1');
        clients.push(c);
        await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
      }
      await waitFor(async () => accepted.length === 1500, 'the server to accept 1,500 connections');
      const r = await runCli(['connections', '--json', '--limit', '100000', '--port', String(port)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(1 << 20);
      const rows = (JSON.parse(r.stdout) as { rows: Array<{ state: string }> }).rows;
      expect(rows.filter((row) => row.state === 'ESTABLISHED').length).toBe(3000);
    } finally {
      for (const s of [...clients, ...accepted]) s.destroy();
      server.close();
    }
  });
});
