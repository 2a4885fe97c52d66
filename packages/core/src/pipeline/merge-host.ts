import type { HostStats } from '../types/host.js';

/** Adds one collector's host counters to the collection's, by top-level key. */
export function mergeHost(host: HostStats, h: HostStats): void {
  if (h.interfaces) host.interfaces = [...(host.interfaces ?? []), ...h.interfaces];
  if (h.protocols) host.protocols = mergeNested(host.protocols, h.protocols);
  if (h.sockstat) host.sockstat = mergeNested(host.sockstat, h.sockstat);
  if (h.conntrack) host.conntrack = { ...host.conntrack, ...h.conntrack };
  if (h.softnet) host.softnet = [...(host.softnet ?? []), ...h.softnet];
  if (h.tcpStates) host.tcpStates = { ...host.tcpStates, ...h.tcpStates };
  if (h.transportPackets) host.transportPackets = { ...host.transportPackets, ...h.transportPackets };
}

function mergeNested(
  a: Record<string, Record<string, number>> | undefined,
  b: Record<string, Record<string, number>>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = { ...out[k], ...v };
  return out;
}
