import { NLA_TYPE_MASK } from './constants.js';

/** Called for each attribute: its type (flag bits stripped) and where its value lies. */
export type AttributeVisitor = (type: number, valueOffset: number, valueLength: number) => void;

/**
 * Walks the rtattr list in `buf[start, end)`. Returns a description of the first malformed
 * attribute (the walk stops there), or undefined when the list is well formed.
 */
export function forEachAttribute(buf: Buffer, start: number, end: number, visit: AttributeVisitor): string | undefined {
  let off = start;
  while (end - off >= 4) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < 4 || len > end - off) return `attribute ${type} at byte ${off} claims ${len} bytes, ${end - off} are left`;
    visit(type, off + 4, len - 4);
    off += (len + 3) & ~3;
  }
  return undefined;
}

/** Reads a NUL-terminated (or attribute-bounded) ASCII string, e.g. INET_DIAG_CONG. */
export function readCString(buf: Buffer, off: number, len: number): string {
  return buf.toString('latin1', off, cStringEnd(buf, off, len));
}

/** Where the string at `buf[off..off+len)` ends: its NUL, or the attribute's end. */
function cStringEnd(buf: Buffer, off: number, len: number): number {
  let end = off;
  const limit = off + len;
  while (end < limit && buf[end] !== 0) end++;
  return end;
}

/** Names read by {@link readName}, as their bytes and their text. */
const names: { bytes: Buffer; text: string }[] = [];
const NAMES_MAX = 16;

/**
 * {@link readCString} for a value a few names make up (INET_DIAG_CONG: `cubic`, `bbr`…): the
 * text of a name met before is handed out again instead of a new string a socket. Holds at
 * most 16 names; past that it reads each afresh.
 */
export function readName(buf: Buffer, off: number, len: number): string {
  const end = cStringEnd(buf, off, len);
  const n = end - off;
  for (const name of names) {
    const b = name.bytes;
    if (b.length !== n) continue;
    let i = 0;
    while (i < n && b[i] === buf[off + i]) i++;
    if (i === n) return name.text;
  }
  const text = buf.toString('latin1', off, end);
  if (names.length < NAMES_MAX) names.push({ bytes: Buffer.from(buf.subarray(off, end)), text });
  return text;
}
