import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { SockscopeError } from '../errors.js';
import { listener, T0, tcpSocket } from '../flows/sockets.fixture.js';
import { parseServices, portName } from '../net/services.js';
import { foldRecords } from '../pipeline/list.js';
import type { SocketRecord } from '../types/socket.js';
import type { AggregatedRow, ConnectionsAnswer, DetailedRow } from './answer.js';
import { NO_PROCESS, queryConnections } from './answer.js';
import { APP, BLUE_NETNS, CURL, DB_CONTAINER, hostSockets, NGINX, POSTGRES } from './connections.fixture.js';
import { createConnectionsFold, withCollectionFacts, type ConnectionsFoldOptions, type ConnectionsSnapshot } from './connections-fold.js';
import { parseConnectionsQuery } from './query.js';
import { rowAgeSeconds, type ConnectionRow } from './row.js';
import { connectionsAnswerSchema } from './schema.js';

const SERVICES = parseServices('http 80/tcp www\nhttps 443/tcp\npostgresql 5432/tcp postgres\ndomain 53/tcp\ndomain 53/udp\nhttp-alt 8080/tcp\n');
const USERS: Record<number, string> = { 0: 'root', 33: 'www-data', 999: 'postgres', 1000: 'alice' };
const OPTIONS: ConnectionsFoldOptions = { userName: (uid) => USERS[uid], portName: (p, proto) => portName(SERVICES, p, proto) };

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(connectionsAnswerSchema);
/** Every answer a test makes goes through the schema. */
function checked(a: ConnectionsAnswer): ConnectionsAnswer {
  const ok = validate(JSON.parse(JSON.stringify(a)));
  if (!ok) throw new Error(`answer does not match connectionsAnswerSchema: ${ajv.errorsText(validate.errors)}`);
  return a;
}

function snapshotOf(sockets: readonly SocketRecord[] = hostSockets(), options: ConnectionsFoldOptions = OPTIONS): ConnectionsSnapshot {
  return withCollectionFacts(foldRecords(createConnectionsFold(options), T0, sockets), {
    hostname: 'web-1',
    durationSeconds: 0.25,
    status: [
      { name: 'linux-netlink', success: true },
      { name: 'enricher:process', success: false, error: 'timed out' },
    ],
  });
}
const ask = (snap: ConnectionsSnapshot, params: Record<string, string | string[]> = {}): ConnectionsAnswer => checked(queryConnections(snap, parseConnectionsQuery(params)));
const detailed = (snap: ConnectionsSnapshot, params: Record<string, string | string[]> = {}): DetailedRow[] => ask(snap, params).rows as DetailedRow[];
const byInode = (rows: DetailedRow[], inode: number): DetailedRow => {
  const r = rows.find((x) => x.inode === inode);
  if (!r) throw new Error(`no row with inode ${inode}`);
  return r;
};
const queryError = (params: Record<string, string | string[]> | URLSearchParams): SockscopeError => {
  try {
    parseConnectionsQuery(params);
  } catch (err) {
    if (err instanceof SockscopeError) return err;
    throw err;
  }
  throw new Error(`the query ${JSON.stringify(params)} was taken`);
};

describe('connections fold: detailed rows', () => {
  it('maps directions, splitting local into local-inbound (the listener side) and local-outbound', () => {
    const rows = detailed(snapshotOf());
    const dir = (inode: number) => byInode(rows, inode).direction;
    expect([100, 101, 102, 103, 104].map(dir)).toEqual(['listen', 'listen', 'listen', 'listen', 'listen']);
    expect(dir(200)).toBe('inbound');
    expect(dir(201)).toBe('local-outbound'); // app's side of app → postgres
    expect(dir(202)).toBe('local-inbound'); // postgres' accepted socket, taken by the dual-stack listener
    expect([203, 204, 205, 206].map(dir)).toEqual(['outbound', 'outbound', 'outbound', 'outbound']);
    expect(rows.find((r) => r.state === 'TIME_WAIT')?.direction).toBe('inbound');
    expect(dir(207)).toBe('outbound'); // curl in netns blue: 10.200.0.1 is not an address of blue
    expect(dir(208)).toBe('inbound');
    // server_port: the local port for listen/inbound/local-inbound, the remote one otherwise
    expect(byInode(rows, 201).server_port).toBe(5432);
    expect(byInode(rows, 202).server_port).toBe(5432);
    expect(byInode(rows, 200).server_port).toBe(80);
    expect(byInode(rows, 205).server_port).toBe(53);
  });

  it('falls back as the metric fold does when no direction enricher ran: listener, listening port, ephemeral ports', () => {
    const sockets = hostSockets().map((s) => ({ ...s, direction: undefined }));
    const rows = detailed(snapshotOf(sockets));
    expect(byInode(rows, 100).direction).toBe('listen');
    expect(byInode(rows, 200).direction).toBe('inbound');
    expect(byInode(rows, 201).direction).toBe('local-outbound');
    expect(byInode(rows, 202).direction).toBe('local-inbound');
    expect(byInode(rows, 203).direction).toBe('outbound');
    // a bound TCP socket with no peer has no direction
    const bound = detailed(snapshotOf([{ ...tcpSocket({ state: 'CLOSE', remote: { address: '0.0.0.0', port: 0 }, inode: 7 }), tcp: undefined }]));
    expect(bound[0]?.direction).toBe('');
  });

  it('names dual-stack listeners tcp46/udp46 and v6only ones tcp6/udp6', () => {
    const rows = detailed(snapshotOf());
    expect(byInode(rows, 101).protocol).toBe('tcp46');
    expect(byInode(rows, 103).protocol).toBe('udp46');
    expect(byInode(rows, 104).protocol).toBe('udp6');
    expect(byInode(rows, 100).protocol).toBe('tcp4');
    expect(byInode(rows, 202).protocol).toBe('tcp6'); // an accepted v6 socket is no listener
    expect(byInode(rows, 205).protocol).toBe('udp4');
    const v6only = detailed(snapshotOf([listener(443, { family: 'ipv6', local: { address: '::', port: 443 }, v6only: true })]));
    expect(v6only[0]?.protocol).toBe('tcp6');
  });

  it('carries process, user, container, netns, port names, tcp_info in ms, cookie as a string, and omits what is unknown', () => {
    const rows = detailed(snapshotOf());
    const nginx = byInode(rows, 200);
    expect(nginx).toMatchObject({ pid: 10, process: 'nginx', uid: 33, user: 'www-data', netns: 'system', local_space: 'private', remote_space: 'public', port_name: 'http', rtt_ms: 12.5, total_retransmits: 2, cookie: '9001' });
    const pg = byInode(rows, 202);
    expect(pg).toMatchObject({ container: 'db', pod: 'db-0', namespace: 'prod', image: 'postgres:16', unit: 'db-unit', user: 'postgres', port_name: 'postgresql', local_space: 'loopback' });
    expect(byInode(rows, 207).netns).toBe('blue');
    const unnamed = detailed(snapshotOf([tcpSocket({ netns: 4026531999, inode: 5 })]));
    expect(unnamed[0]?.netns).toBe('4026531999');
    const tw = rows.find((r) => r.state === 'TIME_WAIT') as DetailedRow;
    for (const k of ['pid', 'process', 'cmdline', 'container', 'pod', 'rtt_ms', 'cookie', 'age_seconds']) expect(tw).not.toHaveProperty(k);
    expect(tw).toMatchObject({ uid: 0, user: 'root' });
    expect(detailed(snapshotOf(), { pid: '30' }).every((r) => !('container' in r))).toBe(true);
    expect(detailed(snapshotOf(), { pid: '30' })[0]).toMatchObject({ uid: 1000, user: 'alice' });
    // a container with no name shows 12 characters of its id
    const anon = detailed(snapshotOf([tcpSocket({ container: { id: DB_CONTAINER.id } })]));
    expect(anon[0]?.container).toBe((DB_CONTAINER.id as string).slice(0, 12));
  });

  it('shortens command lines to cmdlineMax with …, whole with cmdline=full', () => {
    const long = POSTGRES.cmdline as string;
    expect(long.length).toBeGreaterThan(128);
    const short = byInode(detailed(snapshotOf()), 202).cmdline as string;
    expect(short).toHaveLength(128);
    expect(short.endsWith('…')).toBe(true);
    expect(long.startsWith(short.slice(0, 127))).toBe(true);
    expect(byInode(detailed(snapshotOf(), { cmdline: 'full' }), 202).cmdline).toBe(long);
    expect(byInode(detailed(snapshotOf()), 200).cmdline).toBe(NGINX.cmdline);
    const forty = byInode(detailed(snapshotOf(hostSockets(), { ...OPTIONS, cmdlineMax: 40 })), 202).cmdline as string;
    expect(forty).toHaveLength(40);
  });

  it('gives age_seconds to a socket an earlier collection saw, and forgets sockets a complete collection did not see', () => {
    const fold = createConnectionsFold(OPTIONS);
    const a = tcpSocket({ cookie: 1n, inode: 1 });
    const first = foldRecords(fold, T0, [a]);
    const age = (s: ConnectionsSnapshot) => rowAgeSeconds(s.rows[0] as ConnectionRow, s.timestamp);
    expect(age(first)).toBeUndefined();
    const second = foldRecords(fold, T0 + 15_000, [a]);
    expect(age(second)).toBe(15);
    // the first collection's row is still true of it (a row kept across collections carries when it was first seen, not an age)
    expect(age(first)).toBeUndefined();
    expect(detailed(second)[0]?.age_seconds).toBe(15);
    expect(detailed(first)[0]?.age_seconds).toBeUndefined();
    foldRecords(fold, T0 + 20_000, []); // gone
    expect(age(foldRecords(fold, T0 + 30_000, [a]))).toBeUndefined();
    // a partial collection forgets nothing it did not see
    foldRecords(fold, T0 + 40_000, [], false);
    expect(age(foldRecords(fold, T0 + 45_000, [a]))).toBe(15);
  });

  it('answers an unchanged socket with the row it had (no row per socket per collection), and a changed one with a new row, the earlier snapshot left as it was', () => {
    const fold = createConnectionsFold(OPTIONS);
    const idle = tcpSocket({ cookie: 7n, inode: 70, local: { address: '10.0.0.1', port: 443 }, remote: { address: '10.0.0.9', port: 50000 } });
    const busy = tcpSocket({ cookie: 8n, inode: 80, local: { address: '10.0.0.1', port: 443 }, remote: { address: '10.0.0.9', port: 50001 } });
    const first = foldRecords(fold, T0, [idle, busy]);
    // the next collection's records are new objects with the same values, as a collector makes them
    const copy = (s: SocketRecord, tcp?: Partial<NonNullable<SocketRecord['tcp']>>): SocketRecord => ({ ...s, local: { ...s.local }, remote: { ...s.remote }, tcp: s.tcp && { ...s.tcp, ...tcp } });
    const second = foldRecords(fold, T0 + 15_000, [copy(idle), copy(busy, { bytesAcked: 123_456n, rttUs: 9_999 })]);
    expect(second.rows[0]).toBe(first.rows[0]);
    expect(second.rows[1]).not.toBe(first.rows[1]);
    expect(second.rows[1]?.bytesAcked).toBe(123_456);
    expect(second.rows[1]?.rttUs).toBe(9_999);
    expect(first.rows[1]?.rttUs).not.toBe(9_999);
    expect(detailed(first)[0]?.age_seconds).toBeUndefined();
    expect(detailed(second).map((r) => r.age_seconds)).toEqual([15, 15]);
    // a socket that moved to another process is a new row too
    const moved = foldRecords(fold, T0 + 30_000, [{ ...copy(idle), process: { ...(idle.process ?? { pid: 1, comm: 'x' }), pid: 4242 } }]);
    expect(moved.rows[0]).not.toBe(first.rows[0]);
    expect(moved.rows[0]?.pid).toBe(4242);
    // the aggregated view of a kept row is the same as of a new one
    expect(ask(second, { view: 'aggregated' }).rows).toEqual(ask(foldRecords(createConnectionsFold(OPTIONS), T0, [copy(idle), copy(busy, { bytesAcked: 123_456n, rttUs: 9_999 })]), { view: 'aggregated' }).rows);
  });

  it('keeps no rows of other protocols and states the collection facts', () => {
    const unix: SocketRecord = { protocol: 'unix', family: 'unix', state: 'LISTEN', local: { address: '/run/x.sock', port: 0 }, remote: { address: '', port: 0 }, inode: 9, uid: 0, recvQueue: 0, sendQueue: 0 };
    const snap = snapshotOf([...hostSockets(), unix]);
    expect(snap.skipped).toBe(1);
    const a = ask(snap);
    expect(a.counts.sockets).toBe(15);
    expect(a).toMatchObject({
      version: 1,
      view: 'detailed',
      timestamp: new Date(T0).toISOString(),
      hostname: 'web-1',
      collection: { duration_seconds: 0.25, complete: true, collectors: [{ name: 'linux-netlink', success: true }, { name: 'enricher:process', success: false, error: 'timed out' }] },
    });
    const partial = foldRecords(createConnectionsFold(), T0, hostSockets(), false);
    expect(checked(queryConnections(partial, parseConnectionsQuery({}))).collection.complete).toBe(false);
  });

  it('refuses a cmdlineMax or ephemeral range that cannot work', () => {
    expect(() => createConnectionsFold({ cmdlineMax: 2 })).toThrow(/cmdlineMax: must be a whole number of at least 8/);
    expect(() => createConnectionsFold({ ephemeralPorts: { from: 5, to: 1 } })).toThrow(/ephemeralPorts: from \(5\) is above to \(1\)/);
  });
});

describe('connections counts', () => {
  it('counts every socket, the matched ones, and the matched by direction, protocol and process', () => {
    const a = ask(snapshotOf());
    expect(a.counts).toEqual({
      sockets: 15,
      matched: 15,
      by_direction: { listen: 5, inbound: 3, outbound: 5, 'local-inbound': 1, 'local-outbound': 1 },
      by_protocol: { tcp4: 10, tcp46: 1, tcp6: 1, udp46: 1, udp6: 1, udp4: 1 },
      by_process: { app: 5, nginx: 2, postgres: 2, dnsmasq: 2, api: 2, curl: 1, [NO_PROCESS]: 1 },
    });
    const f = ask(snapshotOf(), { process: 'app' });
    expect(f.counts.sockets).toBe(15);
    expect(f.counts.matched).toBe(5);
    expect(f.counts.by_process).toEqual({ app: 5 });
  });

  it('names the 20 busiest processes and sums the rest as other', () => {
    const sockets: SocketRecord[] = [];
    for (let p = 0; p < 25; p++) for (let i = 0; i <= p; i++) sockets.push(tcpSocket({ inode: p * 100 + i, local: { address: '10.0.0.1', port: 40000 + p * 100 + i }, process: { pid: 1000 + p, comm: `p${p}` } }));
    const by = ask(snapshotOf(sockets)).counts.by_process;
    expect(Object.keys(by)).toHaveLength(21);
    expect(by.p24).toBe(25);
    expect(by.p4).toBeUndefined();
    expect(by.other).toBe(1 + 2 + 3 + 4 + 5);
    expect(Object.values(by).reduce((x, y) => x + y, 0)).toBe(sockets.length);
  });
});

describe('aggregated view', () => {
  it('folds on the server endpoint and merges tcp_info as netdata does: max, sum, min', () => {
    const rows = ask(snapshotOf(), { view: 'aggregated' }).rows as AggregatedRow[];
    const https = rows.filter((r) => r.server_port === 443 && r.state === 'ESTABLISHED');
    expect(https).toHaveLength(1);
    expect(https[0]).toEqual({
      process: 'app',
      uid: 1000,
      user: 'alice',
      direction: 'outbound',
      netns: 'system',
      state: 'ESTABLISHED',
      protocol: 'tcp4',
      server_ip: '10.1.2.3',
      server_port: 443,
      port_name: 'https',
      client_space: 'private',
      server_space: 'private',
      count: 2,
      rtt_ms: 30, // max
      rttvar_ms: 1, // max
      rcv_rtt_ms: 0.3, // max
      recv_queue: 5, // max
      send_queue: 7, // max
      total_retransmits: 4, // sum
      lost: 1, // sum
      unacked: 3, // sum
      sacked: 4, // sum
      cwnd: 4, // min
      ssthresh: 20, // min
      mss: 1400, // min
      rto_ms: 204, // min
    });
    // inbound: the server is the local side
    const nginx = rows.find((r) => r.process === 'nginx' && r.direction === 'inbound') as AggregatedRow;
    expect(nginx).toMatchObject({ server_ip: '10.0.0.1', server_port: 80, client_space: 'public', server_space: 'private', count: 1 });
  });

  it('has counts that sum to the detailed rows, whatever the filter, most sockets first', () => {
    const snap = snapshotOf();
    const filters: Record<string, string>[] = [{}, { protocol: 'tcp' }, { direction: 'outbound' }, { process: 'app' }, { state: 'LISTEN' }];
    for (const params of filters) {
      const rows = ask(snap, { ...params, view: 'aggregated' }).rows as AggregatedRow[];
      const total = rows.reduce((n, r) => n + r.count, 0);
      expect(total).toBe(detailed(snap, params).length);
      for (let i = 1; i < rows.length; i++) expect((rows[i - 1] as AggregatedRow).count).toBeGreaterThanOrEqual((rows[i] as AggregatedRow).count);
    }
  });

  it('sums to the detailed rows at scale too (random sockets)', async () => {
    const { prng, randomSockets } = await import('../flows/sockets.fixture.js');
    const sockets = randomSockets(prng(7), 2000);
    const snap = snapshotOf(sockets);
    const rows = ask(snap, { view: 'aggregated', limit: '100000' }).rows as AggregatedRow[];
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(2000);
    expect(rows.length).toBeLessThan(2000);
  });
});

describe('topology view', () => {
  const actorIds = (a: ConnectionsAnswer) => a.topology?.actors.map((x) => x.id) ?? [];
  const linksOf = (a: ConnectionsAnswer) => a.topology?.links ?? [];

  it('resolves a local peer to its process: app → postgres over loopback is one link between the two processes', () => {
    const a = ask(snapshotOf(), { view: 'topology' });
    expect(a.topology?.group_by).toBe('process_name');
    const local = linksOf(a).filter((l) => l.target === 'process:postgres');
    expect(local).toEqual([{ source: 'process:app', target: 'process:postgres', protocol: 'tcp4', state: 'ESTABLISHED', sockets: 1, retransmits: 0, max_rtt_ms: 0.04 }]);
    expect(actorIds(a)).not.toContain('endpoint:127.0.0.1');
    // the server side counts it when its client is filtered away
    const pgOnly = ask(snapshotOf(), { view: 'topology', process: 'postgres' });
    expect(linksOf(pgOnly)).toEqual([{ source: 'process:app', target: 'process:postgres', protocol: 'tcp6', state: 'ESTABLISHED', sockets: 1, retransmits: 0, max_rtt_ms: 0.03 }]);
  });

  it('makes endpoint actors of peers that are not local, including one in another network namespace', () => {
    const a = ask(snapshotOf(), { view: 'topology' });
    const ids = actorIds(a);
    expect(ids[0]).toBe('host');
    expect(a.topology?.actors[0]).toEqual({ id: 'host', kind: 'host', label: 'web-1', sockets: 1 });
    for (const e of ['endpoint:203.0.113.5', 'endpoint:10.1.2.3', 'endpoint:8.8.8.8', 'endpoint:10.200.0.1', 'endpoint:10.200.0.2', 'endpoint:198.51.100.7']) expect(ids).toContain(e);
    const curl = linksOf(a).find((l) => l.source === 'process:curl');
    expect(curl).toMatchObject({ target: 'endpoint:10.200.0.1', protocol: 'tcp4', sockets: 1 });
    expect(linksOf(a).find((l) => l.source === 'endpoint:10.200.0.2')).toMatchObject({ target: 'process:api' });
    expect(a.topology?.actors.find((x) => x.id === 'endpoint:203.0.113.5')).toEqual({ id: 'endpoint:203.0.113.5', kind: 'endpoint', label: '203.0.113.5', address: '203.0.113.5', space: 'public', sockets: 1 });
    const https = linksOf(a).find((l) => l.target === 'endpoint:10.1.2.3' && l.state === 'ESTABLISHED');
    expect(https).toEqual({ source: 'process:app', target: 'endpoint:10.1.2.3', protocol: 'tcp4', state: 'ESTABLISHED', sockets: 2, retransmits: 4, max_rtt_ms: 30 });
    // TIME_WAIT has no process: the host is its server
    expect(linksOf(a).find((l) => l.state === 'TIME_WAIT')).toMatchObject({ source: 'endpoint:198.51.100.7', target: 'host' });
    // listeners are actors' sockets, never links
    expect(a.topology?.actors.find((x) => x.id === 'process:dnsmasq')?.sockets).toBe(2);
    expect(linksOf(a).some((l) => l.source === 'process:dnsmasq' || l.target === 'process:dnsmasq')).toBe(false);
  });

  it('groups by pid and by container', () => {
    const byPid = ask(snapshotOf(), { view: 'topology', group_by: 'pid' });
    expect(byPid.topology?.actors.find((x) => x.id === `pid:${APP.pid}`)).toEqual({ id: 'pid:30', kind: 'process', label: 'app[30]', pid: 30, process: 'app', sockets: 5 });
    expect(linksOf(byPid)).toContainEqual(expect.objectContaining({ source: 'pid:30', target: 'pid:20', protocol: 'tcp4' }));
    const byContainer = ask(snapshotOf(), { view: 'topology', group_by: 'container' });
    const db = byContainer.topology?.actors.find((x) => x.kind === 'container');
    expect(db).toEqual({ id: `container:${DB_CONTAINER.id}`, kind: 'container', label: 'db', container: 'db', sockets: 2 });
    // every process outside a container is the host
    expect(linksOf(byContainer)).toContainEqual(expect.objectContaining({ source: 'host', target: `container:${DB_CONTAINER.id}` }));
    expect(byContainer.topology?.actors.filter((x) => x.kind === 'process')).toEqual([]);
  });

  it('keeps the limit links with most sockets and says it cut', () => {
    const a = ask(snapshotOf(), { view: 'topology', limit: '1' });
    expect(a.truncated).toBe(true);
    expect(linksOf(a)).toHaveLength(1);
    expect(linksOf(a)[0]).toMatchObject({ target: 'endpoint:10.1.2.3', sockets: 2 });
    // endpoints no kept link names are left out
    expect(actorIds(a).filter((id) => id.startsWith('endpoint:'))).toEqual(['endpoint:10.1.2.3']);
    expect(ask(snapshotOf(), { view: 'topology' }).truncated).toBe(false);
  });

  const labelled = (params: Record<string, string | string[]>, allowLabels: readonly string[] | ((f: string) => boolean) = ['*']): ConnectionsAnswer =>
    checked(queryConnections(snapshotOf(), parseConnectionsQuery({ view: 'topology', ...params }), { allowLabels, allowLabelsSetting: 'the.setting' }));
  const labelError = (params: Record<string, string | string[]>, allowLabels?: readonly string[]): SockscopeError => {
    try {
      queryConnections(snapshotOf(), parseConnectionsQuery({ view: 'topology', ...params }), { allowLabels, allowLabelsSetting: 'the.setting' });
    } catch (err) {
      if (err instanceof SockscopeError) return err;
      throw err;
    }
    throw new Error(`labels ${JSON.stringify(params)} were answered`);
  };

  it('attaches allowed labels to process and container actors: the distinct values of their sockets, sorted', () => {
    const a = labelled({ labels: ['user,uid', 'image'], cmdline: 'full' }, ['u*', 'image']);
    const app = a.topology?.actors.find((x) => x.id === 'process:app');
    expect(app?.labels).toEqual({ user: ['alice'], uid: ['1000'], image: [] });
    const pg = a.topology?.actors.find((x) => x.id === 'process:postgres');
    expect(pg?.labels).toEqual({ user: ['postgres'], uid: ['999'], image: ['postgres:16'] });
    const nginx = a.topology?.actors.find((x) => x.id === 'process:nginx');
    expect(nginx?.labels).toEqual({ user: ['www-data'], uid: ['33'], image: [] });
    // host and endpoints carry none
    expect(a.topology?.actors.filter((x) => x.kind === 'host' || x.kind === 'endpoint').every((x) => x.labels === undefined)).toBe(true);
    const byContainer = labelled({ group_by: 'container', labels: 'pod,namespace,unit,container,netns' });
    expect(byContainer.topology?.actors.find((x) => x.kind === 'container')?.labels).toEqual({ pod: ['db-0'], namespace: ['prod'], unit: ['db-unit'], container: ['db'], netns: ['system'] });
    // cmdline shortened as in the detailed rows unless cmdline=full
    const short = labelled({ labels: 'cmdline' }).topology?.actors.find((x) => x.id === 'process:postgres')?.labels?.cmdline ?? [];
    expect(short).toHaveLength(1);
    expect(short[0]?.endsWith('…')).toBe(true);
    expect(labelled({ labels: 'cmdline', cmdline: 'full' }).topology?.actors.find((x) => x.id === 'process:postgres')?.labels?.cmdline).toEqual([POSTGRES.cmdline]);
    // no labels asked, none answered
    expect(labelled({}).topology?.actors.some((x) => x.labels !== undefined)).toBe(false);
  });

  it('refuses a label the caller does not allow, naming the setting; none allowed by default', () => {
    const none = labelError({ labels: 'image' });
    expect(none.code).toBe('ERR_QUERY_INVALID');
    expect(none.message).toMatch(/^labels: image is not allowed.*the\.setting/);
    const some = labelError({ labels: 'image,cmdline,unit' }, ['image', 'u*']);
    expect(some.message).toMatch(/^labels: cmdline is not allowed/);
    expect(() => labelled({ labels: 'image' }, (f) => f === 'image')).not.toThrow();
  });

  it('caps each label at 10 values and says the actor was cut', () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      tcpSocket({ local: { address: '10.0.0.1', port: 46000 + i }, remote: { address: '10.9.9.9', port: 443 }, process: { pid: 500 + i, comm: 'worker' }, uid: 2000 + i, inode: 900 + i }),
    );
    const a = checked(queryConnections(snapshotOf([...hostSockets(), ...many]), parseConnectionsQuery({ view: 'topology', labels: 'uid,user' }), { allowLabels: ['*'] }));
    const worker = a.topology?.actors.find((x) => x.id === 'process:worker');
    expect(worker?.labels?.uid).toEqual(Array.from({ length: 12 }, (_, i) => String(2000 + i)).slice(0, 10));
    expect(worker?.labels?.user).toEqual([]);
    expect(worker?.labels_truncated).toBe(true);
    expect(a.topology?.actors.find((x) => x.id === 'process:app')?.labels_truncated).toBeUndefined();
  });

  it('takes labels only with the topology view and only known fields', () => {
    expect(queryError({ view: 'detailed', labels: 'image' }).message).toBe('labels: only the topology view has labels; add view=topology or leave labels out');
    expect(queryError({ labels: 'image' }).message).toMatch(/^labels: only the topology view/);
    const unknown = queryError({ view: 'topology', labels: 'imag' });
    expect(unknown.message).toMatch(/^labels: "imag" is not one of cmdline, user, uid, image, unit, pod, namespace, container, netns; did you mean image\?/);
  });
});

describe('filters', () => {
  const snap = snapshotOf();
  const inodes = (params: Record<string, string | string[]>) => detailed(snap, params).map((r) => r.inode).sort((a, b) => a - b);

  it.each([
    [{ protocol: 'udp' }, [103, 104, 205]],
    [{ protocol: 'tcp46' }, [101]],
    [{ protocol: ['udp4', 'tcp6'] }, [202, 205]],
    [{ protocol: 'udp4,tcp6' }, [202, 205]],
    [{ family: 'ipv6' }, [101, 103, 104, 202]],
    [{ family: 'ipv4', protocol: 'udp' }, [103, 205]],
    [{ state: 'close_wait' }, [206]],
    [{ state: ['LISTEN', 'TIME-WAIT'] }, [0, 100, 101, 102]],
    [{ direction: 'local' }, [201, 202]],
    [{ direction: 'local-inbound' }, [202]],
    [{ direction: ['inbound', 'listen'], protocol: 'tcp' }, [0, 100, 101, 102, 200, 208]],
    [{ netns: 'blue' }, [207]],
    [{ netns: String(BLUE_NETNS) }, [207]],
    [{ netns: 'system', process: 'cu*' }, []],
    [{ process: 'post*' }, [101, 202]],
    [{ process: 'ap?' }, [102, 201, 203, 204, 205, 206, 208]],
    [{ process: 'a?p' }, [201, 203, 204, 205, 206]],
    [{ process: 'a*' }, [102, 201, 203, 204, 205, 206, 208]],
    [{ pid: String(CURL.pid) }, [207]],
    [{ container: 'db' }, [101, 202]],
    [{ container: (DB_CONTAINER.id as string).slice(0, 12) }, [101, 202]],
    [{ container: 'nope' }, []],
    [{ pod: 'db-0' }, [101, 202]],
    [{ pod: 'pod-uid-1' }, [101, 202]],
    [{ namespace: 'prod' }, [101, 202]],
    [{ port: '5432' }, [101, 201, 202]],
    [{ port: '8000-9000' }, [102, 207, 208]],
    [{ local_port: '80' }, [0, 100, 200]],
    [{ remote_port: '443' }, [203, 204, 206]],
    [{ address: '10.1.2.0/24' }, [203, 204, 206]],
    [{ address: '127.0.0.1' }, [201, 202]],
    [{ address: '::/0' }, [101, 103, 104]],
    [{ space: 'public' }, [0, 200, 205]],
    [{ space: ['loopback', 'link_local'] }, [201, 202]],
  ])('%j', (params, expected) => {
    expect(inodes(params)).toEqual([...expected].sort((a, b) => a - b));
  });

  it('applies to every view', () => {
    const agg = ask(snap, { view: 'aggregated', process: 'app' }).rows as AggregatedRow[];
    expect(agg.every((r) => r.process === 'app')).toBe(true);
    const topo = ask(snap, { view: 'topology', process: 'nginx' });
    expect(topo.topology?.links.every((l) => l.target === 'process:nginx')).toBe(true);
    expect(topo.counts.matched).toBe(2);
  });
});

describe('limit', () => {
  it('answers the first limit rows and says it cut; counts stay whole', () => {
    const a = ask(snapshotOf(), { limit: '3' });
    expect(a.rows).toHaveLength(3);
    expect(a).toMatchObject({ truncated: true, limit: 3 });
    expect(a.counts.matched).toBe(15);
    const all = ask(snapshotOf(), { limit: '15' });
    expect(all.truncated).toBe(false);
    expect(ask(snapshotOf()).limit).toBe(5000);
    const agg = ask(snapshotOf(), { view: 'aggregated', limit: '2' });
    expect(agg.rows).toHaveLength(2);
    expect(agg.truncated).toBe(true);
    expect((agg.rows as AggregatedRow[])[0]?.count).toBe(2);
    expect(ask(snapshotOf(), { limit: '0' }).rows).toEqual([]);
  });
});

describe('parseConnectionsQuery', () => {
  it('takes URLSearchParams and records alike, with defaults', () => {
    const q = parseConnectionsQuery(new URLSearchParams('view=topology&group_by=pid&state=established&state=listen&port=80&limit=10'));
    expect(q).toMatchObject({ view: 'topology', groupBy: 'pid', state: ['ESTABLISHED', 'LISTEN'], port: [[80, 80]], limit: 10, fullCmdline: false });
    expect(parseConnectionsQuery({})).toMatchObject({ view: 'detailed', groupBy: 'process_name', limit: 5000, protocol: [] });
    // blank values (a form's empty filter) filter nothing
    expect(parseConnectionsQuery(new URLSearchParams('state=&process=&view=')).state).toEqual([]);
  });

  it.each([
    ['view=table', /^view: "table" is not one of detailed, aggregated, topology$/],
    ['protocol=sctp', /^protocol: "sctp" is not one of tcp, udp, tcp4, tcp6, tcp46, udp4, udp6, udp46/],
    ['family=ipv5', /^family: "ipv5" is not one of ipv4, ipv6; did you mean ipv4\?$/],
    ['state=ESTABLISH', /^state: "ESTABLISH" is not a socket state; give one of .*did you mean ESTABLISHED\?/],
    ['direction=in', /^direction: "in" is not one of local, listen, inbound/],
    ['pid=abc', /^pid: "abc" is not a process id; give a whole number above 0$/],
    ['port=70000', /^port: "70000": ports run from 0 to 65535$/],
    ['local_port=9000-8000', /^local_port: "9000-8000": the lower port 9000 is above the upper port 8000$/],
    ['remote_port=http', /^remote_port: "http" is not a port or a port range/],
    ['address=10.0.0.300', /^address: "10.0.0.300" is not an IPv4 or IPv6 address or network; give an address such as/],
    ['address=10.0.0.0/33', /^address: "10.0.0.0\/33" has an invalid prefix length \(0 to 32\)/],
    ['space=internet', /^space: "internet" is not one of unspecified, loopback/],
    ['group_by=user&view=topology', /^group_by: "user" is not one of process_name, pid, container$/],
    ['group_by=pid', /^group_by: only the topology view groups; add view=topology or leave group_by out$/],
    ['cmdline=long', /^cmdline: "long" is not full or short; give cmdline=full for whole command lines$/],
    ['limit=-1', /^limit: "-1" is not a whole number; give the most rows to answer, 0 to 100000$/],
    ['limit=100001', /^limit: 100001 is above the most an answer holds \(100000\); give 100000 or less/],
    ['view=detailed&view=aggregated', /^view: given 2 times \(detailed, aggregated\); give it once$/],
    ['proces=nginx', /^proces: unknown parameter; did you mean process\? the parameters are view, protocol/],
  ])('%s', (search, message) => {
    const err = queryError(new URLSearchParams(search));
    expect(err.code).toBe('ERR_QUERY_INVALID');
    expect(err.message).toMatch(message);
  });

  it('says every problem at once', () => {
    const err = queryError({ view: 'x', pid: ['1', 'y'] });
    expect(err.details).toHaveLength(2);
    expect(err.message).toBe(`${err.details[0]}; ${err.details[1]}`);
  });
});

describe('connectionsAnswerSchema', () => {
  it('is valid draft-07 and refuses what the answer never holds', () => {
    expect(ajv.validateSchema(connectionsAnswerSchema)).toBe(true);
    const good = JSON.parse(JSON.stringify(ask(snapshotOf()))) as Record<string, unknown>;
    expect(validate(good)).toBe(true);
    const nulled = { ...good, rows: [{ ...(good.rows as object[])[0], pid: null }] };
    expect(validate(nulled)).toBe(false);
    const noRows = { ...good, rows: undefined, topology: { group_by: 'pid', actors: [], links: [] } };
    expect(validate(JSON.parse(JSON.stringify(noRows)))).toBe(false);
  });

  it('validates every view of random sockets', async () => {
    const { prng, randomSockets } = await import('../flows/sockets.fixture.js');
    const snap = snapshotOf([...hostSockets(), ...randomSockets(prng(3), 500)]);
    for (const view of ['detailed', 'aggregated', 'topology']) {
      for (const group_by of view === 'topology' ? ['process_name', 'pid', 'container'] : [undefined]) {
        ask(snap, group_by ? { view, group_by } : { view });
      }
    }
  });
});
