import type { SocketRecord } from '@sockscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetlinkCollector } from '../src/collector.js';
import type { FfiModule } from '../src/diag-socket.js';
import * as realFfi from '../src/ffi/index.js';
import { SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK } from '../src/parse/constants.js';
import { encodeDumpRequest } from '../src/request.js';
import { netlinkContext } from './context.js';
import { inodeOf, openPair, type LoopbackPair } from './loopback.js';

// TCP of both families is one TCPDIAG_GETSOCK dump (one walk of the kernel's tables) instead of a
// SOCK_DIAG_BY_FAMILY dump per family; a kernel that refuses it gets the two dumps. The real
// kernel answers every request here.

let v4: LoopbackPair;
let v6: LoopbackPair;
beforeAll(async () => {
  v4 = await openPair('127.0.0.1');
  v6 = await openPair('::1');
});
afterAll(async () => {
  await v4?.close();
  await v6?.close();
});

/** The real syscalls, recording each request's nlmsg_type; `refuse` turns TCPDIAG_GETSOCK into a type the kernel has no handler for. */
function recording(types: number[], refuse: boolean): () => Promise<FfiModule> {
  return async () => ({
    ...realFfi,
    sysSend: (fd, buf) => {
      let out = buf;
      if (refuse && buf.readUInt16LE(4) === TCPDIAG_GETSOCK) {
        out = Buffer.from(buf);
        out.writeUInt16LE(TCPDIAG_GETSOCK - 1, 4);
      }
      types.push(out.readUInt16LE(4));
      return realFfi.sysSend(fd, out);
    },
  });
}

async function collectTcp(load: () => Promise<FfiModule>) {
  const c = await createNetlinkCollector(netlinkContext({ protocols: ['tcp'] }), { sliceMs: 0 }, load);
  try {
    const seen: SocketRecord[] = [];
    const results = [];
    for (let i = 0; i < 2; i++) results.push(await c.stream(new AbortController().signal, (r) => void seen.push(r)));
    return { seen, results };
  } finally {
    await c.close();
  }
}

/** Every socket of both pairs, by inode, with its family. */
function expectBothPairs(seen: readonly SocketRecord[]): void {
  for (const [pair, family] of [[v4, 'ipv4'], [v6, 'ipv6']] as const) {
    for (const s of [pair.client, pair.accepted, pair.server]) {
      const r = seen.find((x) => x.inode === inodeOf(s));
      expect(r, `${family} socket ${inodeOf(s)}`).toBeDefined();
      expect(r?.family).toBe(family);
    }
    const client = seen.find((x) => x.inode === inodeOf(pair.client));
    expect(client?.state).toBe('ESTABLISHED');
    expect(client?.tcp?.rttUs).toBeGreaterThan(0);
    expect(client?.congestion).toBeTruthy();
  }
}

describe('TCP of both families from one dump', () => {
  it('encodes TCPDIAG_GETSOCK with inet_diag_req: the state mask and extensions where the old request has them', () => {
    const b = encodeDumpRequest('tcp', 'both', 0x1ffe, 7);
    expect(b.length).toBe(16 + 60);
    expect(b.readUInt32LE(0)).toBe(76);
    expect(b.readUInt16LE(4)).toBe(TCPDIAG_GETSOCK);
    expect(b.readUInt32LE(8)).toBe(7);
    expect(b[19]).toBe(encodeDumpRequest('tcp', 'ipv4', 0x1ffe, 7)[18]);
    expect(b.readUInt32LE(16 + 52)).toBe(0x1ffe);
    expect(() => encodeDumpRequest('udp', 'both', 0x1ffe, 7)).toThrow(/TCP only/);
  });

  it('reads IPv4 and IPv6 sockets, listeners and connections with their tcp_info, one request a phase', async () => {
    const types: number[] = [];
    const { seen, results } = await collectTcp(recording(types, false));
    expectBothPairs(seen);
    // two collections, two phases each (listeners, then the rest): one TCPDIAG_GETSOCK each
    expect(types).toEqual([TCPDIAG_GETSOCK, TCPDIAG_GETSOCK, TCPDIAG_GETSOCK, TCPDIAG_GETSOCK]);
    for (const r of results) {
      expect(r.warnings ?? []).toEqual([]);
      expect(r.inconsistent).toBeFalsy();
    }
  });

  it('falls back to a dump per family when the kernel refuses the request, without a warning, and stays there', async () => {
    const types: number[] = [];
    const { seen, results } = await collectTcp(recording(types, true));
    expectBothPairs(seen);
    // refused once (the listeners' phase of the first collection), then per family for good: 2 + 2, then 4
    expect(types[0]).toBe(TCPDIAG_GETSOCK - 1);
    expect(types.slice(1)).toEqual(Array.from({ length: 2 + 2 + 4 }, () => SOCK_DIAG_BY_FAMILY));
    for (const r of results) {
      expect(r.warnings ?? []).toEqual([]);
      expect(r.inconsistent).toBeFalsy();
    }
  });
});
