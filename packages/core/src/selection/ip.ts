/**
 * Numeric IP addresses and CIDR networks. Addresses are parsed by hand (no regex) because the
 * selection parses every distinct peer address it sees; IPv4-mapped IPv6 addresses
 * (`::ffff:10.1.2.3`) are treated as the IPv4 address they carry, so IPv4 networks match them.
 */

/** A parsed address: IPv4 as one uint32, IPv6 as four uint32 words (big-endian order). */
export interface IpAddress {
  /** 4 or 6. */
  version: 4 | 6;
  /** IPv4 value (0 for IPv6). */
  v4: number;
  /** IPv6 words (undefined for IPv4). */
  v6?: Uint32Array;
}

/** A network: address and prefix length, with the mask precomputed. */
export interface IpNetwork {
  /** 4 or 6. */
  version: 4 | 6;
  /** Masked IPv4 base. */
  v4: number;
  /** IPv4 mask. */
  v4mask: number;
  /** Masked IPv6 base words. */
  v6?: Uint32Array;
  /** IPv6 mask words. */
  v6mask?: Uint32Array;
}

/** Parses dotted IPv4 into a uint32, or -1. */
export function parseIPv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let part = -1;
  let parts = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (part < 0 || parts === 3) return -1;
      value = value * 256 + part;
      parts++;
      part = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero: ambiguous (octal in some parsers)
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else return -1;
  }
  if (part < 0 || parts !== 3) return -1;
  return value * 256 + part;
}

/** Parses an IPv6 address (with `::` and an optional dotted IPv4 tail) into four words, or undefined. */
export function parseIPv6(s: string): Uint32Array | undefined {
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  const n = s.length;
  if (n === 0) return undefined;
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
    if (n === 2) return new Uint32Array(4);
  } else if (s.charCodeAt(0) === 58) return undefined;
  while (i < n) {
    let j = i;
    let v = 0;
    while (j < n && j - i < 5) {
      const c = s.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      // dotted IPv4 tail fills the last two groups
      const v4 = parseIPv4(s, i, n);
      if (v4 < 0) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = n;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    groups.push(v);
    if (j === n) {
      i = n;
      break;
    }
    if (s.charCodeAt(j) !== 58) return undefined;
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      i = j + 2;
    } else {
      if (j + 1 === n) return undefined;
      i = j + 1;
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  const full = new Array<number>(8).fill(0);
  const tail = gap < 0 ? 0 : groups.length - gap;
  for (let k = 0; k < groups.length; k++) {
    const pos = gap < 0 || k < gap ? k : 8 - tail + (k - gap);
    full[pos] = groups[k] as number;
  }
  const w = new Uint32Array(4);
  for (let k = 0; k < 4; k++) w[k] = (((full[2 * k] as number) << 16) | (full[2 * k + 1] as number)) >>> 0;
  return w;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 becomes IPv4. Undefined when invalid. */
export function parseIp(s: string): IpAddress | undefined {
  const v4 = parseIPv4(s);
  if (v4 >= 0) return { version: 4, v4 };
  const v6 = parseIPv6(s);
  if (!v6) return undefined;
  if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0xffff) return { version: 4, v4: v6[3] as number };
  return { version: 6, v4: 0, v6 };
}

/** Parses `addr/prefix` (or a bare address as a host network); returns an error message instead when invalid. */
export function parseCidr(text: string): IpNetwork | string {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return `"${text}" is not an IPv4 or IPv6 address or network`;
  const v4Text = parseIPv4(addrText) >= 0;
  const max = v4Text ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    prefix = /^\d{1,3}$/.test(p) ? Number(p) : NaN;
    if (!(prefix >= 0 && prefix <= max)) return `"${text}" has an invalid prefix length (0 to ${max})`;
  }
  // an IPv4-mapped IPv6 network keeps its meaning as IPv4
  if (ip.version === 4 && !v4Text) prefix = Math.max(0, prefix - 96);
  if (ip.version === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { version: 4, v4: (ip.v4 & mask) >>> 0, v4mask: mask };
  }
  const mask = new Uint32Array(4);
  const base = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const bits = Math.min(32, Math.max(0, prefix - 32 * k));
    mask[k] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    base[k] = ((ip.v6 as Uint32Array)[k] as number) & (mask[k] as number);
  }
  return { version: 6, v4: 0, v4mask: 0, v6: base, v6mask: mask };
}

/** True when the address lies in the network (numerically, never by text). */
export function inNetwork(ip: IpAddress, net: IpNetwork): boolean {
  if (ip.version !== net.version) return false;
  if (ip.version === 4) return ((ip.v4 & net.v4mask) >>> 0) === net.v4;
  const a = ip.v6 as Uint32Array;
  const b = net.v6 as Uint32Array;
  const m = net.v6mask as Uint32Array;
  for (let k = 0; k < 4; k++) if ((((a[k] as number) & (m[k] as number)) >>> 0) !== b[k]) return false;
  return true;
}
