import { readFileSync } from 'node:fs';
import { isListening, type SocketRecord } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { SOCKET_TABLES, type SocketTable } from '../../src/config.js';
import type { TablePass } from '../../src/sockets/parse-inet.js';
import { scanSocketTable } from '../../src/sockets/table.js';

/** Test helper: one pass over a table's bytes, its records and problems as lists. */
function parseSocketTable(table: SocketTable, buf: Uint8Array, littleEndian: boolean, pass: TablePass = 'all') {
  const sockets: SocketRecord[] = [];
  const problems: { line: number; message: string }[] = [];
  scanSocketTable(table, buf, pass, { record: (s) => void sockets.push(s), problem: (line, message) => void problems.push({ line, message }) }, { littleEndian });
  return { sockets, problems };
}

// live/ was captured by test/fixtures/sockets/capture.mjs with known loopback sockets open.
const fixture = (dir: string, table: SocketTable) => readFileSync(new URL(`../fixtures/sockets/${dir}/${table}`, import.meta.url));
const live = (table: SocketTable) => parseSocketTable(table, fixture('live', table), true);
const find = (list: SocketRecord[], port: number, state?: string) =>
  list.filter((s) => s.local.port === port && (state === undefined || s.state === state));

describe('scanSocketTable on tables captured from this kernel', () => {
  it('reads IPv4 TCP listeners, connections and TIME_WAIT with queues and timers', () => {
    const { sockets, problems } = live('tcp');
    expect(problems).toEqual([]);
    expect(sockets).toHaveLength(9);
    const [listener] = find(sockets, 47001, 'LISTEN');
    expect(listener).toMatchObject({ protocol: 'tcp', family: 'ipv4', local: { address: '127.0.0.1', port: 47001 }, remote: { address: '0.0.0.0', port: 0 }, inode: 11618, uid: 0 });
    expect(listener?.timer).toBeUndefined();
    // python filled the window of a reader that never reads: data queued on both sides, a zero-window probe timer
    const [sender] = find(sockets, 47121);
    expect(sender).toMatchObject({ state: 'ESTABLISHED', remote: { address: '127.0.0.1', port: 47021 }, sendQueue: 0x39b600, recvQueue: 0, inode: 11656 });
    expect(sender?.timer).toEqual({ kind: 4, expiresMs: 380, retransmits: 0 });
    expect(sender?.tcp).toEqual({ rtoUs: 200_000, atoUs: 0, sndCwnd: 16, sndSsthresh: 0x7fffffff, retransmits: 0, probes: 0 });
    const [reader] = find(sockets, 47021, 'ESTABLISHED');
    expect(reader).toMatchObject({ recvQueue: 0x1f600, sendQueue: 0 });
    const [tw] = find(sockets, 47104);
    expect(tw).toMatchObject({ state: 'TIME_WAIT', inode: 0, remote: { port: 47001 } });
    expect(tw?.timer).toEqual({ kind: 3, expiresMs: 59_250, retransmits: 0 });
    expect(tw?.tcp).toBeUndefined(); // TIME_WAIT lines stop after the pointer
  });

  it('reads IPv6 TCP and keeps v4-mapped peers of a dual-stack listener as IPv6', () => {
    const { sockets, problems } = live('tcp6');
    expect(problems).toEqual([]);
    expect(sockets.every((s) => s.family === 'ipv6')).toBe(true);
    expect(find(sockets, 47002, 'LISTEN')[0]?.local.address).toBe('::1');
    expect(find(sockets, 47003, 'LISTEN')[0]?.local.address).toBe('::');
    const [mapped] = find(sockets, 47003, 'ESTABLISHED');
    expect(mapped).toMatchObject({ local: { address: '::ffff:127.0.0.1' }, remote: { address: '::ffff:127.0.0.1', port: 47103 } });
    expect(find(sockets, 47102)[0]?.remote).toEqual({ address: '::1', port: 47002 });
  });

  it('reads UDP bound, connected and queued sockets', () => {
    const { sockets, problems } = live('udp');
    expect(problems).toEqual([]);
    expect(find(sockets, 47011)[0]).toMatchObject({ protocol: 'udp', state: 'CLOSE', remote: { address: '0.0.0.0', port: 0 } });
    expect(find(sockets, 47012)[0]).toMatchObject({ state: 'ESTABLISHED', remote: { address: '127.0.0.1', port: 47011 } });
    expect(find(sockets, 47022)[0]?.recvQueue).toBe(0x340);
    expect(find(live('udp6').sockets, 47013)[0]).toMatchObject({ family: 'ipv6', local: { address: '::1' } });
  });

  it('reads raw sockets with the protocol number as the port', () => {
    expect(live('raw').sockets).toEqual([expect.objectContaining({ protocol: 'raw', family: 'ipv4', local: { address: '0.0.0.0', port: 1 }, inode: 11653 })]);
    expect(live('raw6').sockets[0]).toMatchObject({ protocol: 'raw', family: 'ipv6', local: { address: '::', port: 58 } });
  });

  it('reads unix sockets: listener by flag, path as the address, abstract names with @', () => {
    const { sockets, problems } = live('unix');
    expect(problems).toEqual([]);
    expect(sockets).toHaveLength(10);
    const byPath = sockets.filter((s) => s.local.address === '/tmp/sockscope-capture.sock');
    expect(byPath.map((s) => s.state).sort()).toEqual(['ESTABLISHED', 'LISTEN']);
    expect(byPath.find((s) => s.state === 'LISTEN')?.inode).toBe(11632);
    expect(sockets.find((s) => s.local.address.startsWith('@sockscope-capture-abstract'))?.state).toBe('LISTEN');
    expect(sockets.filter((s) => s.local.address === '').every((s) => s.state === 'ESTABLISHED')).toBe(true);
  });

  it('parses big-endian tables when told the host byte order', () => {
    const line = '  sl  local_address rem_address   st\n   0: 7F000001:0050 0A000002:D431 01 00000000:00000000 00:00000000 00000000  1000        0 42 1 0 20 4 30 10 -1\n';
    const [s] = parseSocketTable('tcp', Buffer.from(line), false).sockets;
    expect(s).toMatchObject({ local: { address: '127.0.0.1', port: 80 }, remote: { address: '10.0.0.2', port: 0xd431 }, uid: 1000, inode: 42 });
  });
});

describe('scanSocketTable on malformed variants', () => {
  it('skips each broken TCP line with its line number and keeps the rest', () => {
    const { sockets, problems } = parseSocketTable('tcp', fixture('malformed/net', 'tcp'), true);
    expect(problems).toEqual([
      { line: 11, message: 'tx_queue is not 8 hex digits' },
      { line: 13, message: 'remote port is not 1-4 hex digits' },
      { line: 14, message: 'inode is not a decimal in range' },
      { line: 15, message: 'local address is not kernel hex' },
      { line: 16, message: 'no slot number ("N:")' },
    ]);
    // the 9 real lines plus the one with extra trailing columns
    expect(sockets).toHaveLength(10);
    expect(sockets.find((s) => s.inode === 71656)?.tcp?.sndCwnd).toBe(16);
  });

  it('reports a truncated last line without a newline', () => {
    const { sockets, problems } = parseSocketTable('tcp6', fixture('malformed/net', 'tcp6'), true);
    expect(sockets).toHaveLength(5);
    expect(problems).toEqual([{ line: 7, message: 'remote address is not kernel hex' }]);
  });

  it('refuses numbers wider than their kernel format', () => {
    const { sockets, problems } = parseSocketTable('udp', fixture('malformed/net', 'udp'), true);
    expect(sockets).toHaveLength(4);
    expect(problems.map((p) => p.message)).toEqual(['tx_queue is not 8 hex digits', 'uid is not a 32-bit decimal']);
  });

  it('reports a truncated unix line', () => {
    const { sockets, problems } = parseSocketTable('unix', fixture('malformed/net', 'unix'), true);
    expect(sockets).toHaveLength(10);
    expect(problems).toEqual([{ line: 12, message: 'Protocol is not hex' }]);
  });
});

describe('scanSocketTable in two passes, listening sockets first', () => {
  const cases = [
    ...SOCKET_TABLES.map((t) => ['live', t] as const),
    ...(['tcp', 'tcp6', 'udp', 'udp6', 'unix'] as const).map((t) => ['malformed/net', t] as const),
  ];

  it.each(cases)('%s/%s: the listening pass hands on only listeners, the other pass the rest, together what one pass does, each problem once', (dir, table) => {
    const buf = fixture(dir, table);
    const all = parseSocketTable(table, buf, true);
    const listening = parseSocketTable(table, buf, true, 'listening');
    const others = parseSocketTable(table, buf, true, 'others');
    expect(listening.sockets.every(isListening)).toBe(true);
    expect(others.sockets.some(isListening)).toBe(false);
    const byInode = (a: SocketRecord, b: SocketRecord) => a.inode - b.inode || a.local.port - b.local.port || a.remote.port - b.remote.port;
    expect([...listening.sockets, ...others.sockets].sort(byInode)).toEqual([...all.sockets].sort(byInode));
    expect([...listening.problems, ...others.problems].sort((a, b) => a.line - b.line)).toEqual(all.problems);
  });

  it('finds listeners in every live table that has them (the check above is not vacuous)', () => {
    const counts = SOCKET_TABLES.map((t) => parseSocketTable(t, fixture('live', t), true, 'listening').sockets.length);
    expect(counts.every((n) => n > 0)).toBe(true);
  });
});
