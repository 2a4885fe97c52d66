import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipv6Text } from '@sockscope/core';
import { decodeAddressWords } from '../../src/sockets/address.js';

const v6 = (hex: string) => {
  const out = new Uint8Array(16);
  expect(decodeAddressWords(Buffer.from(hex), 0, 4, true, out)).toBe(true);
  return ipv6Text(out);
};

describe('kernel hex addresses', () => {
  it('undoes the little-endian word order and compresses as RFC 5952 says', () => {
    expect(v6('00000000000000000000000001000000')).toBe('::1');
    expect(v6('00000000000000000000000000000000')).toBe('::');
    expect(v6('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    // fe80:0:0:0:0:1:0:2: the longest zero run is compressed, lower case, no leading zeros
    expect(v6('000080FE000000000100000002000000')).toBe('fe80::1:0:2');
    // 2001:db8:0:1:0:0:0:1: the run of three wins over the single zero group
    expect(v6('B80D0120010000000000000001000000')).toBe('2001:db8:0:1::1');
    // 2001:db8:0:0:0:1:0:0: the run of three wins over the trailing run of two
    expect(v6('B80D0120000000000100000000000000')).toBe('2001:db8::1:0:0');
  });

  it('always yields text Node accepts as IPv6', () => {
    for (const hex of ['B80D0120000000000100000000000000', '000080FE000000000100000002000000', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF']) expect(isIPv6(v6(hex))).toBe(true);
  });

  it('refuses non-hex digits', () => {
    expect(decodeAddressWords(Buffer.from('0100007G'), 0, 1, true, new Uint8Array(4))).toBe(false);
  });
});
