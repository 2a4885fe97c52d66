import { hexDigit } from './address.js';

// A cursor over one line of a /proc/net table, read byte by byte. The tables hold up to
// hundreds of thousands of lines, so no per-line regex, split or substring: numbers are
// accumulated straight from the character codes.

const SPACE = 32;
const TAB = 9;

/** Reads fields from bytes `[pos, end)` of a buffer; every read returns -1 (or false) on bad input. */
export class LineCursor {
  /** Next byte to read. */
  pos = 0;
  /** End of the line (exclusive). */
  end = 0;

  constructor(readonly buf: Uint8Array) {}

  /** Points the cursor at a new line. */
  reset(start: number, end: number): void {
    this.pos = start;
    this.end = end;
  }

  /** Skips spaces and tabs; returns false when the line ends first. */
  skipBlanks(): boolean {
    const { buf, end } = this;
    let p = this.pos;
    while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
    this.pos = p;
    return p < end;
  }

  /** Consumes one expected byte. */
  expect(c: number): boolean {
    if (this.pos < this.end && this.buf[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** True when the byte at the cursor ends a field (blank or end of line). */
  atFieldEnd(): boolean {
    const c = this.buf[this.pos];
    return this.pos >= this.end || c === SPACE || c === TAB;
  }

  /** Reads 1..maxDigits hex digits; -1 when there is none or too many (a value out of range). */
  hex(maxDigits: number): number {
    const { buf, end } = this;
    let p = this.pos;
    let v = 0;
    let n = 0;
    while (p < end) {
      const d = hexDigit(buf[p] ?? 0);
      if (d < 0) break;
      v = v * 16 + d;
      p++;
      n++;
    }
    this.pos = p;
    return n === 0 || n > maxDigits ? -1 : v;
  }

  /** Reads an unsigned decimal; -1 when there is none or it exceeds `max`. */
  dec(max = Number.MAX_SAFE_INTEGER): number {
    const { buf, end } = this;
    let p = this.pos;
    let v = 0;
    let n = 0;
    while (p < end) {
      const c = buf[p] ?? 0;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      p++;
      n++;
    }
    this.pos = p;
    return n === 0 || v > max ? -1 : v;
  }

  /** Reads a signed decimal; NaN when there is none or it is out of the safe integer range. */
  signedDec(): number {
    const neg = this.expect(45); // '-'
    const v = this.dec();
    if (v < 0) return NaN;
    return neg ? -v : v;
  }

  /** Skips one field (non-blank bytes). */
  skipField(): void {
    const { buf, end } = this;
    let p = this.pos;
    while (p < end && buf[p] !== SPACE && buf[p] !== TAB) p++;
    this.pos = p;
  }
}

/** Calls `each(start, end, lineNo)` for every non-empty line; line numbers start at 1. */
export function forEachLine(buf: Uint8Array, each: (start: number, end: number, lineNo: number) => void): void {
  let start = 0;
  let lineNo = 1;
  const len = buf.length;
  while (start < len) {
    // the typed-array builtin: Buffer's own indexOf takes a slower generic path
    let end = Uint8Array.prototype.indexOf.call(buf, 10, start);
    if (end < 0) end = len;
    if (end > start) each(start, end, lineNo);
    start = end + 1;
    lineNo++;
  }
}
