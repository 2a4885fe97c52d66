import { describe, expect, it } from 'vitest';
import { createProtocolsView, hasProtocolCounters } from './protocols.js';

describe('protocols view', () => {
  it('a counter that went down (reset) gives no rate; counters the host lacks are left out', () => {
    const view = createProtocolsView();
    view.answer({ protocols: { Tcp: { ActiveOpens: 100, InSegs: 50 } } }, 0, 'h');
    const a = view.answer({ protocols: { Tcp: { ActiveOpens: 10, InSegs: 60 } } }, 500, 'h');
    expect(a.rows).toEqual([
      { protocol: 'tcp', counter: 'active_opens', source: 'Tcp.ActiveOpens', per_second: 0, total: 10 },
      { protocol: 'tcp', counter: 'in_segs', source: 'Tcp.InSegs', per_second: 20, total: 60 },
    ]);
    expect(a.interval_seconds).toBe(0.5);
    expect('tcp_established' in a).toBe(false);
  });

  it('knows a collection without protocol counters', () => {
    expect(hasProtocolCounters({})).toBe(false);
    expect(hasProtocolCounters({ protocols: { Ip: { InReceives: 1 } } })).toBe(false);
    expect(hasProtocolCounters({ protocols: { Udp: { InDatagrams: 1 } } })).toBe(true);
  });
});
