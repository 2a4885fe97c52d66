import type { FieldFilter, ProtocolCounters } from './snmp.js';
import { decimal, fields, lines, quote, type Parsed } from './text.js';

/**
 * Parses /proc/net/snmp6: one `Ip6InReceives  4` per line. The protocol is the name up to and
 * including its first `6` (`Ip6`, `Icmp6`, `Udp6`, `UdpLite6`), as node_exporter splits it.
 * With `keep`, only the counters it keeps are stored (every value is still checked).
 */
export function parseSnmp6(text: string, keep?: FieldFilter): Parsed<ProtocolCounters> {
  const value: ProtocolCounters = {};
  const problems: string[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const f = fields(all[i] as string);
    if (f.length === 0) continue;
    if (f.length !== 2) {
      problems.push(`line ${i + 1}: expected "<name> <value>", got ${f.length} fields`);
      continue;
    }
    const name = f[0] as string;
    const six = name.indexOf('6');
    // Lines without a protocol number (none today) have no node_exporter name: skip silently.
    if (six < 0 || six === name.length - 1) continue;
    const v = decimal(f[1] as string);
    if (v === undefined) {
      problems.push(`line ${i + 1}: ${name} is not a number: ${quote(f[1] as string)}`);
      continue;
    }
    const proto = name.slice(0, six + 1);
    const field = name.slice(six + 1);
    if (keep && !keep(proto, field)) continue;
    (value[proto] ??= {})[field] = v;
  }
  return { value, problems };
}
