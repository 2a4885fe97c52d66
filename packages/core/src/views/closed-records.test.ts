import { describe, expect, it } from 'vitest';
import { isListening } from '../enrichers/direction.js';
import { listener, T0, tcpSocket } from '../flows/sockets.fixture.js';
import { foldRecords } from '../pipeline/list.js';
import type { SocketRecord } from '../types/socket.js';
import { createConnectionsFold } from './connections-fold.js';

// Issue 18: a collection may end with closed records (closedAt set: sockets the kernel destroyed
// since the previous collection). They are not live connections, and never listeners.

const udpClosed: SocketRecord = { protocol: 'udp', family: 'ipv4', state: 'CLOSE', local: { address: '0.0.0.0', port: 5353 }, remote: { address: '0.0.0.0', port: 0 }, inode: 7, uid: 0, recvQueue: 0, sendQueue: 0, closedAt: T0 };

describe('closed records (destroy events)', () => {
  it('a closed unconnected UDP socket is not listening, so a buffered replay keeps it after the live sockets', () => {
    expect(isListening({ ...udpClosed, closedAt: undefined })).toBe(true);
    expect(isListening(udpClosed)).toBe(false);
    expect(isListening(listener(80, { closedAt: T0 }))).toBe(false);
  });

  it('the connections view has no row for a closed socket and does not count it as skipped', () => {
    const live = tcpSocket({ cookie: 1n, inode: 1 });
    const closed = tcpSocket({ cookie: 2n, inode: 2, state: 'CLOSE', closedAt: T0 });
    const out = foldRecords(createConnectionsFold(), T0, [listener(443), live, closed, udpClosed]);
    expect(out.rows.map((r) => r.inode)).toEqual([5443, 1]);
    expect(out.skipped).toBe(0);
  });
});
