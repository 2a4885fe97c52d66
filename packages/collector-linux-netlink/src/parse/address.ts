import { ipv4Text, ipv6Text } from '@sockscope/core';

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
  return v4Cache.get(key) ?? remember(v4Cache, key, ipv4Text(buf, off));
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
