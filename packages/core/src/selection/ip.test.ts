import { describe, expect, it } from 'vitest';
import { inNetwork, parseCidr, parseIp, parseIPv4, parseIPv6, type IpNetwork } from './ip.js';
import { compilePortSet, parsePortRange } from './ports.js';

const net = (t: string): IpNetwork => {
  const n = parseCidr(t);
  if (typeof n === 'string') throw new Error(n);
  return n;
};
const within = (addr: string, cidr: string) => {
  const ip = parseIp(addr);
  return ip !== undefined && inNetwork(ip, net(cidr));
};

describe('parseIPv4 / parseIPv6', () => {
  it('parses valid addresses to numbers', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('10.1.2.3')).toBe(0x0a010203);
    expect(Array.from(parseIPv6('::') ?? [])).toEqual([0, 0, 0, 0]);
    expect(Array.from(parseIPv6('::1') ?? [])).toEqual([0, 0, 0, 1]);
    expect(Array.from(parseIPv6('2001:db8::8:800:200c:417a') ?? [])).toEqual([0x20010db8, 0, 0x00080800, 0x200c417a]);
    expect(Array.from(parseIPv6('fe80::') ?? [])).toEqual([0xfe800000, 0, 0, 0]);
    expect(Array.from(parseIPv6('1:2:3:4:5:6:7:8') ?? [])).toEqual([0x10002, 0x30004, 0x50006, 0x70008]);
    expect(Array.from(parseIPv6('::ffff:192.168.1.2') ?? [])).toEqual([0, 0, 0xffff, 0xc0a80102]);
    expect(Array.from(parseIPv6('2001:DB8::A') ?? [])).toEqual([0x20010db8, 0, 0, 10]);
  });

  it('refuses malformed addresses', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '01.2.3.4', 'a.b.c.d', '1.2.3.4 ']) expect(parseIPv4(bad)).toBe(-1);
    for (const bad of ['', ':', ':1', '1:', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7', '::1.2.3']) {
      expect(parseIPv6(bad), bad).toBeUndefined();
    }
  });

  it('treats IPv4-mapped IPv6 as IPv4', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ version: 4, v4: 0x0a000001 });
    expect(parseIp('::ffff:a00:1')).toEqual({ version: 4, v4: 0x0a000001 });
  });
});

describe('CIDR matching is numeric', () => {
  it('matches IPv4 networks by prefix bits, not text', () => {
    expect(within('10.200.3.4', '10.0.0.0/8')).toBe(true);
    expect(within('100.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(within('172.31.255.255', '172.16.0.0/12')).toBe(true);
    expect(within('172.32.0.0', '172.16.0.0/12')).toBe(false);
    expect(within('192.168.1.7', '192.168.1.7')).toBe(true);
    expect(within('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(within('::ffff:10.9.9.9', '10.0.0.0/8')).toBe(true);
    expect(within('10.9.9.9', '::ffff:10.0.0.0/104')).toBe(true);
  });

  it('matches IPv6 networks across word boundaries', () => {
    expect(within('2001:db8:ffff::1', '2001:db8::/32')).toBe(true);
    expect(within('2001:db9::1', '2001:db8::/32')).toBe(false);
    expect(within('2001:db8::1:0:0', '2001:db8::/80')).toBe(true);
    expect(within('2001:db8::1:0:0', '2001:db8::/96')).toBe(false);
    expect(within('2001:db8::1:0:0:1', '2001:db8::/80')).toBe(false);
    expect(within('fe80::1', 'fe80::/10')).toBe(true);
    expect(within('::1', '::1/128')).toBe(true);
    expect(within('10.0.0.1', '::/0')).toBe(false);
  });

  it('explains invalid networks', () => {
    expect(parseCidr('10.0.0.0/33')).toBe('"10.0.0.0/33" has an invalid prefix length (0 to 32)');
    expect(parseCidr('2001:db8::/129')).toBe('"2001:db8::/129" has an invalid prefix length (0 to 128)');
    expect(parseCidr('10.0.0/8')).toBe('"10.0.0/8" is not an IPv4 or IPv6 address or network');
    expect(parseCidr('10.0.0.0/x')).toContain('invalid prefix length');
  });
});

describe('port ranges', () => {
  it('parses numbers, single ports and ranges', () => {
    expect(parsePortRange(443)).toEqual([443, 443]);
    expect(parsePortRange('8080')).toEqual([8080, 8080]);
    expect(parsePortRange('8000-9000')).toEqual([8000, 9000]);
    expect(parsePortRange('9000-8000')).toBe('"9000-8000": the lower port 9000 is above the upper port 8000');
    expect(parsePortRange('70000')).toBe('"70000": ports run from 0 to 65535');
    expect(parsePortRange('http')).toContain('is not a port or a port range');
  });

  it('compiles into a bitmap with inclusive ends', () => {
    const set = compilePortSet(['80-443', 8080]);
    expect([79, 80, 443, 444, 8080, 8081].map((p) => set[p])).toEqual([0, 1, 1, 0, 1, 0]);
  });
});

describe('CIDR matching agrees with node:net BlockList (seeded random addresses and prefixes)', () => {
  it('for IPv4 and IPv6', async () => {
    const { BlockList } = await import('node:net');
    const { prng } = await import('../flows/sockets.fixture.js');
    const rand = prng(99);
    const v4 = () => Array.from({ length: 4 }, () => Math.floor(rand() * 256)).join('.');
    // few distinct words so that addresses often share long prefixes with the networks
    const v6 = () => Array.from({ length: 8 }, () => ['0', '1', 'db8', '2001', 'ffff', 'fe80'][Math.floor(rand() * 6)]).join(':');
    let hits = 0;
    for (let i = 0; i < 400; i++) {
      const six = i % 2 === 1;
      const base = six ? v6() : v4();
      const prefix = Math.floor(rand() * (six ? 129 : 33));
      const list = new BlockList();
      list.addSubnet(base, prefix, six ? 'ipv6' : 'ipv4');
      const network = net(`${base}/${prefix}`);
      for (let j = 0; j < 20; j++) {
        // half the probes share the network's leading part
        const probe = rand() < 0.5 ? (six ? v6() : v4()) : six ? base.split(':').slice(0, 4).join(':') + ':' + v6().split(':').slice(4).join(':') : base.split('.').slice(0, 2).join('.') + '.' + v4().split('.').slice(2).join('.');
        const ip = parseIp(probe);
        if (!ip) throw new Error(`unparsable probe ${probe}`);
        const want = list.check(probe, six ? 'ipv6' : 'ipv4');
        expect(inNetwork(ip, network), `${probe} in ${base}/${prefix}`).toBe(want);
        if (want) hits++;
      }
    }
    expect(hits).toBeGreaterThan(500);
  });
});
