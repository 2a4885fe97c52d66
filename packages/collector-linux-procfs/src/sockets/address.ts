// The kernel prints socket addresses in /proc/net/{tcp,udp,raw}{,6} as the raw in-memory words
// of the address, each 32-bit word as %08X of a host-order integer. On a little-endian host the
// bytes of every word therefore come out reversed ("0100007F" is 127.0.0.1).

const HEX = '0123456789abcdef';

/** Value of one ASCII hex digit (0-9, A-F, a-f), or -1. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Decodes `words` 32-bit words of kernel hex (8 digits each) at `buf[start]` into address bytes,
 * undoing the host byte order. Returns false when a digit is not hex.
 */
export function decodeAddressWords(buf: Uint8Array, start: number, words: number, littleEndian: boolean, out: Uint8Array): boolean {
  for (let w = 0; w < words; w++) {
    for (let b = 0; b < 4; b++) {
      const at = start + w * 8 + b * 2;
      const hi = hexDigit(buf[at] ?? 0);
      const lo = hexDigit(buf[at + 1] ?? 0);
      if (hi < 0 || lo < 0) return false;
      // printed byte b is the most significant first; in memory it sits at 3-b on little endian
      out[w * 4 + (littleEndian ? 3 - b : b)] = (hi << 4) | lo;
    }
  }
  return true;
}

/** Dotted quad of four address bytes. */
export function formatIPv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** True for ::ffff:a.b.c.d (an IPv4 peer seen through an IPv6 socket). */
export function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** RFC 5952 text of 16 address bytes: lower case, longest zero run (2+ groups) as `::`, v4-mapped as `::ffff:a.b.c.d`. */
export function formatIPv6(b: Uint8Array): string {
  if (isV4Mapped(b)) return `::ffff:${formatIPv4(b, 12)}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
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
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += hexGroup(groups[i] ?? 0);
    if (i < 7) out += ':';
  }
  return out;
}

function hexGroup(n: number): string {
  if (n < 0x10) return HEX[n] ?? '0';
  return n.toString(16);
}
