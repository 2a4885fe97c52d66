const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A socket cookie as a Map key: the number while it is exact (the kernel counts the sockets
 * created since boot, so below 2^53 in practice), else its decimal text. A Map hashes and
 * compares a number in place; a bigint key costs a visit to the BigInt on every probe, which
 * in a table of 100k sockets is a cache miss each.
 */
export function cookieKey(c: bigint): number | string {
  return c <= MAX_SAFE ? Number(c) : c.toString();
}
