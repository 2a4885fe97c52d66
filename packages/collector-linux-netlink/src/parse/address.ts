// A host has few distinct addresses and many sockets on each: remember the text of recent
// ones. Bounded, so a scan of many peers cannot grow it without limit.
const CACHE_MAX = 4096;
const v4Cache = new Map<number, string>();
const v6Cache = new Map<string, string>();

function remember<K>(cache: Map<K, string>, key: K, text: string): string {
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, text);
  return text;
}

/** Dotted-quad text of the IPv4 address stored (network order) at `buf[off..off+4)`. */
export function formatIPv4(buf: Buffer, off: number): string {
  const key = buf.readUInt32BE(off);
  return v4Cache.get(key) ?? remember(v4Cache, key, `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`);
}

/**
 * RFC 5952 text of the IPv6 address at `buf[off..off+16)`: lowercase, the longest run of two or
 * more zero groups compressed, and v4-mapped addresses kept as IPv6 (`::ffff:127.0.0.1`) the way
 * `ss` and Node print them.
 */
export function formatIPv6(buf: Buffer, off: number): string {
  const key = buf.toString('latin1', off, off + 16);
  return v6Cache.get(key) ?? remember(v6Cache, key, ipv6Text(buf, off));
}

function ipv6Text(buf: Buffer, off: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(off + i * 2));
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(buf, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
