import { decimalAt, fieldBounds, fields, lines, quote, type Parsed } from './text.js';

/** Protocol → field → value, as in `{ Tcp: { RetransSegs: 12 } }`. */
export type ProtocolCounters = Record<string, Record<string, number>>;

/** Whether a protocol's counter is kept (`Tcp`, `RetransSegs`); the collector's `netstat_fields`. */
export type FieldFilter = (proto: string, field: string) => boolean;

interface Header {
  /** The header line. */
  line: string;
  /** The line's fields: `Proto:` then the counter names. */
  names: readonly string[];
  /** Per field, whether the filter keeps it (the first, `Proto:`, is false); undefined without one. */
  kept: readonly boolean[] | undefined;
}

// The header lines met with each filter: the kernel writes the same ones every time, so a
// collection splits and filters only the lines of values (issue 20). Found by comparing the line
// with each (a few; lines of other lengths differ at once), cheaper than hashing 1.5 KB of text.
const headers = new WeakMap<FieldFilter, Header[]>();
const MAX_HEADERS = 64;

// Field bounds of the line of values being parsed: parsing is synchronous, so one array serves every call.
const b: number[] = [];

function headerOf(line: string, keep: FieldFilter | undefined): Header {
  if (!keep) return { line, names: fields(line), kept: undefined };
  let known = headers.get(keep);
  if (!known) headers.set(keep, (known = []));
  for (const h of known) if (h.line === line) return h;
  const names = fields(line);
  const head = names[0];
  const proto = head?.endsWith(':') ? head.slice(0, -1) : undefined;
  const h: Header = { line, names, kept: proto === undefined ? undefined : names.map((n, k) => k > 0 && keep(proto, n)) };
  if (known.length < MAX_HEADERS) known.push(h);
  return h;
}

/**
 * Parses /proc/net/snmp and /proc/net/netstat, which share one layout: per protocol a line of
 * names then a line of values, both prefixed `Proto:`. A pair whose prefixes or lengths do not
 * match is reported and skipped; the other protocols still count.
 *
 * With `keep`, only the counters it keeps are stored (a protocol none of whose counters is kept
 * is left out); every value is still checked, so the problems are the same either way. `keep` is
 * asked once per header line text (remembered for that filter), not on every parse.
 */
export function parseSnmp(text: string, keep?: FieldFilter): Parsed<ProtocolCounters> {
  const all = lines(text);
  const value: ProtocolCounters = {};
  const problems: string[] = [];
  for (let i = 0; i < all.length; i += 2) {
    const { names, kept } = headerOf(all[i] as string, keep);
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
    // the values' bounds, not their strings: most are left out by the filter
    const count = fieldBounds(valueLine, 0, valueLine.length, b);
    const first = count > 0 ? valueLine.slice(b[0], b[1]) : undefined;
    if (first !== head) {
      problems.push(`line ${i + 2}: expected the values of ${proto}, got ${quote(first ?? '')}`);
      i -= 1; // the values line is missing: read the next line as a new header
      continue;
    }
    if (count !== names.length) {
      problems.push(`line ${i + 2}: ${proto} has ${names.length - 1} names but ${count - 1} values`);
      continue;
    }
    // a protocol met twice (none today) adds to its first row, the later value winning
    let row = value[proto];
    if (!keep) row ??= value[proto] = {};
    for (let k = 1; k < names.length; k++) {
      const v = decimalAt(valueLine, b[2 * k] as number, b[2 * k + 1] as number);
      if (v === undefined) {
        problems.push(`line ${i + 2}: ${proto} ${names[k]} is not a number: ${quote(valueLine.slice(b[2 * k], b[2 * k + 1]))}`);
        continue;
      }
      if (kept && !kept[k]) continue;
      (row ??= value[proto] = {})[names[k] as string] = v;
    }
  }
  return { value, problems };
}
