import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from './address-text.js';

const v6 = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('address text', () => {
  it('formats IPv4 at an offset', () => {
    expect(ipv4Text(Uint8Array.from([9, 127, 0, 0, 1]), 1)).toBe('127.0.0.1');
  });

  it('formats IPv6 as RFC 5952 text', () => {
    expect(ipv6Text(v6('00000000000000000000000000000001'))).toBe('::1');
    expect(ipv6Text(v6('00000000000000000000000000000000'))).toBe('::');
    expect(ipv6Text(v6('20010db8000000000001000000000001'))).toBe('2001:db8::1:0:0:1');
    expect(ipv6Text(v6('20010db8000100000001000100010001'))).toBe('2001:db8:1:0:1:1:1:1');
    expect(ipv6Text(v6('fe800000000000000000000000000000'))).toBe('fe80::');
    expect(ipv6Text(v6('00000000000000000000ffff7f000001'))).toBe('::ffff:127.0.0.1');
  });

  it('agrees with Node on random addresses', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 2000; n++) {
      // mostly zero groups, so that compression is exercised
      const b = new Uint8Array(16);
      for (let i = 0; i < 16; i += 2) if (next() % 3 === 0) b[i + 1] = next() % 256;
      const text = ipv6Text(b);
      expect(isIPv6(text)).toBe(true);
      const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      if (!text.startsWith('::ffff:')) expect(text).toBe(url);
    }
  });
});
