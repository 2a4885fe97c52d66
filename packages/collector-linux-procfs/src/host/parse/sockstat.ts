import { decimal, fields, lines, quote, type Parsed } from './text.js';

/** Protocol → field → value, as in `{ TCP: { inuse: 4, mem: 372 }, sockets: { used: 16 } }`. */
export type SockstatCounts = Record<string, Record<string, number>>;

/**
 * Parses /proc/net/sockstat and /proc/net/sockstat6: `TCP: inuse 4 orphan 0 tw 0 alloc 4 mem 372`.
 * `mem` stays in pages here; the collector adds `mem_bytes` once it knows the page size.
 */
export function parseSockstat(text: string): Parsed<SockstatCounts> {
  const value: SockstatCounts = {};
  const problems: string[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const f = fields(all[i] as string);
    if (f.length === 0) continue;
    const head = f[0] as string;
    if (!head.endsWith(':') || f.length % 2 === 0) {
      problems.push(`line ${i + 1}: expected "<PROTO>: <name> <value> …", got ${quote(all[i] as string)}`);
      continue;
    }
    const row: Record<string, number> = {};
    let ok = true;
    for (let k = 1; k < f.length; k += 2) {
      const v = decimal(f[k + 1] as string);
      if (v === undefined) {
        problems.push(`line ${i + 1}: ${head} ${f[k]} is not a number: ${quote(f[k + 1] as string)}`);
        ok = false;
        break;
      }
      row[f[k] as string] = v;
    }
    if (ok) value[head.slice(0, -1)] = row;
  }
  return { value, problems };
}
