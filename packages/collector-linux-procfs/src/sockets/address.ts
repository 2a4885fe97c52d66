// The kernel prints socket addresses in /proc/net/{tcp,udp,raw}{,6} as the raw in-memory words
// of the address, each 32-bit word as %08X of a host-order integer. On a little-endian host the
// bytes of every word therefore come out reversed ("0100007F" is 127.0.0.1).

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
