import { UDPSTAT } from './layouts.js';
import { u64 } from './bytes.js';

/**
 * Decodes net.inet.udp.stats (struct udpstat, 14 u64, 112 bytes on 13 and 14) into counters
 * keyed by field name without the `udps_` prefix. A longer buffer is read at the same offsets.
 */
export function parseUdpstat(buf: Buffer): { counters: Record<string, number> } | { error: string } {
  if (buf.length < UDPSTAT.size) return { error: `net.inet.udp.stats returned ${buf.length} bytes, shorter than the ${UDPSTAT.size}-byte udpstat; UDP counters skipped` };
  const counters: Record<string, number> = {};
  for (const [field, off] of Object.entries(UDPSTAT.fields)) counters[field] = u64(buf, off);
  return { counters };
}
