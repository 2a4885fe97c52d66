import { describe, expect, it } from 'vitest';
import { readCString, readName } from '../src/parse/attributes.js';

// INET_DIAG_CONG values as the kernel sends them: the name, NUL-terminated, padded to 4 bytes.
const attr = (name: string, pad = 4): Buffer => {
  const b = Buffer.alloc(Math.ceil((name.length + 1) / pad) * pad);
  b.write(name, 'latin1');
  return b;
};

describe('readName', () => {
  it('reads what readCString reads, and hands out one string per name met again', () => {
    const names = ['cubic', 'bbr', 'reno', 'cubic', 'dctcp', 'bbr', 'cubic'];
    const read = names.map((n) => {
      const b = attr(n);
      expect(readName(b, 0, b.length)).toBe(readCString(b, 0, b.length));
      return readName(b, 0, b.length);
    });
    expect(read).toEqual(names);
    // a name seen before comes back as the same string (no new one a socket)
    const a = attr('cubic');
    const once = readName(a, 0, a.length);
    const again = readName(Buffer.concat([Buffer.alloc(8, 0xff), attr('cubic')]), 8, 8);
    expect(again).toBe(once);
  });

  it('tells apart names that share a prefix, and stops at the attribute end without a NUL', () => {
    const vegas = Buffer.from('vegas', 'latin1');
    expect(readName(vegas, 0, 3)).toBe('veg');
    expect(readName(vegas, 0, 5)).toBe('vegas');
    expect(readName(attr('veg'), 0, 4)).toBe('veg');
    expect(readName(Buffer.alloc(4), 0, 4)).toBe('');
  });

  it('still reads every name right past the names it keeps', () => {
    const many = Array.from({ length: 40 }, (_, i) => `cc${i}`);
    for (const n of [...many, ...many]) {
      const b = attr(n);
      expect(readName(b, 0, b.length)).toBe(n);
    }
  });
});
