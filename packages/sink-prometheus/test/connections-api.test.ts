import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { compileConfigSchema, connectionsAnswerSchema, createConnectionsFold, createPipeline, parseConnectionsQuery, queryConnections, streamConnections, type Collector, type SocketRecord } from '@sockscope/core';
import { WEB_CSP, webAssets } from '@sockscope/web';
import { afterEach, describe, expect, it } from 'vitest';
import { answerPieces, CONNECTIONS_OFF_HINT } from '../src/connections-api.js';
import { createPrometheusSink, type PrometheusSinkInstance } from '../src/sink.js';
import type { PrometheusSinkConfig } from '../src/config.js';
import { fixedFold, sinkContext } from './harness.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const validate = compileConfigSchema(connectionsAnswerSchema as never);

/** n established IPv4 sockets of one process to 10.0.0.2:443, and a listener on :8080. */
function records(n: number): SocketRecord[] {
  const proc = { pid: 4242, comm: 'curl', cmdline: 'curl https://example' };
  const out: SocketRecord[] = [{ protocol: 'tcp', family: 'ipv4', state: 'LISTEN', local: { address: '0.0.0.0', port: 8080 }, remote: { address: '0.0.0.0', port: 0 }, inode: 1, uid: 0, recvQueue: 0, sendQueue: 128 }];
  for (let i = 0; i < n; i++) {
    out.push({ protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '10.0.0.1', port: 40000 + i }, remote: { address: '10.0.0.2', port: 443 }, inode: 100 + i, uid: 1000, recvQueue: 0, sendQueue: 0, process: proc });
  }
  return out;
}

const socketsCollector = (list: readonly SocketRecord[]): Collector => ({
  stream: async (_signal, visit) => {
    for (const r of list) visit(r);
    return {};
  },
  close: async () => {},
});

let sink: PrometheusSinkInstance | undefined;
afterEach(async () => {
  await sink?.stop();
  sink = undefined;
});

async function start(config: Partial<PrometheusSinkConfig>, n = 3) {
  const pipeline = createPipeline({
    collectors: [{ name: 'sockets', collector: socketsCollector(records(n)), timeoutMs: 1000 }],
    enrichers: [],
    metrics: fixedFold([]),
    views: { connections: createConnectionsFold({ userName: (uid) => (uid === 1000 ? 'alice' : undefined) }) },
    minIntervalMs: 0,
  });
  sink = createPrometheusSink(sinkContext({ listen_address: '127.0.0.1:0', ...config }, pipeline));
  await sink.start();
  return sink.address()?.port as number;
}

describe('live connections endpoints of the Prometheus sink', () => {
  it('are off by default: /api/v1/connections and /connections answer 404 with a one-line hint naming the flag, and / says they are off', async () => {
    const port = await start({});
    for (const path of ['/api/v1/connections', '/connections', '/api/v1/connections?view=aggregated', '/api/v1/topology']) {
      const res = await get(port, path);
      expect(res.status).toBe(404);
      expect(res.body.toString()).toBe(`${CONNECTIONS_OFF_HINT}\n`);
      expect(res.body.toString()).toContain('--web.enable-connections');
    }
    // the page's assets are not served either
    expect((await get(port, '/connections.js')).status).toBe(404);
    const index = (await get(port, '/')).body.toString();
    expect(index).toContain('/connections, /api/v1/connections and /api/v1/topology: live connections, off (start with <code>--web.enable-connections</code>)');
  });

  it('when on: the answer of the spec (schema-valid, gzip when accepted, 400 {error} on a bad filter), / links the page and the API', async () => {
    const port = await start({ connections: true });
    const res = await get(port, '/api/v1/connections?direction=outbound');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const answer = JSON.parse(res.body.toString()) as { rows: { process?: string; user?: string; remote_port: number }[]; counts: { sockets: number; matched: number }; truncated: boolean };
    expect(validate(answer)).toEqual([]);
    expect(answer.counts).toMatchObject({ sockets: 4, matched: 3 });
    expect(answer.rows.map((r) => [r.process, r.user, r.remote_port])).toEqual([
      ['curl', 'alice', 443],
      ['curl', 'alice', 443],
      ['curl', 'alice', 443],
    ]);
    expect(answer.truncated).toBe(false);

    const zipped = await get(port, '/api/v1/connections?view=aggregated', { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const aggregated = JSON.parse(gunzipSync(zipped.body).toString()) as { rows: { count: number }[] };
    expect(validate(aggregated)).toEqual([]);
    expect(aggregated.rows.reduce((n, r) => n + r.count, 0)).toBe(4);

    const topology = JSON.parse((await get(port, '/api/v1/connections?view=topology')).body.toString()) as { topology: { links: unknown[] } };
    expect(validate(topology)).toEqual([]);
    expect(topology.topology.links).toHaveLength(1);

    // the issue's /api/v1/topology: the same answer as view=topology
    const alias = JSON.parse((await get(port, '/api/v1/topology?group_by=pid')).body.toString()) as { view: string; topology: { group_by: string; links: unknown[] } };
    expect(validate(alias)).toEqual([]);
    expect(alias).toMatchObject({ view: 'topology', topology: { group_by: 'pid' } });
    expect(alias.topology.links).toHaveLength(1);
    expect((await get(port, '/api/v1/topology?view=detailed')).status).toBe(400);

    const bad = await get(port, '/api/v1/connections?stat=LISTEN&port=99999');
    expect(bad.status).toBe(400);
    const error = (JSON.parse(bad.body.toString()) as { error: string }).error;
    expect(error).toMatch(/^stat: /);
    expect(error).toContain('port: ');

    const index = (await get(port, '/')).body.toString();
    expect(index).toContain('<a href="/connections">/connections</a>');
    expect(index).toContain('<a href="/api/v1/connections">/api/v1/connections</a>');
    expect(index).toContain('<a href="/api/v1/topology">/api/v1/topology</a>');
  });

  it('topology labels are off by default (400 naming connections_topology_labels) and answered for the fields its patterns allow', async () => {
    const off = await start({ connections: true });
    const refused = await get(off, '/api/v1/topology?labels=user');
    expect(refused.status).toBe(400);
    expect((JSON.parse(refused.body.toString()) as { error: string }).error).toMatch(/^labels: user is not allowed.*sinks\.prometheus\.connections_topology_labels/);
    await sink?.stop();
    sink = undefined;

    const on = await start({ connections: true, connections_topology_labels: ['u*', 'netns'] });
    const res = await get(on, '/api/v1/topology?labels=user,uid,netns');
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body.toString()) as { topology: { actors: { id: string; labels?: Record<string, string[]> }[] } };
    expect(validate(answer)).toEqual([]);
    expect(answer.topology.actors.find((a) => a.id === 'process:curl')?.labels).toEqual({ user: ['alice'], uid: ['1000'], netns: ['system'] });
    const image = await get(on, '/api/v1/topology?labels=user,image');
    expect(image.status).toBe(400);
    expect((JSON.parse(image.body.toString()) as { error: string }).error).toMatch(/^labels: image is not allowed/);
    expect((await get(on, '/api/v1/connections?labels=user')).status).toBe(400);
  });

  it('when on: /connections and its assets come from @sockscope/web with the page CSP and nosniff', async () => {
    const port = await start({ connections: true });
    const page = await get(port, '/connections');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(WEB_CSP);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body.equals(webAssets().get('connections.html')?.body as Buffer)).toBe(true);
    for (const name of ['connections.js', 'connections.css', 'cytoscape.min.js']) {
      const asset = await get(port, `/${name}`);
      expect(asset.status, name).toBe(200);
      expect(asset.headers['content-security-policy']).toBe(WEB_CSP);
      expect(asset.body.length).toBe(webAssets().get(name)?.body.length);
    }
  });

  it('an answer beyond connections_max_bytes is cut at a whole row and says truncated: true; the rows it has are whole and the JSON valid', async () => {
    const port = await start({ connections: true, connections_max_bytes: 4096 }, 200);
    const res = await get(port, '/api/v1/connections');
    expect(res.body.length).toBeLessThanOrEqual(4096);
    const answer = JSON.parse(res.body.toString()) as { rows: unknown[]; truncated: boolean; counts: { matched: number } };
    expect(validate(answer)).toEqual([]);
    expect(answer.truncated).toBe(true);
    expect(answer.rows.length).toBeGreaterThan(0);
    expect(answer.rows.length).toBeLessThan(answer.counts.matched);
  });

  it('answerPieces streams rows in pieces whose concatenation is the answer itself', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ direction: 'outbound', local_port: i, cmdline: 'x'.repeat(40) }));
    const answer = { version: 1, view: 'detailed', rows, truncated: false, limit: 5000 } as never;
    const pieces = [...answerPieces(answer, 1 << 30)];
    expect(pieces.length).toBeGreaterThan(2);
    expect(JSON.parse(pieces.join(''))).toEqual({ version: 1, view: 'detailed', limit: 5000, rows, truncated: false });
  });

  it('a detailed answer is written as its rows are made: the first piece leaves for the client before most row objects exist (peak memory)', () => {
    const fold = createConnectionsFold();
    fold.begin(Date.now());
    for (const r of records(5_000)) fold.add(r);
    const snapshot = fold.end(true);
    // count the reads detailedRow makes of each row (the filter and the counts do not read local_ip)
    let made = 0;
    const rows = snapshot.rows.map((r) => new Proxy(r, { get: (t, k, recv) => (k === 'localIp' && made++, Reflect.get(t, k, recv)) }));
    const counted = { ...snapshot, rows };
    const query = parseConnectionsQuery({ limit: '100000' });
    const pieces = answerPieces(streamConnections(counted, query), 1 << 30);
    pieces.next();
    pieces.next();
    // a piece is about 64 KB, some 90 rows of this host: far from the 5,001 of the answer
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(1000);
    const rest = [...pieces];
    expect(made).toBe(5_001);
    expect(rest.length).toBeGreaterThan(10);
    // and the text is the answer queryConnections builds whole
    const whole = queryConnections(snapshot, query);
    const streamed = JSON.parse([...answerPieces(streamConnections(snapshot, query), 1 << 30)].join('')) as unknown;
    expect(streamed).toEqual(JSON.parse(JSON.stringify(whole)) as unknown);
  }, 30_000);

  it('view=protocols: 503 naming the collector without host protocol counters, 400 with a filter; with them zeros first, then the counters per second since the previous answer', async () => {
    let port = await start({ connections: true });
    const none = await get(port, '/api/v1/connections?view=protocols');
    expect(none.status).toBe(503);
    expect((JSON.parse(none.body.toString()) as { error: string }).error).toMatch(/^view=protocols: this collection has no TCP\/UDP protocol counters; .*linux-procfs.*freebsd-sysctl/);
    const filtered = await get(port, '/api/v1/connections?view=protocols&port=443');
    expect(filtered.status).toBe(400);
    expect(JSON.parse(filtered.body.toString())).toEqual({ error: 'port: view=protocols is the host\'s protocol counters and takes no filters; leave port out' });
    await sink?.stop();

    let opens = 1000;
    const pipeline = createPipeline({
      collectors: [
        {
          name: 'host',
          collector: { stream: async () => ({ host: { protocols: { Tcp: { ActiveOpens: (opens += 50), CurrEstab: 7 }, Udp: { NoPorts: 3 } } } }), close: async () => {} },
          timeoutMs: 1000,
        },
      ],
      enrichers: [],
      metrics: fixedFold([]),
      views: { connections: createConnectionsFold() },
      minIntervalMs: 0,
    });
    sink = createPrometheusSink(sinkContext({ listen_address: '127.0.0.1:0', connections: true }, pipeline));
    await sink.start();
    port = sink.address()?.port as number;
    type Table = { view: string; interval_seconds: number; tcp_established: number; rows: { counter: string; per_second: number; total: number }[] };
    const first = JSON.parse((await get(port, '/api/v1/connections?view=protocols')).body.toString()) as Table;
    expect(first).toMatchObject({ view: 'protocols', interval_seconds: 0, tcp_established: 7 });
    expect(first.rows.map((r) => [r.counter, r.per_second])).toEqual([['active_opens', 0], ['no_ports', 0]]);
    await new Promise((r) => setTimeout(r, 100));
    const second = JSON.parse((await get(port, '/api/v1/connections?view=protocols')).body.toString()) as Table;
    expect(second.interval_seconds).toBeGreaterThan(0);
    const active = second.rows.find((r) => r.counter === 'active_opens')!;
    expect(active.total - first.rows[0]!.total).toBe(50);
    expect(active.per_second).toBeCloseTo(50 / second.interval_seconds, 0);
    expect(second.rows.find((r) => r.counter === 'no_ports')?.per_second).toBe(0);
  });
});
