import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.js';

describe('parseExposition (test helper)', () => {
  it('reads HELP, TYPE, labels with escapes, and float values as node_exporter prints them', () => {
    const text = [
      '# HELP node_network_info Non-numeric data from /sys/class/net/<iface>, value is always 1.',
      '# TYPE node_network_info gauge',
      'node_network_info{address="00:00",device="lo",ifalias="a \\"b\\" \\\\c"} 1',
      '# TYPE node_network_receive_bytes_total counter',
      'node_network_receive_bytes_total{device="eth0"} 2.05859611e+08',
      'node_netstat_Tcp_InSegs 6032',
    ].join('\n');
    const fams = parseExposition(text);
    expect(fams.get('node_network_info')).toEqual({
      name: 'node_network_info',
      type: 'gauge',
      help: 'Non-numeric data from /sys/class/net/<iface>, value is always 1.',
      samples: [{ labels: { address: '00:00', device: 'lo', ifalias: 'a "b" \\c' }, value: 1 }],
    });
    expect(fams.get('node_network_receive_bytes_total')?.samples[0]?.value).toBe(205859611);
    expect(fams.get('node_netstat_Tcp_InSegs')).toMatchObject({ type: 'untyped', samples: [{ labels: {}, value: 6032 }] });
  });
});
