// Shared helpers of the host parsers: whitespace tokenising and strict number parsing.
// Hand-rolled loops rather than regexes because every parser runs them on every line.

/** A parser's output: what it could read, and each problem it met, naming the line. */
export interface Parsed<T> {
  /** The parsed value; parts that were malformed are left out. */
  value: T;
  /** Problems as `line N: what` (1-based), empty when the file was well formed. */
  problems: string[];
}

/** Splits a line on runs of spaces and tabs. */
export function fields(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const blank = c === 32 || c === 9;
    if (blank) {
      if (start >= 0) out.push(line.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) out.push(line.slice(start));
  return out;
}

/**
 * fields() of `text` from `from` to `to` without making the strings: the bounds of each field as
 * [start, end) pairs written from the start of `out` (what is past them is stale); returns how
 * many fields. For the long lines of counters (netstat's TcpExt has ~120), of which the
 * collector keeps a few (issue 20).
 */
export function fieldBounds(text: string, from: number, to: number, out: number[]): number {
  let n = 0;
  let start = -1;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      if (start >= 0) {
        out[n++] = start;
        out[n++] = i;
      }
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) {
    out[n++] = start;
    out[n++] = to;
  }
  return n / 2;
}

/**
 * decimal() of `text.slice(start, end)` without the slice. Up to 15 digits the value is summed
 * exactly (below 2^53, so it equals Number()'s); a longer one goes through Number(), as decimal().
 */
export function decimalAt(text: string, start: number, end: number): number | undefined {
  const negative = text.charCodeAt(start) === 45;
  const first = negative ? start + 1 : start;
  if (first >= end) return undefined;
  let n = 0;
  for (let i = first; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  if (end - first > 15) return Number(text.slice(start, end));
  return negative ? -n : n;
}

/** Splits a file into lines, dropping the empty tail after the final newline. */
export function lines(text: string): string[] {
  const out = text.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * Parses a base-10 integer (optionally negative, e.g. Tcp MaxConn -1). Values above 2^53 are
 * kept as the nearest double, as node_exporter's float64 does; anything else is undefined.
 */
export function decimal(s: string): number | undefined {
  const start = s.charCodeAt(0) === 45 ? 1 : 0;
  if (s.length === start) return undefined;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(s);
}

/** Parses an unsigned hexadecimal integer, with or without a `0x` prefix. */
export function hex(s: string): number | undefined {
  const start = s.startsWith('0x') || s.startsWith('0X') ? 2 : 0;
  if (s.length === start) return undefined;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined;
  }
  return start === 0 ? Number.parseInt(s, 16) : Number.parseInt(s.slice(2), 16);
}

/** Shortens a malformed token for a warning so a garbage file cannot flood the log. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
