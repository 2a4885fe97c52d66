import type { CollectorResult, SocketRecord } from '@sockscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetlinkCollector } from '../src/collector.js';
import type { FfiModule } from '../src/diag-socket.js';
import * as realFfi from '../src/ffi/index.js';
import { netlinkContext } from './context.js';
import { openPair, type LoopbackPair } from './loopback.js';

// A dump the collector abandons part-way (recv() fails, e.g. ENOBUFS) has read only some of the
// sockets. The collector used to return that as a successful, consistent collection, so the
// metric fold took every socket it missed for a closed one. The real kernel answers here; only
// recv() of the second phase (the connections, after the listeners) is made to fail once.

let pair: LoopbackPair;
beforeAll(async () => {
  pair = await openPair('127.0.0.1');
});
afterAll(async () => {
  await pair?.close();
});

/** Real syscalls, except that the first recv() after the `failAfterSend`-th send fails with ENOBUFS. */
function failingRecv(failAfterSend: number): () => Promise<FfiModule> {
  let sends = 0;
  let failed = false;
  return async () => ({
    ...realFfi,
    sysSend: (fd, buf) => {
      sends++;
      return realFfi.sysSend(fd, buf);
    },
    sysRecv: (fd, buf, flags) => {
      if (sends === failAfterSend && !failed) {
        failed = true;
        return { value: -1, errno: realFfi.errnoValue('ENOBUFS') };
      }
      return realFfi.sysRecv(fd, buf, flags);
    },
  });
}

async function streamOnce(load: () => Promise<FfiModule>): Promise<{ result: CollectorResult; seen: SocketRecord[] }> {
  const c = await createNetlinkCollector(netlinkContext({ protocols: ['tcp'], families: ['ipv4'] }), { sliceMs: 0 }, load);
  try {
    const seen: SocketRecord[] = [];
    const result = await c.stream(new AbortController().signal, (r) => void seen.push(r));
    return { result, seen };
  } finally {
    await c.close();
  }
}

describe('a dump abandoned part-way', () => {
  it('marks the collection inconsistent, so no fold takes the sockets it missed for closed ones', async () => {
    // send 1: the listeners' dump; send 2: the connections' dump, whose first recv() fails
    const { result, seen } = await streamOnce(failingRecv(2));
    expect(result.inconsistent).toBe(true);
    expect(result.warnings?.map((w) => w.code)).toContain('ERR_NETLINK_RECV');
    // the listeners read before the failure are still handed on
    expect(seen.some((r) => r.state === 'LISTEN' && r.local.port === pair.port)).toBe(true);
    expect(seen.some((r) => r.state === 'ESTABLISHED' && r.local.port === pair.port)).toBe(false);
  });

  it('leaves a dump that reached its end consistent', async () => {
    const { result, seen } = await streamOnce(async () => realFfi);
    expect(result.inconsistent).toBeUndefined();
    expect(seen.some((r) => r.state === 'ESTABLISHED' && r.local.port === pair.port)).toBe(true);
  });
});
