/**
 * Address space of an IP address as text: is a peer the host itself, the local link, a private
 * network or the public Internet? Used (later) for the `remote_space` label and selection, so it
 * is called once per record: IPv4 text goes through the allocation-free `parseIPv4`, and only
 * IPv6 text pays for `parseIPv6`'s small word array. No regular expressions.
 */
import { parseIPv4, parseIPv6 } from '../selection/ip.js';

/**
 * The classes an address falls into, most specific first:
 * - `unspecified`: `0.0.0.0/8` and `::` (wildcard binds, unconnected peers, and text that is not
 *   an address at all — see {@link addressSpace});
 * - `loopback`: `127.0.0.0/8`, `::1`;
 * - `link_local`: `169.254.0.0/16`, `fe80::/10`;
 * - `multicast`: `224.0.0.0/4`, `ff00::/8`, and the IPv4 limited broadcast `255.255.255.255`;
 * - `private`: RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), CGNAT `100.64.0.0/10` (RFC 6598),
 *   RFC 4193 ULA `fc00::/7`, and the deprecated site-local `fec0::/10` (RFC 3879);
 * - `public`: everything else.
 */
export type AddressSpace = 'unspecified' | 'loopback' | 'link_local' | 'multicast' | 'private' | 'public';

/** Every {@link AddressSpace} value, in the order documented there (for schemas and tests). */
export const ADDRESS_SPACES: readonly AddressSpace[] = ['unspecified', 'loopback', 'link_local', 'multicast', 'private', 'public'];

/**
 * Address space of a numeric IPv4 address (uint32, as `parseIPv4` returns).
 *
 * Choices, and why:
 * - `0.0.0.0/8` is `unspecified`, not only `0.0.0.0`: RFC 1122 allows `0/8` only as a source
 *   while a host learns its address, so it never names a real peer.
 * - CGNAT `100.64.0.0/10` is `private`: RFC 6598 reserves it for carrier NAT and it is never
 *   routed on the Internet; a peer there is inside the provider's network, and Kubernetes/Tailscale
 *   style overlays use it as a private range. (The issue lists it as private too.)
 * - `255.255.255.255` is `multicast`: it is the limited broadcast, a one-to-many local-link
 *   destination, which is what people exclude together with multicast.
 * - The rest of `240.0.0.0/4` (reserved, "class E") and the documentation/benchmark ranges
 *   (`192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `198.18/15`) are `public`: `public` means
 *   "none of the special classes above", and splitting out ranges that real traffic never uses
 *   would add label values without telling operators anything.
 */
export function ipv4AddressSpace(v4: number): AddressSpace {
  const a = v4 >>> 24;
  const b = (v4 >>> 16) & 0xff;
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10) return 'private';
  if (a === 172) return b >= 16 && b <= 31 ? 'private' : 'public';
  if (a === 192) return b === 168 ? 'private' : 'public';
  if (a === 169) return b === 254 ? 'link_local' : 'public';
  if (a === 100) return b >= 64 && b <= 127 ? 'private' : 'public';
  if (a >= 224 && a <= 239) return 'multicast';
  if (v4 >>> 0 === 0xffffffff) return 'multicast';
  return 'public';
}

/**
 * Address space of an IPv6 address given as four big-endian uint32 words (as `parseIPv6`
 * returns). IPv4-mapped addresses (`::ffff:0:0/96`) are classified as the IPv4 address they
 * carry, because that is the peer a dual-stack socket really talks to. IPv4-compatible
 * (`::a.b.c.d`, deprecated), NAT64 `64:ff9b::/96` and documentation `2001:db8::/32` addresses
 * are `public` (see {@link ipv4AddressSpace} for why documentation ranges are not split out).
 */
export function ipv6AddressSpace(w: Uint32Array): AddressSpace {
  const w0 = w[0] as number;
  if (w0 === 0 && w[1] === 0) {
    if (w[2] === 0xffff) return ipv4AddressSpace(w[3] as number);
    if (w[2] === 0 && w[3] === 0) return 'unspecified';
    if (w[2] === 0 && w[3] === 1) return 'loopback';
    return 'public';
  }
  const top = w0 >>> 16;
  if (top >= 0xff00) return 'multicast'; // ff00::/8
  if ((top & 0xffc0) === 0xfe80) return 'link_local'; // fe80::/10
  if ((top & 0xffc0) === 0xfec0) return 'private'; // fec0::/10, the site-local that ULA replaced
  if ((top & 0xfe00) === 0xfc00) return 'private'; // fc00::/7: fc00::/8 and fd00::/8
  return 'public';
}

/**
 * Address space of an address as sockscope records hold it: dotted IPv4 (`10.0.0.1`), IPv6 text
 * in any valid form (`fe80::1`, `::ffff:8.8.8.8`), optionally with a `%zone` suffix.
 *
 * Text that is not an address (empty, a host name, `1.2.3`) returns `unspecified`, never `public`:
 * classifying garbage as "the Internet" would put it into exactly the traffic an operator
 * watches most closely, whereas `unspecified` already means "no concrete peer" (the collectors
 * write `0.0.0.0`/`::` for unconnected sockets), which is the honest reading of an unparsable one.
 */
export function addressSpace(address: string): AddressSpace {
  const v4 = parseIPv4(address);
  if (v4 >= 0) return ipv4AddressSpace(v4);
  // A zone (`fe80::1%eth0`) says which link, not which address; only link-local and multicast
  // addresses carry one, so the rare slice here is not on the common path.
  const zone = address.indexOf('%');
  const w = parseIPv6(zone < 0 ? address : address.slice(0, zone));
  return w ? ipv6AddressSpace(w) : 'unspecified';
}
