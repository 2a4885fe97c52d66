import { createPluginContext } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { linuxProcfsHostCollector } from '../../src/index.js';
import { resolveHostConfig } from '../../src/host/resolve.js';
import { parseConntrackStat, parseSingleValue } from '../../src/host/parse/conntrack.js';
import { parseNetDev } from '../../src/host/parse/net-dev.js';
import { parseSnmp } from '../../src/host/parse/snmp.js';
import { parseSnmp6 } from '../../src/host/parse/snmp6.js';
import { parseSockstat } from '../../src/host/parse/sockstat.js';
import { parseSoftnet } from '../../src/host/parse/softnet.js';
import { parseSysClassNet } from '../../src/host/parse/sys-class-net.js';
import { decimal, decimalAt, fieldBounds, fields, hex } from '../../src/host/parse/text.js';
import { fixture } from './fixtures.js';

describe('text helpers', () => {
  it('tokenises on runs of blanks and parses strict numbers', () => {
    expect(fields('  a\t b   c ')).toEqual(['a', 'b', 'c']);
    expect(decimal('-1')).toBe(-1);
    expect(decimal('18446744073709551615')).toBe(2 ** 64);
    for (const bad of ['', '-', '1e3', '0x1', ' 1', '1.5']) expect(decimal(bad)).toBeUndefined();
    expect(hex('0x1003')).toBe(4099);
    expect(hex('00001816')).toBe(0x1816);
    expect(hex('0x')).toBeUndefined();
    expect(hex('12g4')).toBeUndefined();
  });
});

// Issue 20: snmp and snmp6 are read through field bounds and decimalAt instead of fields() and
// decimal(), without a string per value; they must answer the same, on every line of the
// captured files and on the edge cases of decimal().
describe('fieldBounds and decimalAt answer as fields and decimal', () => {
  it('on every line of the captured snmp, netstat and snmp6, and on decimal()\'s edge cases', () => {
    const out: number[] = [];
    for (const file of ['real/proc/net/snmp', 'real/proc/net/netstat', 'real/proc/net/snmp6', 'malformed/snmp', 'malformed/snmp6']) {
      for (const line of fixture(file).split('\n')) {
        const n = fieldBounds(line, 0, line.length, out);
        const want = fields(line);
        expect(n).toBe(want.length);
        const got = [];
        for (let k = 0; k < n; k++) got.push(line.slice(out[2 * k], out[2 * k + 1]));
        expect(got).toEqual(want);
        for (let k = 0; k < n; k++) expect(decimalAt(line, out[2 * k] as number, out[2 * k + 1] as number)).toBe(decimal(want[k] as string));
      }
    }
    const edge = ['', '-', '-0', '0', '007', '-1', '1e3', '0x1', '1.5', '12a', '999999999999999', '-999999999999999', '1000000000000000', '9007199254740993', '18446744073709551615', '-18446744073709551615'];
    for (const s of edge) expect(decimalAt(` ${s}\t`, 1, 1 + s.length), s).toBe(decimal(s));
    // a field in the middle of a longer text: only its bounds count
    expect(fieldBounds('xx a\tbb  c yy', 3, 11, out)).toBe(3);
    expect(out.slice(0, 6)).toEqual([3, 4, 5, 7, 9, 10]);
  });
});

describe('parseNetDev', () => {
  it('reads every interface of the captured file with names from its header', () => {
    const { value, problems } = parseNetDev(fixture('real/proc/net/dev'));
    expect(problems).toEqual([]);
    expect(value.map((r) => r.device)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    const eth0 = value.find((r) => r.device === 'eth0')?.counters;
    expect(eth0).toMatchObject({ receive_bytes: 232120363, receive_packets: 7173, transmit_bytes: 552570, transmit_packets: 4986 });
    expect(Object.keys(eth0 ?? {})).toHaveLength(16);
    expect(eth0).toHaveProperty('transmit_colls', 0);
    expect(eth0).toHaveProperty('receive_multicast', 0);
  });

  it('skips truncated, over-long and non-numeric rows, naming each line, and keeps huge values', () => {
    const { value, problems } = parseNetDev(fixture('malformed/net-dev'));
    expect(value.map((r) => r.device)).toEqual(['ifb1']);
    expect(value[0]?.counters.receive_bytes).toBe(18446744073709551615);
    expect(problems).toEqual([
      'line 3: lo has 17 values, the header names 16',
      'line 4: ifb0 has a value that is not a counter: "x"',
      'line 6: eth0 has 4 values, the header names 16',
    ]);
  });

  it('falls back to the standard columns when the header is damaged', () => {
    const text = fixture('real/proc/net/dev').replace('|bytes', ' bytes');
    const { value, problems } = parseNetDev(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 2: header/);
    expect(value.find((r) => r.device === 'eth0')?.counters.transmit_carrier).toBe(0);
  });
});

describe('parseSnmp (snmp and netstat)', () => {
  it('reads every protocol of the captured /proc/net/snmp, including negative MaxConn', () => {
    const { value, problems } = parseSnmp(fixture('real/proc/net/snmp'));
    expect(problems).toEqual([]);
    expect(Object.keys(value)).toEqual(['Ip', 'Icmp', 'IcmpMsg', 'Tcp', 'Udp', 'UdpLite']);
    expect(value.Tcp).toMatchObject({ RtoAlgorithm: 1, MaxConn: -1, ActiveOpens: 113, InSegs: 7157 });
    expect(value.Ip?.Forwarding).toBe(2);
  });

  it('reads the captured /proc/net/netstat (TcpExt, IpExt, MPTcpExt)', () => {
    const { value, problems } = parseSnmp(fixture('real/proc/net/netstat'));
    expect(problems).toEqual([]);
    expect(Object.keys(value)).toEqual(expect.arrayContaining(['TcpExt', 'IpExt', 'MPTcpExt']));
    expect(value.TcpExt).toHaveProperty('ListenOverflows', 0);
    expect(value.IpExt?.InOctets).toBeGreaterThan(0);
  });

  it('drops a protocol whose value line is short or missing and keeps the rest', () => {
    const { value, problems } = parseSnmp(fixture('malformed/snmp'));
    expect(problems).toEqual(['line 8: Tcp has 15 names but 14 values', 'line 10: expected the values of Udp, got "UdpLite:"']);
    expect(value.Tcp).toBeUndefined();
    expect(value.Udp).toBeUndefined();
    expect(value.UdpLite).toHaveProperty('InDatagrams', 0);
    expect(value.Ip?.InReceives).toBe(7326);
  });
});

describe('parseSnmp6', () => {
  it('splits names after the first 6 like node_exporter', () => {
    const { value, problems } = parseSnmp6(fixture('real/proc/net/snmp6'));
    expect(problems).toEqual([]);
    expect(Object.keys(value).sort()).toEqual(['Icmp6', 'Ip6', 'Udp6', 'UdpLite6']);
    expect(value.Ip6).toHaveProperty('InReceives');
    expect(value.Icmp6).toHaveProperty('OutMsgs');
    expect(value.UdpLite6).toHaveProperty('InErrors', 0);
  });

  it('reports extra columns and non-numbers, keeps huge values', () => {
    const { value, problems } = parseSnmp6(fixture('malformed/snmp6'));
    expect(problems).toEqual(['line 4: expected "<name> <value>", got 3 fields', 'line 5: Ip6OutRequests is not a number: "ten"']);
    expect(value.Ip6?.InOctets).toBe(1e20);
    expect(value.Ip6?.InReceives).toBeTypeOf('number');
  });
});

describe('parseSockstat', () => {
  it('reads sockstat and sockstat6 as captured', () => {
    const v4 = parseSockstat(fixture('real/proc/net/sockstat'));
    expect(v4.problems).toEqual([]);
    expect(v4.value).toEqual({
      sockets: { used: 15 },
      TCP: { inuse: 1, orphan: 0, tw: 4, alloc: 1, mem: 0 },
      UDP: { inuse: 0, mem: 0 },
      UDPLITE: { inuse: 0 },
      RAW: { inuse: 0 },
      FRAG: { inuse: 0, memory: 0 },
    });
    const v6 = parseSockstat(fixture('real/proc/net/sockstat6'));
    expect(v6.problems).toEqual([]);
    expect(Object.keys(v6.value)).toEqual(['TCP6', 'UDP6', 'UDPLITE6', 'RAW6', 'FRAG6']);
  });

  it('reports a line with a dangling name or a non-number and keeps the others', () => {
    const { value, problems } = parseSockstat(fixture('malformed/sockstat'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^line 2: expected/);
    expect(problems[1]).toBe('line 3: UDP: inuse is not a number: "zero"');
    expect(value).toEqual({ sockets: { used: 15 }, RAW: { inuse: 0 } });
  });
});

describe('parseSoftnet', () => {
  it('reads the captured rows with the CPU index column of 5.10+ kernels', () => {
    const { value, problems } = parseSoftnet(fixture('real/proc/net/softnet_stat'));
    expect(problems).toEqual([]);
    expect(value.map((s) => s.cpu)).toEqual([0, 1]);
    expect(value[1]).toMatchObject({ dropped: 0, timesSqueezed: 0, cpuCollision: 0, receivedRps: 0, flowLimitCount: 0, backlogLen: 0 });
    expect(value[1]?.processed).toBeGreaterThan(0);
  });

  it('uses the row number on kernels without the index column and skips bad rows', () => {
    const old = parseSoftnet('00000010 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000003\n');
    expect(old.value).toEqual([{ cpu: 0, processed: 16, dropped: 1, timesSqueezed: 2, cpuCollision: 0, receivedRps: 3 }]);
    const { value, problems } = parseSoftnet(fixture('malformed/softnet_stat'));
    expect(problems).toEqual([
      'line 2: a column is not hexadecimal: "0000zz00 00000000 00000000"',
      'line 3: 2 columns, at least 3 expected (processed dropped time_squeeze)',
    ]);
    expect(value.map((s) => s.cpu)).toEqual([0, 1]);
  });
});

describe('conntrack parsers', () => {
  it('reads count, max and the per-CPU table as captured', () => {
    expect(parseSingleValue(fixture('real/proc/sys/net/netfilter/nf_conntrack_max'))).toEqual({ value: 262144, problems: [] });
    expect(parseSingleValue(fixture('real/proc/sys/net/netfilter/nf_conntrack_count')).value).toBeTypeOf('number');
    const { value, problems } = parseConntrackStat(fixture('real/proc/net/stat/nf_conntrack'));
    expect(problems).toEqual([]);
    expect(Object.keys(value)).toEqual(expect.arrayContaining(['found', 'invalid', 'ignore', 'insert', 'insert_failed', 'drop', 'early_drop', 'search_restart']));
    expect(value).not.toHaveProperty('entries');
  });

  it('sums hex columns over CPUs and skips a short row', () => {
    const { value, problems } = parseConntrackStat(fixture('malformed/nf_conntrack_stat'));
    expect(problems).toEqual(['line 3: 3 columns, the header names 17']);
    expect(value.found).toBe(0xa + 0x5);
    expect(value.search_restart).toBe(3);
    expect(parseSingleValue('12 13\n').problems).toEqual(['line 1: expected one number, got "12 13"']);
  });
});

describe('parseSysClassNet', () => {
  const dir = (name: string) =>
    Object.fromEntries(
      ['address', 'broadcast', 'carrier', 'dev_id', 'duplex', 'flags', 'ifalias', 'ifindex', 'iflink', 'mtu', 'name_assign_type', 'operstate', 'speed', 'tx_queue_len', 'type', 'statistics/rx_nohandler']
        .map((f) => {
          try {
            return [f, fixture(`real/sys/class/net/${name}/${f}`)];
          } catch {
            return [f, undefined];
          }
        })
        .filter(([, v]) => v !== undefined),
    );

  it('reads the captured eth0: hex flags, speed -1 Mbit/s as node_exporter bytes', () => {
    const { value, problems } = parseSysClassNet(dir('eth0'));
    expect(problems).toEqual([]);
    expect(value.info).toMatchObject({ address: '02:fc:00:00:00:01', operstate: 'up', duplex: 'unknown', ifalias: '', flags: 4099, up: true, devId: 0, mtu: 1400, speedBytes: -125000, ifindex: 4, type: 1 });
    expect(value.rxNohandler).toBe(0);
  });

  it('leaves out what a down ifb refuses to tell (carrier, speed, duplex)', () => {
    const { value } = parseSysClassNet(dir('ifb0'));
    expect(value.info).toMatchObject({ operstate: 'down', flags: 0x82, up: false });
    expect(value.info).not.toHaveProperty('carrier');
    expect(value.info).not.toHaveProperty('speedBytes');
    expect(value.info).not.toHaveProperty('duplex');
  });

  it('names the file of a malformed attribute and keeps the others', () => {
    const { value, problems } = parseSysClassNet({ mtu: 'abc\n', flags: '0x1003\n', speed: '1000\n' });
    expect(problems).toEqual(['mtu line 1: not a number: "abc"']);
    expect(value.info).toEqual({ flags: 4099, up: true, speedBytes: 125000000 });
  });
});

// Issue 20: netstat_fields applied while parsing (the counters left out are never stored) and its
// regex remembered per counter name. The result must be what filtering the full parse gives.
describe('netstat_fields applied while parsing', () => {
  const cfg = (netstat_fields?: string) =>
    resolveHostConfig(createPluginContext(linuxProcfsHostCollector, netstat_fields === undefined ? {} : { netstat_fields }).config);
  /** The full parse filtered afterwards by keepNetstatField, as the collector did before. */
  const filtered = (all: Record<string, Record<string, number>>, keep: (key: string) => boolean) => {
    const out: Record<string, Record<string, number>> = {};
    for (const [proto, row] of Object.entries(all)) for (const [field, v] of Object.entries(row)) if (keep(`${proto}_${field}`)) (out[proto] ??= {})[field] = v;
    return out;
  };

  for (const [label, regex] of [['the default (node_exporter\'s)', undefined], ['a regex of ours', '^Tcp(Ext)?_.*Retrans.*$'], ['all', 'all']] as const) {
    it(`keeps what the regex keeps, for ${label}, from the captured snmp, netstat and snmp6`, () => {
      const c = cfg(regex);
      for (const file of ['real/proc/net/snmp', 'real/proc/net/netstat']) {
        const whole = parseSnmp(fixture(file));
        // twice: the second read answers from what the first remembered
        for (let i = 0; i < 2; i++) expect(parseSnmp(fixture(file), c.keepProtocolField)).toEqual({ value: filtered(whole.value, c.keepNetstatField), problems: whole.problems });
      }
      const whole6 = parseSnmp6(fixture('real/proc/net/snmp6'));
      for (let i = 0; i < 2; i++) expect(parseSnmp6(fixture('real/proc/net/snmp6'), c.keepProtocolField)).toEqual({ value: filtered(whole6.value, c.keepNetstatField), problems: whole6.problems });
      // the same lines in another order: each line's remembered name no longer matches, the names still do
      const reversed = fixture('real/proc/net/snmp6').trimEnd().split('\n').reverse().join('\n');
      expect(parseSnmp6(reversed, c.keepProtocolField)).toEqual({ value: filtered(parseSnmp6(reversed).value, c.keepNetstatField), problems: [] });
    });
  }

  it('reports the same problems for counters it leaves out', () => {
    const none = () => false;
    expect(parseSnmp(fixture('malformed/snmp'), none)).toEqual({ value: {}, problems: parseSnmp(fixture('malformed/snmp')).problems });
    expect(parseSnmp6(fixture('malformed/snmp6'), none)).toEqual({ value: {}, problems: parseSnmp6(fixture('malformed/snmp6')).problems });
  });

  it('keeps the default filter\'s counters of the captured netstat (TcpExt ListenOverflows, IpExt InOctets) and leaves out the others', () => {
    const { value } = parseSnmp(fixture('real/proc/net/netstat'), cfg().keepProtocolField);
    expect(value.TcpExt).toHaveProperty('ListenOverflows', 0);
    expect(value.IpExt?.InOctets).toBeGreaterThan(0);
    expect(value.TcpExt).not.toHaveProperty('TCPHPHits');
    expect(value.MPTcpExt).toBeUndefined();
  });
});
