/** Dotted-quad text of the four address bytes at `b[off..off+4)` (network order). */
export function ipv4Text(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/**
 * RFC 5952 text of the sixteen address bytes at `b[off..off+16)`: lower case, the longest run
 * of two or more zero groups as `::` (the first on ties), and v4-mapped addresses kept as IPv6
 * with a dotted tail (`::ffff:127.0.0.1`), the way `ss` and Node print them. Every collector
 * formats kernel addresses through this one function so that the same socket reads the same
 * from netlink, /proc and sysctl.
 */
export function ipv6Text(b: Uint8Array, off = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[off + i] ?? 0) << 8) | (b[off + i + 1] ?? 0));
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${ipv4Text(b, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
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
