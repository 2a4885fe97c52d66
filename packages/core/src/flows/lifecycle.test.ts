import { describe, expect, it } from 'vitest';
import type { SockscopeError } from '../errors.js';
import { foldRecords } from '../pipeline/list.js';
import type { HistogramSample, Labels, MetricFamily } from '../types/family.js';
import type { SocketRecord, TcpInfo } from '../types/socket.js';
import { connectFailure, createMetricFold } from './metric-fold.js';
import { CounterSlots } from './counter-slots.js';
import { listener, prng, T0, tcpSocket } from './sockets.fixture.js';
import { SocketMemos, type SocketMemo } from './socket-memory.js';

// Issue 18: closed records (sock_diag destroy events, `closedAt` set, after the collection's live
// sockets) make the per-flow counters exact and feed the lifecycle families.

const fam = (out: readonly MetricFamily[], name: string): MetricFamily => {
  const f = out.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name} in ${out.map((x) => x.name).join(', ')}`);
  return f;
};
const sum = (out: readonly MetricFamily[], name: string, where: Record<string, string> = {}): number =>
  (fam(out, name).samples ?? []).filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
const samplesOf = (out: readonly MetricFamily[], name: string): Array<Record<string, string | number>> =>
  (fam(out, name).samples ?? []).map((s) => ({ ...s.labels, value: s.value }));

const SERVER_PORT = 8080;
const server = () => listener(SERVER_PORT, { process: { pid: 7, comm: 'srv' } });

/** An accepted connection on SERVER_PORT (a client port in the ephemeral range). */
const accepted = (cookie: number, tcp: Partial<TcpInfo>, over: Partial<SocketRecord> = {}): SocketRecord =>
  tcpSocket({ cookie: BigInt(cookie), inode: 20_000 + cookie, local: { address: '10.0.0.1', port: SERVER_PORT }, remote: { address: '10.0.0.9', port: 40_000 + cookie }, process: { pid: 7, comm: 'srv' }, tcp, ...over });
/** The same socket as its destroy event gives it: state CLOSE, no owner, final tcp_info, closedAt. */
const closed = (s: SocketRecord, closedAt: number, tcp: Partial<TcpInfo> = {}): SocketRecord => {
  const { process: _p, container: _c, ...rest } = s;
  return { ...rest, inode: 0, state: 'CLOSE', closedAt, tcp: { ...(s.tcp as TcpInfo), ...tcp } };
};
/** An outbound connect from an ephemeral port to dst:port. */
const outbound = (cookie: number, dst: string, port: number, tcp: Partial<TcpInfo>, over: Partial<SocketRecord> = {}): SocketRecord =>
  tcpSocket({ cookie: BigInt(cookie), inode: 30_000 + cookie, local: { address: '10.0.0.1', port: 45_000 + cookie }, remote: { address: dst, port }, process: { pid: 9, comm: 'cli' }, tcp, ...over });

const REFUSED: Partial<TcpInfo> = { segsOut: 1, segsIn: 1, totalRetrans: 0, rttUs: 0, minRttUs: 0xffffffff, bytesAcked: 0n, bytesReceived: 0n, bytesSent: 0n, dataSegsIn: 0, dataSegsOut: 0 };
const TIMED_OUT: Partial<TcpInfo> = { segsOut: 3, segsIn: 0, totalRetrans: 2, rttUs: 0, minRttUs: 0xffffffff, bytesAcked: 0n, bytesReceived: 0n, bytesSent: 0n, dataSegsIn: 0, dataSegsOut: 0 };

const INBOUND = { direction: 'inbound', local_port: String(SERVER_PORT) };

describe('closed records in the metric fold: exact counters', () => {
  it('a socket seen once, then closed: its series adds the final value less what the fold saw, then forgets it', () => {
    const fold = createMetricFold();
    const a = accepted(1, { bytesReceived: 1000n });
    expect(sum(foldRecords(fold, T0, [server(), a]), 'sockscope_tcp_bytes_received_total', INBOUND)).toBe(1000);
    // it received 500 more, then the peer's FIN (the +1 of the final bytes_received) and closed
    const out = foldRecords(fold, T0 + 15_000, [server(), closed(a, T0 + 14_000, { bytesReceived: 1501n })]);
    expect(sum(out, 'sockscope_tcp_bytes_received_total', INBOUND)).toBe(1501);
    expect(sum(out, 'sockscope_tcp_connections_opened_total', INBOUND)).toBe(1);
    expect(sum(out, 'sockscope_tcp_connections_closed_total', INBOUND)).toBe(1);
    // gauges describe live sockets: a series with only a closed one this collection has none
    expect(sum(out, 'sockscope_tcp_rtt_seconds', INBOUND)).toBe(0);
    // forgotten at once: the same cookie alive again is a new socket (cookies are never reused by the kernel; this shows the memo is gone)
    const again = foldRecords(fold, T0 + 30_000, [server(), accepted(1, { bytesReceived: 7n })]);
    expect(sum(again, 'sockscope_tcp_bytes_received_total', INBOUND)).toBe(1508);
    expect(sum(again, 'sockscope_tcp_connections_opened_total', INBOUND)).toBe(2);
  });

  it('a socket never seen alive counts whole, in the series a live socket of it would fold into (the listener lends its owner)', () => {
    const fold = createMetricFold();
    const live = accepted(1, { bytesReceived: 10n });
    foldRecords(fold, T0, [server(), live]);
    // opened and closed between two collections: no owner of its own, classified by its listening port
    const out = foldRecords(fold, T0 + 15_000, [server(), live, closed(accepted(2, { bytesReceived: 301n }), T0 + 5000)]);
    expect(samplesOf(out, 'sockscope_tcp_bytes_received_total')).toEqual([
      { direction: 'inbound', process: 'srv', local_port: String(SERVER_PORT), dst: '', dst_port: '', remote_space: 'private', value: 311 },
    ]);
    expect(sum(out, 'sockscope_tcp_connections_opened_total', INBOUND)).toBe(2);
    expect(sum(out, 'sockscope_tcp_connections_closed_total', INBOUND)).toBe(1);
    // socket counts are of live sockets: the closed one is not in sockscope_sockets
    expect(sum(out, 'sockscope_sockets', { state: 'ESTABLISHED' })).toBe(1);
    expect(sum(out, 'sockscope_sockets', { state: 'CLOSE' })).toBe(0);
  });

  it('an unseen closed outbound socket classifies by the ephemeral rule (no listener) and keeps its destination', () => {
    const fold = createMetricFold();
    const out = foldRecords(fold, T0, [closed(outbound(1, '10.5.0.5', 5432, { bytesAcked: 101n, bytesReceived: 51n, minRttUs: 300 }), T0)]);
    expect(samplesOf(out, 'sockscope_tcp_bytes_acked_total')).toEqual([
      { direction: 'outbound', process: '', local_port: '', dst: '10.5.0.5', dst_port: '5432', remote_space: 'private', value: 101 },
    ]);
  });

  it('a socket live earlier in the same collection (closed mid-collection): the closed record wins, counted once', () => {
    const fold = createMetricFold();
    const a = accepted(1, { bytesReceived: 100n });
    foldRecords(fold, T0, [server(), a]);
    const out = foldRecords(fold, T0 + 15_000, [server(), accepted(1, { bytesReceived: 200n }), closed(a, T0 + 15_001, { bytesReceived: 251n })]);
    expect(sum(out, 'sockscope_tcp_bytes_received_total', INBOUND)).toBe(251);
    expect(sum(out, 'sockscope_tcp_connections_opened_total', INBOUND)).toBe(1);
    expect(sum(out, 'sockscope_tcp_connections_closed_total', INBOUND)).toBe(1);
  });

  it('a socket a complete collection missed (destroyed while the dump ran) and whose closed record comes next is not counted twice', () => {
    const fold = createMetricFold();
    const a = accepted(1, { bytesReceived: 100n });
    const b = accepted(2, { bytesReceived: 1000n });
    foldRecords(fold, T0, [server(), a, b, closed(accepted(3, { bytesReceived: 1n }), T0)]);
    // b was destroyed before the dump reached it, its event read after this collection's drain
    foldRecords(fold, T0 + 15_000, [server(), a]);
    const out = foldRecords(fold, T0 + 30_000, [server(), a, closed(b, T0 + 15_010, { bytesReceived: 1201n })]);
    expect(sum(out, 'sockscope_tcp_bytes_received_total', INBOUND)).toBe(100 + 1201 + 1);
    expect(sum(out, 'sockscope_tcp_connections_opened_total', INBOUND)).toBe(3);
    expect(sum(out, 'sockscope_tcp_connections_closed_total', INBOUND)).toBe(2);
  });

  it('after partial collections, the closed record still adds only what the fold had not seen', () => {
    const fold = createMetricFold();
    const a = accepted(1, { bytesReceived: 100n });
    foldRecords(fold, T0, [server(), a]);
    foldRecords(fold, T0 + 15_000, [server()], false); // a collector timed out before reaching a
    foldRecords(fold, T0 + 30_000, [server(), accepted(1, { bytesReceived: 150n })], false);
    foldRecords(fold, T0 + 45_000, [server()], false);
    const out = foldRecords(fold, T0 + 60_000, [server(), closed(a, T0 + 50_000, { bytesReceived: 400n })], false);
    expect(sum(out, 'sockscope_tcp_bytes_received_total', INBOUND)).toBe(400);
    expect(sum(out, 'sockscope_tcp_connections_opened_total', INBOUND)).toBe(1);
  });

  it('property: over random lifetimes and partial collections, every series sums its sockets\' kernel counters, closed ones included', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = prng(seed);
      const fold = createMetricFold();
      // what the kernel counted (now) and what the fold was last shown (at the socket's last listing or closing)
      type Counts = { received: bigint; acked: bigint; segs: number };
      type Sock = Counts & { rec: SocketRecord; shown: Counts; sightings: number; closedAt?: number };
      const socks: Sock[] = [];
      let cookie = 0;
      const last = new Map<string, { name: string; labels: Labels; value: number }>();
      for (let c = 0; c < 40; c++) {
        const at = T0 + c * 15_000;
        // new sockets: half inbound to the server, half outbound to one of two databases
        for (let n = Math.floor(rand() * 6); n > 0; n--) {
          cookie++;
          const rec = rand() < 0.5 ? accepted(cookie, {}) : outbound(cookie, rand() < 0.5 ? '10.5.0.5' : '10.5.0.6', 5432, { minRttUs: 200 });
          socks.push({ rec, received: 0n, acked: 0n, segs: 0, sightings: 0, shown: { received: 0n, acked: 0n, segs: 0 } });
        }
        const live: SocketRecord[] = [];
        const closing: SocketRecord[] = [];
        const partial = rand() < 0.3;
        for (const k of socks) {
          if (k.closedAt !== undefined) continue;
          k.received += BigInt(Math.floor(rand() * 5000));
          k.acked += BigInt(Math.floor(rand() * 3000));
          k.segs += Math.floor(rand() * 10);
          const tcp = { bytesReceived: k.received, bytesAcked: k.acked, dataSegsIn: k.segs };
          // a third close before this collection: some seen 0 times, some once, some many
          if (rand() < 0.3) {
            k.closedAt = at - 1000;
            k.shown = { received: k.received, acked: k.acked, segs: k.segs };
            closing.push(closed({ ...k.rec, tcp: { ...(k.rec.tcp as TcpInfo), ...tcp } }, k.closedAt));
          } else if (!partial || rand() < 0.5) {
            live.push({ ...k.rec, tcp: { ...(k.rec.tcp as TcpInfo), ...tcp } });
            k.shown = { received: k.received, acked: k.acked, segs: k.segs };
            k.sightings++;
          }
        }
        for (const f of foldRecords(fold, at, [server(), ...live, ...closing], !partial)) {
          // a series is written while it has a socket; its total lives on, so keep its last value
          for (const smp of f.samples ?? []) last.set(f.name + JSON.stringify(smp.labels), { ...smp, name: f.name });
        }
      }
      const out: MetricFamily[] = [];
      for (const { name, labels, value } of last.values()) {
        let f = out.find((x) => x.name === name);
        if (!f) out.push((f = { name, help: '', type: 'counter', samples: [] }));
        f.samples?.push({ labels, value });
      }
      // a socket still alive counts what the fold was last shown of it (a partial last collection may have missed it)
      const total = (list: Sock[], f: (c: Counts) => number) => list.reduce((n, k) => n + f(k.shown), 0);
      expect(sum(out, 'sockscope_tcp_bytes_received_total'), `seed ${seed}`).toBe(total(socks, (c) => Number(c.received)));
      expect(sum(out, 'sockscope_tcp_bytes_acked_total'), `seed ${seed}`).toBe(total(socks, (c) => Number(c.acked)));
      expect(sum(out, 'sockscope_tcp_data_segments_in_total'), `seed ${seed}`).toBe(total(socks, (c) => c.segs));
      // per series: the inbound series holds exactly the accepted sockets, each database its own
      const inbound = socks.filter((k) => k.rec.local.port === SERVER_PORT);
      expect(sum(out, 'sockscope_tcp_bytes_received_total', INBOUND)).toBe(total(inbound, (c) => Number(c.received)));
      const db = socks.filter((k) => k.rec.remote.address === '10.5.0.5');
      expect(sum(out, 'sockscope_tcp_bytes_received_total', { dst: '10.5.0.5' })).toBe(total(db, (c) => Number(c.received)));
      // sockets that were never shown to the fold do not exist for it
      const shown = socks.filter((k) => k.sightings > 0 || k.closedAt !== undefined);
      // each socket opened once, each closed one closed once
      expect(sum(out, 'sockscope_tcp_connections_opened_total')).toBe(shown.length);
      expect(sum(out, 'sockscope_tcp_connections_closed_total')).toBe(socks.filter((k) => k.closedAt !== undefined).length);
      expect(sum(out, 'sockscope_tcp_connections_opened_total', INBOUND)).toBe(inbound.filter((k) => shown.includes(k)).length);
      // the generator made sockets seen 0, 1 and several times before closing
      const sightings = new Set(socks.filter((k) => k.closedAt !== undefined).map((k) => Math.min(k.sightings, 2)));
      expect([...sightings].sort()).toEqual([0, 1, 2]);
    }
  });
});

describe('connect failures', () => {
  it('tells refused (a segment in: the RST) from timeout (none) by the final tcp_info, under the destination', () => {
    const fold = createMetricFold();
    const out = foldRecords(fold, T0, [
      ...Array.from({ length: 3 }, (_, i) => closed(outbound(i + 1, '10.5.0.5', 9, REFUSED), T0)),
      ...Array.from({ length: 2 }, (_, i) => closed(outbound(i + 10, '10.6.0.6', 443, TIMED_OUT), T0)),
      // established, then closed: not a failure
      closed(outbound(20, '10.6.0.6', 443, { bytesAcked: 1n, minRttUs: 150, segsOut: 3, segsIn: 2 }), T0),
    ]);
    expect(samplesOf(out, 'sockscope_tcp_connect_failures_total').map(({ dst, dst_port, reason, value }) => ({ dst, dst_port, reason, value }))).toEqual([
      { dst: '10.5.0.5', dst_port: '9', reason: 'refused', value: 3 },
      { dst: '10.6.0.6', dst_port: '443', reason: 'timeout', value: 2 },
    ]);
    expect(sum(out, 'sockscope_tcp_connections_closed_total', { dst: '10.6.0.6' })).toBe(3);
    // failures have no duration, and unseen sockets none either
    expect(fam(out, 'sockscope_tcp_connection_duration_seconds').histograms).toEqual([]);
  });

  it('a socket seen established is no failure whatever its final counters; an inbound socket never is', () => {
    const fold = createMetricFold();
    const o = outbound(1, '10.5.0.5', 5432, { bytesAcked: 1n, minRttUs: 100 });
    foldRecords(fold, T0, [server(), o]);
    const out = foldRecords(fold, T0 + 15_000, [server(), closed(o, T0 + 1000, { ...REFUSED }), closed(accepted(2, REFUSED), T0 + 1000)]);
    expect(fam(out, 'sockscope_tcp_connect_failures_total').samples).toEqual([]);
    // one seen in SYN_SENT and then refused is one
    const s = outbound(3, '10.5.0.5', 5432, { ...TIMED_OUT, segsOut: 1, totalRetrans: 0 }, { state: 'SYN_SENT' });
    foldRecords(fold, T0 + 30_000, [server(), s]);
    const after = foldRecords(fold, T0 + 45_000, [server(), closed(s, T0 + 40_000, TIMED_OUT)]);
    expect(samplesOf(after, 'sockscope_tcp_connect_failures_total').map(({ reason, value }) => ({ reason, value }))).toEqual([{ reason: 'timeout', value: 1 }]);
  });

  it('the rule itself: counters cleared by a blocking connect are not called a failure', () => {
    expect(connectFailure(tcpSocket({ tcp: REFUSED }))).toBe('refused');
    expect(connectFailure(tcpSocket({ tcp: TIMED_OUT }))).toBe('timeout');
    expect(connectFailure(tcpSocket({ tcp: { ...REFUSED, segsOut: 0, segsIn: 0 } }))).toBeUndefined();
    expect(connectFailure(tcpSocket({ tcp: { ...REFUSED, minRttUs: 40 } }))).toBeUndefined();
    expect(connectFailure(tcpSocket({ tcp: { ...REFUSED, bytesAcked: 1n } }))).toBeUndefined();
  });
});

describe('connection durations', () => {
  it('closedAt minus the first sighting, in the configured buckets; a socket never seen alive has no sample', () => {
    const fold = createMetricFold({ duration_buckets: [0.25, 2.5, 5] });
    const short = accepted(1, {});
    const mid = accepted(2, {});
    const long = accepted(3, {});
    foldRecords(fold, T0, [server(), short, mid, long]);
    foldRecords(fold, T0 + 1000, [server(), mid, long, closed(short, T0 + 100)]);
    const out = foldRecords(fold, T0 + 5000, [server(), closed(mid, T0 + 1000), closed(long, T0 + 3000), closed(accepted(4, {}), T0 + 4000)]);
    const h = fam(out, 'sockscope_tcp_connection_duration_seconds').histograms?.[0] as HistogramSample;
    expect(h.labels).toMatchObject(INBOUND);
    expect(h.bounds).toEqual([0.25, 2.5, 5]);
    expect(h.counts).toEqual([1, 2, 3]); // 0.1 s, 1 s, 3 s
    expect(h.count).toBe(3);
    expect(h.sum).toBeCloseTo(4.1, 9);
  });

  it('has 1 ms to 10 min buckets by default', () => {
    expect(createMetricFold().config.duration_buckets).toEqual([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]);
  });
});

describe('the cap and closed records', () => {
  it('a series with only closed sockets never takes a seat a live series wants; its counts go to other', () => {
    const fold = createMetricFold({ folding: 'peer', max_series: 3, top_k: 'retransmits' });
    const live = [outbound(1, '10.5.0.1', 443, { totalRetrans: 0 }), outbound(2, '10.5.0.2', 443, { totalRetrans: 0 })];
    // four series over a cap of 3 (two seats and other); the closed-only series' keys sort first,
    // so a tie at 0 retransmits would have given them the seats
    const gone = [closed(outbound(3, '10.0.0.0', 443, { bytesAcked: 5n, minRttUs: 1 }), T0), closed(outbound(4, '10.0.0.1', 443, { bytesAcked: 5n, minRttUs: 1 }), T0)];
    const out = foldRecords(fold, T0, [...live, ...gone]);
    const acked = samplesOf(out, 'sockscope_tcp_bytes_acked_total').map(({ dst, value }) => ({ dst, value }));
    expect(acked).toEqual([
      { dst: '10.5.0.1', value: 100 },
      { dst: '10.5.0.2', value: 100 },
      { dst: 'other', value: 10 },
    ]);
    expect(sum(out, 'sockscope_tcp_connections_closed_total', { dst: 'other' })).toBe(2);
    expect(sum(out, 'sockscope_series_dropped', { family: 'sockscope_tcp_connections_closed_total' })).toBe(2);
  });

  it('a seated series whose sockets all closed gives its seat to a live newcomer, however close their RTTs', () => {
    const fold = createMetricFold({ folding: 'peer', max_series: 2 });
    const a = outbound(1, '10.5.0.1', 443, { rttUs: 500, bytesAcked: 10n });
    foldRecords(fold, T0, [a]);
    // three series over a cap of 2 (one seat and other): the seat is a's no more, and the worst live newcomer takes it
    const out = foldRecords(fold, T0 + 15_000, [
      outbound(2, '10.5.0.2', 443, { rttUs: 400, bytesAcked: 7n }),
      outbound(3, '10.5.0.3', 443, { rttUs: 300, bytesAcked: 5n }),
      closed(a, T0 + 1000, { bytesAcked: 30n }),
    ]);
    expect(samplesOf(out, 'sockscope_tcp_bytes_acked_total').map(({ dst, value }) => ({ dst, value }))).toEqual([
      { dst: '10.5.0.2', value: 7 },
      { dst: 'other', value: 20 + 5 },
    ]);
  });
});

describe('flows.state_label', () => {
  it('labels sockscope_flow_sockets by state, TIME_WAIT and SYN_RECV of a port counted in its inbound series', () => {
    const fold = createMetricFold({ state_label: true });
    expect(fold.config.families.flow_sockets).toBe(true);
    const tw = (i: number) => tcpSocket({ cookie: BigInt(100 + i), state: 'TIME_WAIT', local: { address: '10.0.0.1', port: SERVER_PORT }, remote: { address: '10.0.0.9', port: 41_000 + i }, tcp: undefined });
    const syn = tcpSocket({ state: 'NEW_SYN_RECV', local: { address: '10.0.0.1', port: SERVER_PORT }, remote: { address: '10.0.0.9', port: 42_000 }, tcp: undefined });
    const out = foldRecords(fold, T0, [server(), accepted(1, {}), accepted(2, {}, { state: 'CLOSE_WAIT' }), tw(1), tw(2), syn]);
    const states = samplesOf(out, 'sockscope_flow_sockets').map(({ process, local_port, state, value }) => ({ process, local_port, state, value }));
    expect(states).toEqual([
      { process: 'srv', local_port: String(SERVER_PORT), state: 'ESTABLISHED', value: 1 },
      { process: 'srv', local_port: String(SERVER_PORT), state: 'TIME_WAIT', value: 2 },
      { process: 'srv', local_port: String(SERVER_PORT), state: 'CLOSE_WAIT', value: 1 },
      { process: 'srv', local_port: String(SERVER_PORT), state: 'NEW_SYN_RECV', value: 1 },
    ]);
    // the other families are as without the label: TIME_WAIT and request sockets have no tcp_info
    expect(fam(out, 'sockscope_tcp_rtt_seconds').samples).toHaveLength(1);
    expect(sum(out, 'sockscope_tcp_connections_opened_total')).toBe(2);
  });

  it('refuses state_label with flow_sockets turned off, naming both', () => {
    let details: readonly string[] = [];
    try {
      createMetricFold({ state_label: true, families: { flow_sockets: false } });
    } catch (e) {
      details = (e as SockscopeError).details;
    }
    expect(details).toEqual(['flows.state_label: labels sockscope_flow_sockets, which flows.families.flow_sockets turns off; remove one of them']);
  });
});

describe('the RTT histogram: split by the folding key, observed once per interval', () => {
  const rttHist = (out: readonly MetricFamily[]) => fam(out, 'sockscope_tcp_rtt_distribution_seconds').histograms ?? [];

  it('rtt_histogram_by: strategy gives one histogram per series, with its labels', () => {
    const fold = createMetricFold({ rtt_histogram_by: 'strategy', histogram_buckets: [0.001, 0.01] });
    const out = foldRecords(fold, T0, [
      server(),
      accepted(1, { rttUs: 500 }),
      accepted(2, { rttUs: 5000 }),
      outbound(3, '10.5.0.5', 5432, { rttUs: 20_000 }),
    ]);
    const hs = rttHist(out).map((h) => ({ direction: h.labels.direction, dst: h.labels.dst, counts: h.counts, count: h.count }));
    expect(hs).toEqual([
      { direction: 'inbound', dst: '', counts: [1, 2], count: 2 },
      { direction: 'outbound', dst: '10.5.0.5', counts: [0, 0], count: 1 },
    ]);
  });

  it('observes each flow at most once per histogram_interval, however many collections', () => {
    const fold = createMetricFold({ histogram_interval: '10s' });
    const flows = [accepted(1, { rttUs: 500 }), accepted(2, { rttUs: 700 })];
    let count = 0;
    // four scrapers: a collection every 2.5 s for 60 s
    for (let t = 0; t < 60_000; t += 2500) count = (rttHist(foldRecords(fold, T0 - (T0 % 10_000) + t, [server(), ...flows]))[0] as HistogramSample).count;
    expect(count).toBe(2 * 6);
    // 0: every collection, as before
    const every = createMetricFold({ histogram_interval: 0 });
    for (let t = 0; t < 60_000; t += 2500) count = (rttHist(foldRecords(every, T0 + t, [server(), ...flows]))[0] as HistogramSample).count;
    expect(count).toBe(2 * 24);
  });
});

describe('memory: the per-cookie memo holds live sockets only', () => {
  it('forgets a closed socket at once and gives its counter slot back (SocketMemos)', () => {
    const memos = new SocketMemos(new CounterSlots([(s) => s.inode], 0), true);
    const socks = Array.from({ length: 1000 }, (_, i) => accepted(i + 1, {}, { netns: 4026531840 + (i % 3) }));
    const seen = socks.map((s) => memos.see(s, 1));
    expect(memos.size).toBe(1000);
    socks.forEach((s, i) => memos.forget(s, seen[i] as SocketMemo));
    expect(memos.size).toBe(0);
    // the slots were given back: new sockets reuse them rather than grow the pool
    const again = socks.map((s) => memos.see({ ...s, cookie: (s.cookie as bigint) + 10_000n }, 2));
    expect(Math.max(...again.map((m) => m.slot))).toBe(999);
  });

  it('a fold under churn: 1,000 sockets opened and closed over 20 rounds, each opened once and counted exactly', () => {
    const fold = createMetricFold();
    let opened = 0;
    for (let c = 0; c < 20; c++) {
      const live = Array.from({ length: 50 }, (_, i) => accepted(c * 50 + i + 1, { bytesReceived: 10n }));
      foldRecords(fold, T0 + c * 15_000, [server(), ...live]);
      const out = foldRecords(fold, T0 + c * 15_000 + 5000, [server(), ...live.map((s) => closed(s, T0 + c * 15_000 + 4000, { bytesReceived: 11n }))]);
      opened = sum(out, 'sockscope_tcp_connections_opened_total', INBOUND);
      expect(sum(out, 'sockscope_tcp_bytes_received_total', INBOUND)).toBe((c + 1) * 50 * 11);
    }
    expect(opened).toBe(1000);
  });
});
