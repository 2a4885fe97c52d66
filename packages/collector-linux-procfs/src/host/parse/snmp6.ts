import type { FieldFilter, ProtocolCounters } from './snmp.js';
import { decimalAt, fieldBounds, quote, type Parsed } from './text.js';

interface Counter {
  /** The full name, `Ip6InReceives`. */
  name: string;
  proto: string;
  field: string;
  /** Whether the filter keeps it. */
  kept: boolean;
}

// The counter names met with each filter, split and filtered once (null: no protocol number),
// 1024 at most a filter: the kernel writes the same ~90 each time (issue 20). `byLine` holds the
// one met on each line last time, checked first without making the name's string.
interface Known {
  byName: Map<string, Counter | null>;
  byLine: Array<Counter | undefined>;
}
const counters = new WeakMap<FieldFilter, Known>();
const MAX_COUNTERS = 1024;

// Field bounds of the line being parsed: parsing is synchronous, so one array serves every call.
const bounds: number[] = [];

/** `Ip6InReceives` → Ip6, InReceives; undefined for a name without a protocol number. */
function split(name: string): { name: string; proto: string; field: string } | undefined {
  const six = name.indexOf('6');
  // Lines without a protocol number (none today) have no node_exporter name: skip silently.
  if (six < 0 || six === name.length - 1) return undefined;
  return { name, proto: name.slice(0, six + 1), field: name.slice(six + 1) };
}

/** The counter named by text[start, end) on line `line`; undefined for a name without a protocol number. */
function counterAt(text: string, start: number, end: number, line: number, keep: FieldFilter | undefined): Counter | undefined {
  if (!keep) {
    const c = split(text.slice(start, end));
    return c && { ...c, kept: true };
  }
  let known = counters.get(keep);
  if (!known) counters.set(keep, (known = { byName: new Map(), byLine: [] }));
  const last = known.byLine[line];
  if (last !== undefined && last.name.length === end - start && text.startsWith(last.name, start)) return last;
  const name = text.slice(start, end);
  let c = known.byName.get(name);
  if (c === undefined) {
    const p = split(name);
    c = p ? { ...p, kept: keep(p.proto, p.field) } : null;
    if (known.byName.size < MAX_COUNTERS) known.byName.set(name, c);
  }
  if (c !== null && line < MAX_COUNTERS) known.byLine[line] = c;
  return c ?? undefined;
}

/**
 * Parses /proc/net/snmp6: one `Ip6InReceives  4` per line. The protocol is the name up to and
 * including its first `6` (`Ip6`, `Icmp6`, `Udp6`, `UdpLite6`), as node_exporter splits it.
 * With `keep`, only the counters it keeps are stored (every value is still checked); each name
 * is split and asked of `keep` once (remembered for that filter), not on every parse.
 */
export function parseSnmp6(text: string, keep?: FieldFilter): Parsed<ProtocolCounters> {
  const value: ProtocolCounters = {};
  const problems: string[] = [];
  const b = bounds;
  // line by line over the text (lines() and fields() would make ~270 strings of ~90 lines)
  for (let from = 0, line = 1; from < text.length; line++) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    const n = fieldBounds(text, from, to, b);
    from = to + 1;
    if (n === 0) continue;
    if (n !== 2) {
      problems.push(`line ${line}: expected "<name> <value>", got ${n} fields`);
      continue;
    }
    const c = counterAt(text, b[0] as number, b[1] as number, line, keep);
    if (!c) continue;
    const v = decimalAt(text, b[2] as number, b[3] as number);
    if (v === undefined) {
      problems.push(`line ${line}: ${c.name} is not a number: ${quote(text.slice(b[2], b[3]))}`);
      continue;
    }
    if (c.kept) (value[c.proto] ??= {})[c.field] = v;
  }
  return { value, problems };
}
