import { describe, expect, it } from 'vitest';
import { createPluginContext } from '../contracts/context.js';
import { listener, tcpSocket } from '../flows/sockets.fixture.js';
import type { AddressSpace } from '../net/address-space.js';
import { enrichRecords } from '../pipeline/list.js';
import { directionEnricher } from '../plugins/direction.js';
import type { SocketRecord } from '../types/socket.js';
import { AddressSpaces, classifyDirections } from './direction.js';

// Issue 16: the direction enricher sets each IP socket's localSpace and remoteSpace, memoized per
// address text. Table: [local, remote, localSpace, remoteSpace].
const table: Array<[string, string, AddressSpace, AddressSpace]> = [
  ['10.0.0.1', '8.8.8.8', 'private', 'public'],
  ['127.0.0.1', '127.0.0.53', 'loopback', 'loopback'],
  ['192.168.1.5', '169.254.169.254', 'private', 'link_local'],
  ['100.64.0.1', '172.16.0.1', 'private', 'private'],
  ['10.0.0.1', '224.0.0.251', 'private', 'multicast'],
  ['0.0.0.0', '0.0.0.0', 'unspecified', 'unspecified'],
  ['::1', '::1', 'loopback', 'loopback'],
  ['fd00::1', '2606:4700::1111', 'private', 'public'],
  ['fe80::1', 'ff02::1', 'link_local', 'multicast'],
  // v4-mapped IPv6 (a dual-stack socket) is classified as the IPv4 address it carries
  ['::ffff:10.0.0.1', '::ffff:8.8.8.8', 'private', 'public'],
  ['::ffff:127.0.0.1', '::ffff:100.64.1.1', 'loopback', 'private'],
  ['::', '::', 'unspecified', 'unspecified'],
];

const record = (local: string, remote: string, over: Partial<SocketRecord> = {}): SocketRecord =>
  tcpSocket({ family: local.includes(':') ? 'ipv6' : 'ipv4', local: { address: local, port: 40000 }, remote: { address: remote, port: 443 }, ...over });

describe('direction enricher: address spaces of both ends', () => {
  it('sets localSpace and remoteSpace on every IP record (v4, v6, v4-mapped)', async () => {
    const e = await directionEnricher.create(createPluginContext(directionEnricher));
    const list = table.map(([l, r]) => record(l, r));
    await enrichRecords(e, list);
    expect(list.map((s) => [s.local.address, s.remote.address, s.localSpace, s.remoteSpace])).toEqual(table);
  });

  it('sets them on listeners too (remote unspecified), and on no Unix socket (its addresses are paths)', async () => {
    const e = await directionEnricher.create(createPluginContext(directionEnricher));
    const unix: SocketRecord = { ...record('/run/a.sock', ''), protocol: 'unix', family: 'unix', state: 'ESTABLISHED', tcp: undefined };
    const l = listener(443, { local: { address: '::', port: 443 }, family: 'ipv6' });
    await enrichRecords(e, [l, unix]);
    expect([l.localSpace, l.remoteSpace]).toEqual(['unspecified', 'unspecified']);
    expect(unix).not.toHaveProperty('localSpace');
    expect(unix).not.toHaveProperty('remoteSpace');
  });

  it('classifyDirections (the list form) sets them as well', () => {
    const list = [record('10.0.0.1', '1.1.1.1')];
    classifyDirections(list);
    expect([list[0]?.localSpace, list[0]?.remoteSpace]).toEqual(['private', 'public']);
  });
});

describe('AddressSpaces memo', () => {
  it('classifies each distinct address text once, and stays within its bound', () => {
    const spaces = new AddressSpaces(4);
    expect(spaces.of('8.8.8.8')).toBe('public');
    expect(spaces.of('8.8.8.8')).toBe('public');
    expect(spaces.size).toBe(1);
    for (let i = 1; i <= 10; i++) expect(spaces.of(`10.0.0.${i}`)).toBe('private');
    expect(spaces.size).toBeLessThanOrEqual(4);
    // answers are the same after it started again
    expect(spaces.of('::ffff:8.8.8.8')).toBe('public');
  });
});
