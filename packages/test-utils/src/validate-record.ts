import type { SocketRecord } from '@sockscope/core';

const PROTOCOLS = new Set(['tcp', 'udp', 'raw', 'unix']);
const FAMILIES = new Set(['ipv4', 'ipv6', 'unix']);

/** Lists what is wrong with a socket record's shape; empty when it is well formed. */
export function socketRecordProblems(r: SocketRecord): string[] {
  const p: string[] = [];
  if (!PROTOCOLS.has(r.protocol)) p.push(`protocol ${String(r.protocol)}`);
  if (!FAMILIES.has(r.family)) p.push(`family ${String(r.family)}`);
  if (typeof r.state !== 'string' || r.state.length === 0) p.push('state');
  for (const side of ['local', 'remote'] as const) {
    const e = r[side];
    if (!e || typeof e.address !== 'string') p.push(`${side}.address`);
    else if (!Number.isInteger(e.port) || e.port < 0 || e.port > 65535) p.push(`${side}.port ${e.port}`);
  }
  for (const k of ['inode', 'uid', 'recvQueue', 'sendQueue'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 0) p.push(`${k} ${r[k]}`);
  }
  if (r.tcp && r.protocol !== 'tcp') p.push('tcp info on a non-TCP socket');
  return p;
}
