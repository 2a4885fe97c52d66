import { decimal, fields, lines, quote, type Parsed } from './text.js';

/** Protocol → field → value, as in `{ Tcp: { RetransSegs: 12 } }`. */
export type ProtocolCounters = Record<string, Record<string, number>>;

/** Whether a protocol's counter is kept (`Tcp`, `RetransSegs`); the collector's `netstat_fields`. */
export type FieldFilter = (proto: string, field: string) => boolean;

/**
 * Parses /proc/net/snmp and /proc/net/netstat, which share one layout: per protocol a line of
 * names then a line of values, both prefixed `Proto:`. A pair whose prefixes or lengths do not
 * match is reported and skipped; the other protocols still count.
 *
 * With `keep`, only the counters it keeps are stored (a protocol none of whose counters is kept
 * is left out); every value is still checked, so the problems are the same either way.
 */
export function parseSnmp(text: string, keep?: FieldFilter): Parsed<ProtocolCounters> {
  const all = lines(text);
  const value: ProtocolCounters = {};
  const problems: string[] = [];
  for (let i = 0; i < all.length; i += 2) {
    const names = fields(all[i] as string);
    if (names.length === 0) {
      i -= 1; // a blank line: resynchronise on the next one
      continue;
    }
    const head = names[0] as string;
    if (!head.endsWith(':')) {
      problems.push(`line ${i + 1}: expected "<Proto>:" at the start, got ${quote(head)}`);
      continue;
    }
    const proto = head.slice(0, -1);
    const valueLine = all[i + 1];
    if (valueLine === undefined) {
      problems.push(`line ${i + 1}: ${proto} has names but no line of values`);
      break;
    }
    const vals = fields(valueLine);
    if (vals[0] !== head) {
      problems.push(`line ${i + 2}: expected the values of ${proto}, got ${quote(vals[0] ?? '')}`);
      i -= 1; // the values line is missing: read the next line as a new header
      continue;
    }
    if (vals.length !== names.length) {
      problems.push(`line ${i + 2}: ${proto} has ${names.length - 1} names but ${vals.length - 1} values`);
      continue;
    }
    // a protocol met twice (none today) adds to its first row, the later value winning
    let row = value[proto];
    if (!keep) row ??= value[proto] = {};
    for (let k = 1; k < names.length; k++) {
      const v = decimal(vals[k] as string);
      if (v === undefined) {
        problems.push(`line ${i + 2}: ${proto} ${names[k]} is not a number: ${quote(vals[k] as string)}`);
        continue;
      }
      const name = names[k] as string;
      if (keep && !keep(proto, name)) continue;
      (row ??= value[proto] = {})[name] = v;
    }
  }
  return { value, problems };
}
