import { decimal, fields, hex, lines, quote, type Parsed } from './text.js';

/** Parses a one-number file such as nf_conntrack_count or nf_conntrack_max. */
export function parseSingleValue(text: string): Parsed<number | undefined> {
  const f = fields(lines(text)[0] ?? '');
  const v = f.length === 1 ? decimal(f[0] as string) : undefined;
  if (v === undefined) return { value: undefined, problems: [`line 1: expected one number, got ${quote(text.trim())}`] };
  return { value: v, problems: [] };
}

/**
 * Parses /proc/net/stat/nf_conntrack: a header of column names, then one row of hex numbers per
 * CPU. Columns are summed over CPUs as node_exporter does, except `entries`, which every row
 * repeats as the global table size (summing it would count the table once per CPU).
 */
export function parseConntrackStat(text: string): Parsed<Record<string, number>> {
  const all = lines(text);
  const names = fields(all[0] ?? '');
  const problems: string[] = [];
  const value: Record<string, number> = {};
  if (names.length === 0) return { value, problems: ['line 1: no header of column names'] };
  for (const n of names) if (n !== 'entries') value[n] = 0;
  for (let i = 1; i < all.length; i++) {
    const f = fields(all[i] as string);
    if (f.length === 0) continue;
    if (f.length !== names.length) {
      problems.push(`line ${i + 1}: ${f.length} columns, the header names ${names.length}`);
      continue;
    }
    const row: number[] = [];
    for (const s of f) {
      const v = hex(s);
      if (v === undefined) break;
      row.push(v);
    }
    if (row.length !== f.length) {
      problems.push(`line ${i + 1}: a column is not hexadecimal: ${quote(all[i] as string)}`);
      continue;
    }
    for (let k = 0; k < names.length; k++) {
      const n = names[k] as string;
      if (n !== 'entries') value[n] = (value[n] as number) + (row[k] as number);
    }
  }
  return { value, problems };
}
