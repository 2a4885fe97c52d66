import { describe, expect, it } from 'vitest';
import { ADDRESS_SPACES, addressSpace, type AddressSpace } from './address-space.js';
import { ipv6Text } from './address-text.js';

// [address text, expected space, why the row is here]
const table: [string, AddressSpace, string][] = [
  // unspecified
  ['0.0.0.0', 'unspecified', 'IPv4 wildcard'],
  ['0.1.2.3', 'unspecified', '0/8 is "this network", never a peer (RFC 1122)'],
  ['::', 'unspecified', 'IPv6 wildcard'],
  ['::ffff:0.0.0.0', 'unspecified', 'v4-mapped wildcard as its IPv4'],
  // loopback
  ['127.0.0.1', 'loopback', ''],
  ['127.255.255.254', 'loopback', 'all of 127/8'],
  ['::1', 'loopback', ''],
  ['::ffff:127.0.0.1', 'loopback', 'v4-mapped loopback'],
  // link-local
  ['169.254.0.1', 'link_local', ''],
  ['169.254.169.254', 'link_local', 'cloud metadata endpoint'],
  ['169.253.255.255', 'public', 'just below 169.254/16'],
  ['169.255.0.0', 'public', 'just above 169.254/16'],
  ['fe80::1', 'link_local', ''],
  ['fe80::1%eth0', 'link_local', 'zone suffix ignored'],
  ['febf:ffff::1', 'link_local', 'top of fe80::/10'],
  ['fe7f::1', 'public', 'just below fe80::/10'],
  // multicast
  ['224.0.0.1', 'multicast', 'all-hosts, bottom of 224/4'],
  ['239.255.255.255', 'multicast', 'top of 224/4'],
  ['223.255.255.255', 'public', 'just below 224/4'],
  ['255.255.255.255', 'multicast', 'limited broadcast counted with multicast'],
  ['ff02::1', 'multicast', 'all-nodes'],
  ['ff05::1:3', 'multicast', 'site-local DHCP servers'],
  ['::ffff:224.0.0.251', 'multicast', 'v4-mapped mDNS'],
  // private: RFC 1918
  ['10.0.0.1', 'private', ''],
  ['10.255.255.255', 'private', ''],
  ['11.0.0.0', 'public', 'just above 10/8'],
  ['172.16.0.0', 'private', 'bottom of 172.16/12'],
  ['172.31.255.255', 'private', 'top of 172.16/12'],
  ['172.15.255.255', 'public', 'just below 172.16/12'],
  ['172.32.0.0', 'public', 'just above 172.16/12'],
  ['192.168.1.1', 'private', ''],
  ['192.167.255.255', 'public', 'just below 192.168/16'],
  ['192.169.0.0', 'public', 'just above 192.168/16'],
  // private: CGNAT 100.64/10
  ['100.63.255.255', 'public', 'just below CGNAT'],
  ['100.64.0.0', 'private', 'bottom of CGNAT'],
  ['100.127.255.255', 'private', 'top of CGNAT'],
  ['100.128.0.0', 'public', 'just above CGNAT'],
  // private: ULA fc00::/7, both halves, and its edges
  ['fc00::1', 'private', 'fc00::/8 half'],
  ['fd12:3456:789a::1', 'private', 'fd00::/8 half'],
  ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private', 'top of fc00::/7'],
  ['fbff::1', 'public', 'just below fc00::/7'],
  ['fec0::1', 'private', 'deprecated site-local'],
  // v4-mapped
  ['::ffff:10.0.0.1', 'private', 'v4-mapped RFC 1918'],
  ['::ffff:100.64.0.1', 'private', 'v4-mapped CGNAT'],
  ['::ffff:8.8.8.8', 'public', 'v4-mapped public'],
  ['::FFFF:169.254.1.1', 'link_local', 'upper-case hex'],
  // public, including the reserved and documentation ranges (documented choice)
  ['8.8.8.8', 'public', ''],
  ['1.1.1.1', 'public', ''],
  ['240.0.0.1', 'public', 'reserved class E: "none of the special classes"'],
  ['192.0.2.1', 'public', 'TEST-NET-1 documentation'],
  ['2001:db8::', 'public', 'documentation prefix: not split out'],
  ['2001:4860:4860::8888', 'public', ''],
  ['2606:4700::1111', 'public', ''],
  ['64:ff9b::808:808', 'public', 'NAT64 of a public address'],
  ['::2', 'public', 'not ::1'],
  ['::0.0.0.2', 'public', 'IPv4-compatible (deprecated), not mapped'],
  // malformed: unspecified, never public
  ['', 'unspecified', 'empty'],
  ['1.2.3', 'unspecified', 'short IPv4'],
  ['256.1.1.1', 'unspecified', 'octet out of range'],
  ['01.2.3.4', 'unspecified', 'leading zero'],
  ['localhost', 'unspecified', 'a name, not an address'],
  ['1:2:3', 'unspecified', 'short IPv6'],
  ['fe80::1::2', 'unspecified', 'two gaps'],
  ['10.0.0.1%eth0', 'unspecified', 'IPv4 has no zone'],
  [' 10.0.0.1', 'unspecified', 'surrounding space'],
];

describe('addressSpace', () => {
  it.each(table)('%s is %s (%s)', (address, expected) => {
    expect(addressSpace(address)).toBe(expected);
  });

  it('classifies every address the way collectors format it (ipv6Text of the same bytes)', () => {
    // the records hold RFC 5952 text from ipv6Text; classify that text, not a hand-written one
    const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
    expect(addressSpace(ipv6Text(bytes('00000000000000000000ffff0a000001')))).toBe('private');
    expect(addressSpace(ipv6Text(bytes('fe800000000000000000000000000001')))).toBe('link_local');
    expect(addressSpace(ipv6Text(bytes('00000000000000000000000000000000')))).toBe('unspecified');
    expect(addressSpace(ipv6Text(bytes('20010db8000000000000000000000001')))).toBe('public');
  });

  it('covers every documented space in the table', () => {
    const seen = new Set(table.map(([, space]) => space));
    expect([...seen].sort()).toEqual([...ADDRESS_SPACES].sort());
  });
});
