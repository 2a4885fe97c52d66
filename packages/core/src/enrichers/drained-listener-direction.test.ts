import { describe, expect, it } from 'vitest';
import { createPluginContext } from '../contracts/context.js';
import type { Enricher } from '../contracts/enricher.js';
import type { SockscopeError } from '../errors.js';
import { createMetricFold } from '../flows/metric-fold.js';
import { listener, T0, tcpSocket } from '../flows/sockets.fixture.js';
import { collect } from '../pipeline/collect.js';
import { enrichRecords, foldRecords } from '../pipeline/list.js';
import { directionConfigProblems } from '../plugins/direction-config.js';
import { directionEnricher } from '../plugins/direction.js';
import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { classifyDirections, DirectionMemory, inboundByPorts } from './direction.js';

// Issue 15: a server that closes its listening socket (graceful drain) turned its accepted
// connections into outbound flows keyed by the client's ephemeral port: under `service` folding
// 1 inbound series became 30. A connection keeps the direction first decided for its life; one no
// listener accounts for is inbound when its local port is not ephemeral and its peer's port is.

const PORT = 8443; // below the default ephemeral range (32768-60999)
const direction = (config: Record<string, unknown> = {}) => directionEnricher.create(createPluginContext(directionEnricher, config)) as Enricher;
/** 30 clients of PORT, from their ephemeral ports; `at` is the server's address (loopback makes them `local`). */
const accepted = (at = '10.0.0.1', peer = '203.0.113.9', n = 30): SocketRecord[] =>
  Array.from({ length: n }, (_, i) => tcpSocket({ cookie: BigInt(100 + i), inode: 900 + i, local: { address: at, port: PORT }, remote: { address: peer, port: 50_000 + i } }));
const serviceSeries = (out: readonly MetricFamily[]) =>
  (out.find((f) => f.name === 'sockscope_flow_sockets')?.samples ?? []).map((s) => `${s.labels.direction} ${s.labels.local_port || `${s.labels.dst}:${s.labels.dst_port}`} ${s.value}`);
const fresh = (records: SocketRecord[]) => records.map((s) => ({ ...s, direction: undefined }));

describe('a server that closes its listening socket (graceful drain) turns its accepted connections into outbound flows', () => {
  it('the direction enricher: accepted connections stay inbound after the listener closes', async () => {
    const enricher = direction();
    const open = fresh([listener(PORT), ...accepted()]);
    await enrichRecords(enricher, open);
    expect(new Set(open.slice(1).map((s) => s.direction))).toEqual(new Set(['inbound']));
    const drained = fresh(accepted());
    await enrichRecords(enricher, drained);
    expect(new Set(drained.map((s) => s.direction))).toEqual(new Set(['inbound']));
  });

  it('the direction enricher + the metric fold: 1 inbound series under service folding before and after the drain', async () => {
    const enricher = direction();
    const fold = createMetricFold({ families: { flow_sockets: true } });
    const collection = async (records: SocketRecord[]) => {
      const collector = { stream: async (_s: AbortSignal, visit: (r: SocketRecord) => void) => (records.forEach(visit), {}), close: async () => {} };
      return serviceSeries((await collect([{ name: 'sockets', collector, timeoutMs: 1000 }], [{ name: 'direction', enricher, timeoutMs: 1000 }], { fold })).folds.fold);
    };
    expect(await collection(fresh([listener(PORT), ...accepted()]))).toEqual([`inbound ${PORT} 30`]);
    expect(await collection(fresh(accepted()))).toEqual([`inbound ${PORT} 30`]);
  });

  it('the metric fold alone (loopback: the enricher says local): the fold remembers, and uses the ports without a listener', () => {
    const fold = createMetricFold({ families: { flow_sockets: true } });
    const loop = () => accepted('127.0.0.1', '127.0.0.1').map((s) => ({ ...s, direction: 'local' as const }));
    expect(serviceSeries(foldRecords(fold, T0, [listener(PORT), ...loop()]))).toEqual([`inbound ${PORT} 30`]);
    expect(serviceSeries(foldRecords(fold, T0 + 1000, loop()))).toEqual([`inbound ${PORT} 30`]);
    // without any direction and never seen with the listener: the ports decide
    const other = createMetricFold({ families: { flow_sockets: true } });
    expect(serviceSeries(foldRecords(other, T0, fresh(accepted())))).toEqual([`inbound ${PORT} 30`]);
  });

  it('a connection keeps the direction first decided, though a listener opens on its port later', async () => {
    const enricher = direction();
    // an outbound connection from 40001 (ephemeral) to a peer's 443
    const out = () => fresh([tcpSocket({ cookie: 7n, local: { address: '10.0.0.1', port: 40_001 }, remote: { address: '198.51.100.7', port: 443 } })]);
    const first = out();
    await enrichRecords(enricher, first);
    expect(first[0]?.direction).toBe('outbound');
    const later = [listener(40_001), ...out()];
    await enrichRecords(enricher, later);
    expect(later[1]?.direction).toBe('outbound');
    // the one-shot classifier has no memory: the listener decides there
    const once = [listener(40_001), ...out()];
    classifyDirections(once);
    expect(once[1]?.direction).toBe('inbound');
  });

  it('without a listener: inbound only when the local port is not ephemeral and the peer port is', () => {
    const s = (local: number, remote: number) => tcpSocket({ local: { address: '10.0.0.1', port: local }, remote: { address: '10.0.0.2', port: remote } });
    const dflt = { from: 32768, to: 60999 };
    expect(inboundByPorts(s(8443, 50_000), dflt)).toBe(true);
    expect(inboundByPorts(s(50_000, 443), dflt)).toBe(false); // a client
    expect(inboundByPorts(s(8443, 5432), dflt)).toBe(false); // neither ephemeral: no evidence, outbound
    expect(inboundByPorts(s(40_000, 50_000), dflt)).toBe(false); // both ephemeral: outbound
    expect(inboundByPorts(s(8443, 61_000), dflt)).toBe(false); // 61000 is past the default range
    expect(inboundByPorts(s(8443, 61_000), { from: 1024, to: 65535 })).toBe(false); // 8443 is ephemeral in that range
    expect(inboundByPorts(s(80, 61_000), { from: 1024, to: 65535 })).toBe(true);
  });

  it('the enricher reads its ephemeral_ports: a custom range', async () => {
    const records = () => fresh([tcpSocket({ cookie: 1n, local: { address: '10.0.0.1', port: 8443 }, remote: { address: '10.0.0.2', port: 20_000 } })]);
    const dflt = records();
    await enrichRecords(direction(), dflt);
    expect(dflt[0]?.direction).toBe('outbound');
    const custom = records();
    await enrichRecords(direction({ ephemeral_ports: { from: 10_000, to: 30_000 } }), custom);
    expect(custom[0]?.direction).toBe('inbound');
    expect(createPluginContext(directionEnricher, {}).config).toEqual({ ephemeral_ports: { from: 32768, to: 60999 } });
    expect(directionConfigProblems({ ephemeral_ports: { from: 60999, to: 32768 } })).toEqual([
      'ephemeral_ports: from (60999) is above to (32768); give the range as net.ipv4.ip_local_port_range does, e.g. { from: 32768, to: 60999 }',
    ]);
    let refused: unknown;
    try {
      createPluginContext(directionEnricher, { ephemeral_ports: { from: 0 } });
    } catch (err) {
      refused = err;
    }
    expect((refused as SockscopeError).details.join('\n')).toMatch(/ephemeral_ports\.from/);
  });

  it('the metric fold refuses a bad ephemeralPorts', () => {
    expect(() => createMetricFold({}, { ephemeralPorts: { from: 5000, to: 10 } })).toThrow(/metric fold: ephemeralPorts: from \(5000\) is above to \(10\)/);
  });
});

describe('DirectionMemory', () => {
  const conn = (cookie: bigint, localPort = PORT) => tcpSocket({ cookie, local: { address: '10.0.0.1', port: localPort }, remote: { address: '10.0.0.2', port: 50_000 } });

  it('forgets a socket a complete collection did not see, and keeps it through partial ones', () => {
    const m = new DirectionMemory();
    m.begin(T0);
    m.settle(conn(1n), 'inbound');
    m.settle(conn(2n), 'inbound');
    m.end(true);
    expect(m.size).toBe(2);
    m.begin(T0 + 1000);
    expect(m.settle(conn(1n), 'outbound')).toBe('inbound');
    m.end(false); // 2 not seen, the collection was partial: kept
    expect(m.size).toBe(2);
    m.begin(T0 + 2000);
    expect(m.settle(conn(1n), 'outbound')).toBe('inbound');
    m.end(true); // 2 not seen in a complete collection: gone
    expect(m.size).toBe(1);
    m.begin(T0 + 3000);
    expect(m.settle(conn(2n), 'outbound')).toBe('outbound'); // a new socket with that cookie
    m.end(true);
    expect(m.size).toBe(1);
  });

  it('after partial collections only, forgets a socket none saw for 10 minutes', () => {
    const m = new DirectionMemory();
    m.begin(T0);
    m.settle(conn(1n), 'inbound');
    m.settle(conn(2n), 'inbound');
    m.end(false);
    for (let t = 60_000; t <= 600_000; t += 60_000) {
      m.begin(T0 + t);
      m.settle(conn(1n), 'inbound');
      m.end(false);
    }
    expect(m.size).toBe(1);
  });

  it('an inode reused by another connection is not the same socket', () => {
    const m = new DirectionMemory();
    m.begin(T0);
    expect(m.settle({ ...conn(1n), cookie: undefined }, 'inbound')).toBe('inbound');
    m.end(true);
    m.begin(T0 + 1000);
    expect(m.settle({ ...conn(1n, 40_000), cookie: undefined }, 'outbound')).toBe('outbound');
    m.end(true);
  });
});
