import type { MetricFamily, Sample } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';

/** `sockscope_sockets{protocol,family,state}`: how many sockets of each kind, always safe to publish. */
export function renderSocketCounts(sockets: readonly SocketRecord[]): MetricFamily {
  const counts = new Map<string, number>();
  for (const s of sockets) {
    const key = `${s.protocol}\u0000${s.family}\u0000${s.state}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const samples: Sample[] = [];
  for (const [key, value] of counts) {
    const [protocol = '', family = '', state = ''] = key.split('\u0000');
    samples.push({ labels: { protocol, family, state }, value });
  }
  samples.sort((a, b) => cmp(a.labels, b.labels));
  return {
    name: 'sockscope_sockets',
    help: 'Sockets seen in the last collection, by protocol, address family and state.',
    type: 'gauge',
    otel: {
      name: 'system.network.connection.count',
      unit: '{connection}',
      labelMap: { protocol: 'network.transport', family: 'network.type', state: 'network.connection.state' },
    },
    samples,
  };
}

function cmp(a: Record<string, string>, b: Record<string, string>): number {
  const ka = `${a.protocol}/${a.family}/${a.state}`;
  const kb = `${b.protocol}/${b.family}/${b.state}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
