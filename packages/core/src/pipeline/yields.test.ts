import { describe, expect, it } from 'vitest';
import type { Collector } from '../contracts/collector.js';
import { T0, tcpSocket } from '../flows/sockets.fixture.js';
import { createMetricFold } from '../flows/metric-fold.js';
import type { SocketRecord } from '../types/socket.js';
import { collect } from './collect.js';
import { foldRecords } from './list.js';

// Issue 20: a scrape of a big per-flow collection must not hold the event loop while the fold
// emits its samples (at 30k connections raw_endpoint's end() built 780k samples in one go and the
// agent answered nothing for up to 1.3 s). Not timed: the loop must turn at least once.

/** 200k established sockets, each its own raw_endpoint series. */
function records(n: number): SocketRecord[] {
  const out: SocketRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      tcpSocket({
        local: { address: '10.0.0.1', port: 1024 + (i % 60000) },
        remote: { address: `10.1.${(i >> 8) & 255}.${i & 255}`, port: 443 + Math.floor(i / 60000) },
        inode: 1 + i,
        cookie: BigInt(1 + i),
        direction: 'outbound',
        process: { pid: 100 + (i % 7), comm: `p${i % 7}` },
        tcp: { rttUs: 1000 + (i % 500), bytesSent: BigInt(i) },
      }),
    );
  }
  return out;
}

describe('a collection of 200k records yields to the event loop (issue 20)', () => {
  it('while the metric fold ends, setImmediate callbacks run, and the families equal an unsliced end', async () => {
    const recs = records(200_000);
    let turns = 0;
    let turnsAtLastRecord = -1;
    let running = true;
    const spin = (): void => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    // every record in one synchronous go, as a collector between two of its slices would: the
    // loop can turn only after the collector returned, i.e. while the fold ends
    const collector: Collector = {
      close: () => Promise.resolve(),
      stream(_signal, visit) {
        for (const s of recs) visit(s);
        turnsAtLastRecord = turns;
        return Promise.resolve({});
      },
    };
    const fold = createMetricFold({ folding: 'raw_endpoint', max_series: 1_000_000 });
    const c = await collect([{ name: 'synthetic', collector, timeoutMs: 600_000 }], [], { metrics: fold });
    const turnsAtEnd = turns;
    running = false;
    expect(turnsAtLastRecord).toBeGreaterThanOrEqual(0);
    expect(turnsAtEnd).toBeGreaterThan(turnsAtLastRecord);

    const rttSamples = c.folds.metrics.find((f) => f.name === 'sockscope_tcp_rtt_seconds');
    expect(rttSamples?.samples).toHaveLength(200_000);
    // the same records through a fresh fold's synchronous end(): the same families, sample for sample
    const reference = foldRecords(createMetricFold({ folding: 'raw_endpoint', max_series: 1_000_000 }), T0, recs);
    expect(c.folds.metrics.map((f) => [f.name, f.samples?.length ?? f.histograms?.length])).toEqual(reference.map((f) => [f.name, f.samples?.length ?? f.histograms?.length]));
    const rtt = (fams: typeof reference) => fams.find((f) => f.name === 'sockscope_tcp_rtt_seconds')?.samples?.map((s) => s.value);
    expect(rtt(c.folds.metrics)).toEqual(rtt(reference));
  }, 120_000);
});
