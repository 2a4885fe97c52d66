// Small readers shared by the parsers. Callers check the buffer length against the layout's
// minLength first; these helpers still clamp string reads so a bad length never throws.

/** Reads a little-endian u64 as a number (exact up to 2^53, which counters stay below in practice). */
export function u64(buf: Buffer, off: number): number {
  return Number(buf.readBigUInt64LE(off));
}

/** Reads a little-endian u64 as a bigint (kernel addresses, generation counts). */
export function u64big(buf: Buffer, off: number): bigint {
  return buf.readBigUInt64LE(off);
}

/** Reads a NUL-terminated string of at most `max` bytes; stops at the buffer's end. */
export function cString(buf: Buffer, off: number, max: number): string {
  const end = Math.min(buf.length, off + max);
  if (off >= end) return '';
  const nul = buf.indexOf(0, off);
  return buf.toString('latin1', off, nul >= off && nul < end ? nul : end);
}

/** Formats 4 bytes at `off` as dotted IPv4. */
export function ipv4At(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** Formats 16 bytes at `off` as an RFC 5952 compressed IPv6 address (v4-mapped keeps its dotted tail). */
export function ipv6At(buf: Buffer, off: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(off + i * 2));
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  if (mapped) return `::ffff:${ipv4At(buf, off + 12)}`;
  // Longest run of two or more zero words becomes "::" (first one on ties).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Formats `len` bytes as a colon-separated lowercase MAC-style string. */
export function hwAddress(buf: Buffer, off: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len && off + i < buf.length; i++) parts.push((buf[off + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}
