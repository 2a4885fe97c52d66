// Small readers shared by the parsers. Callers check the buffer length against the layout's
// minLength first; these helpers still clamp string reads so a bad length never throws.
import { ipv4Text, ipv6Text } from '@sockscope/core';

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
  return ipv4Text(buf, off);
}

/** Formats 16 bytes at `off` as an RFC 5952 compressed IPv6 address (v4-mapped keeps its dotted tail). */
export function ipv6At(buf: Buffer, off: number): string {
  return ipv6Text(buf, off);
}

/** Formats `len` bytes as a colon-separated lowercase MAC-style string. */
export function hwAddress(buf: Buffer, off: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len && off + i < buf.length; i++) parts.push((buf[off + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}
