import { readFileSync } from 'node:fs';
import { seededRandom, socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import type { FfiModule } from '../src/diag-socket.js';
import { createDestroyEventSource } from '../src/index.js';
import { destroyContext, drainUntil } from './destroy-events.js';
import { openSockDiagSockets } from './loopback.js';

// The source's own paths that a live kernel does not take on demand: the real ffi layer with
// one call replaced (recv returning given datagrams and errnos, setsockopt refusing).
const real = (await import('../src/ffi/index.js')) as FfiModule;
const dir = new URL('./fixtures/destroy/', import.meta.url);
const files = (JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { files: string[] }).files;
const datagrams = files.map((f) => readFileSync(new URL(f, dir)));
const EAGAIN = real.errnoValue('EAGAIN');
const ENOBUFS = real.errnoValue('ENOBUFS');
const EPERM = real.errnoValue('EPERM');

/** An ffi whose recv() hands out `script` (a datagram, or an errno), then EAGAIN; `calls` counts the recv() calls. */
function replaying(script: (Buffer | number)[]): { ffi: FfiModule; calls: () => number } {
  let calls = 0;
  const ffi: FfiModule = {
    ...real,
    sysRecv(_fd, buf) {
      calls++;
      const next = script.shift();
      if (next === undefined) return { value: -1, errno: EAGAIN };
      if (typeof next === 'number') return { value: -1, errno: next };
      next.copy(buf);
      return { value: next.length, errno: 0 };
    },
  };
  return { ffi, calls: () => calls };
}

const settle = () => new Promise((r) => setTimeout(r, 60));

describe('destroy-event source, replayed', () => {
  it('malformed datagrams are counted and reported (five lines, then a count), never thrown; good ones still arrive', async () => {
    const rand = seededRandom(0xbadda7a);
    const script: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const d = Buffer.from(datagrams[i % datagrams.length] as Buffer);
      if (i % 2) for (let k = 0; k < 8; k++) d[Math.floor(rand() * d.length)] = Math.floor(rand() * 256);
      script.push(i % 3 === 0 ? d.subarray(0, Math.floor(rand() * d.length)) : d);
    }
    const { ffi } = replaying(script);
    const src = await createDestroyEventSource({ reader: 'main', intervalMs: 1 }, destroyContext(), () => Promise.resolve(ffi));
    src.start();
    const { records, warnings } = await drainUntil(src, () => src.stats().received + src.stats().malformed >= 150, 3000);
    await settle();
    const last = src.drain();
    records.push(...last.records);
    warnings.push(...last.warnings.map((w) => `${w.code}: ${w.message}`));
    await src.close();
    const stats = src.stats();
    expect(stats.malformed).toBeGreaterThan(10);
    expect(records.length).toBeGreaterThan(30);
    for (const r of records) {
      expect(socketRecordProblems(r)).toEqual([]);
      expect(r.closedAt).toBeTypeOf('number');
      expect(r.netns).toBeTypeOf('number');
    }
    const lines = warnings.filter((w) => w.startsWith('ERR_NETLINK_MALFORMED: destroy event: '));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5 * 2); // five per drain, and few drains
    expect(warnings.some((w) => /^ERR_NETLINK_MALFORMED: \d+ more malformed destroy-event parts$/.test(w))).toBe(true);
  });

  it('ENOBUFS from recv is counted and reported as ERR_NETLINK_EVENTS_LOST, naming the receive buffer', async () => {
    const { ffi } = replaying([datagrams[0] as Buffer, ENOBUFS, datagrams[1] as Buffer, ENOBUFS, ENOBUFS]);
    const src = await createDestroyEventSource({ reader: 'main', intervalMs: 1 }, destroyContext(), () => Promise.resolve(ffi));
    src.start();
    await settle();
    const d = src.drain();
    await src.close();
    expect(d.records).toHaveLength(2);
    expect(src.stats().enobufs).toBe(3);
    const rcvbuf = src.stats().sockets[0]?.rcvbuf;
    expect(d.warnings).toEqual([
      { code: 'ERR_NETLINK_EVENTS_LOST', message: `the kernel dropped destroy events (recv() returned ENOBUFS 3 times since the last drain); the receive buffer is ${rcvbuf} bytes: raise rcvbuf (and net.core.rmem_max, or grant CAP_NET_ADMIN)` },
    ]);
    expect(src.drain().warnings).toEqual([]); // said once per occurrence, not again
  });

  it('over maxBuffered, new records are dropped and counted, the buffer does not grow', async () => {
    const { ffi } = replaying(Array.from({ length: 10 }, (_, i) => datagrams[i % datagrams.length] as Buffer));
    const src = await createDestroyEventSource({ reader: 'main', intervalMs: 1, maxBuffered: 3 }, destroyContext(), () => Promise.resolve(ffi));
    src.start();
    await settle();
    expect(src.stats()).toMatchObject({ received: 10, dropped: 7, buffered: 3 });
    const d = src.drain();
    await src.close();
    expect(d.records).toHaveLength(3);
    expect(d.records.map((r) => r.local.port)).toEqual(datagrams.slice(0, 3).map((b) => b.readUInt16BE(20)));
    expect(d.warnings.map((w) => w.code)).toEqual(['ERR_NETLINK_EVENTS_DROPPED']);
    expect(d.warnings[0]?.message).toMatch(/^7 destroy events dropped since the last drain: more than maxBuffered \(3\)/);
  });

  it('a failing recv() is reported once and that socket is no longer read (no error loop)', async () => {
    const { ffi, calls } = replaying([datagrams[0] as Buffer, real.errnoValue('EINVAL')]);
    const src = await createDestroyEventSource({ reader: 'main', intervalMs: 1 }, destroyContext(), () => Promise.resolve(ffi));
    src.start();
    await settle();
    const n = calls();
    await settle();
    const d = src.drain();
    await src.close();
    expect(calls()).toBe(n);
    expect(n).toBe(2);
    expect(d.records).toHaveLength(1);
    expect(d.warnings).toEqual([{ code: 'ERR_NETLINK_RECV', message: expect.stringMatching(/^destroy events \(namespace \d+\): recv\(\) failed with EINVAL; that socket is no longer read$/) as string }]);
  });

  it('a refused subscription (EPERM on NETLINK_ADD_MEMBERSHIP, as a kernel without unprivileged listeners answers) is said once, naming CAP_NET_ADMIN; nothing is read and no socket stays open', async () => {
    const before = openSockDiagSockets();
    let refusals = 0;
    const ffi: FfiModule = {
      ...real,
      sysSetsockoptInt(fd, level, name, value) {
        if (level === 270) {
          refusals++;
          return { value: -1, errno: EPERM };
        }
        return real.sysSetsockoptInt(fd, level, name, value);
      },
    };
    const ctx = destroyContext();
    const src = await createDestroyEventSource({}, ctx, () => Promise.resolve(ffi));
    src.start();
    expect(openSockDiagSockets()).toBe(before);
    expect(refusals).toBe(1);
    expect(ctx.notices).toEqual([
      'linux-netlink: the kernel refused the destroy-event subscription in namespace own (NETLINK_ADD_MEMBERSHIP SKNLGRP_INET_TCP_DESTROY: EPERM); grant CAP_NET_ADMIN. Closed sockets are seen only by polling.',
    ]);
    expect(src.drain().warnings.map((w) => w.code)).toEqual(['ERR_NETLINK_EVENTS_SUBSCRIBE']);
    await settle();
    expect(src.drain()).toEqual({ records: [], warnings: [] });
    expect(src.stats()).toMatchObject({ received: 0, sockets: [] });
    await src.close();
  });

  it('without SO_RCVBUFFORCE (no CAP_NET_ADMIN) the buffer is what SO_RCVBUF and net.core.rmem_max give, and that is said once', async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const ffi: FfiModule = {
      ...real,
      sysSetsockoptInt: (fd, level, name, value) => (level === 1 && name === 33 ? { value: -1, errno: EPERM } : real.sysSetsockoptInt(fd, level, name, value)),
    };
    const ctx = destroyContext();
    const rcvbuf = 4 * rmemMax + 4096;
    const src = await createDestroyEventSource({ rcvbuf }, ctx, () => Promise.resolve(ffi));
    await src.close();
    const got = src.stats().sockets[0];
    expect(got).toMatchObject({ forced: false, rcvbuf: 2 * rmemMax });
    expect(ctx.notices).toEqual([
      `linux-netlink: destroy-event receive buffer is ${2 * rmemMax} bytes, not the ${rcvbuf} asked: SO_RCVBUFFORCE needs CAP_NET_ADMIN and SO_RCVBUF is capped by net.core.rmem_max; under churn the kernel may drop events (counted as ENOBUFS).`,
    ]);
  });
});
