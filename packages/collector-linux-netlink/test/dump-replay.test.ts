import type { SocketRecord, SocketVisitor } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { DiagSocket, type FfiModule } from '../src/diag-socket.js';
import { runDump, runDumpConsistent, visitOnce, type DumpRequest } from '../src/dump.js';
import * as realFfi from '../src/ffi/index.js';
import { NLM_F_DUMP_INTR } from '../src/parse/constants.js';
import { fixture } from './fixtures.js';

// The receive loop's failure paths (interrupted dumps, errno from recv, oversized datagrams,
// silence, aborts) cannot be provoked on demand from a live kernel. Here the two syscalls the
// loop makes are replayed: send() records the request's sequence number and recv() hands back
// datagrams captured from the kernel, renumbered to that sequence. Everything else is real.

type Step = Buffer | { errno: string } | { stale: Buffer } | { datagram: Buffer; reportedLength: number } | (() => void);

const withSeq = (datagram: Buffer, seq: number, flags = 0): Buffer => {
  const b = Buffer.from(datagram);
  for (let off = 0; off + 16 <= b.length; off += (b.readUInt32LE(off) + 3) & ~3) {
    b.writeUInt32LE(seq, off + 8);
    b.writeUInt16LE(b.readUInt16LE(off + 6) | flags, off + 6);
  }
  return b;
};

/** A sock_diag socket whose recv() replays `dumps[n]` for the n-th request sent. */
function replaySocket(dumps: Step[][]): { sock: DiagSocket; sent: number[] } {
  const sent: number[] = [];
  let steps: Step[] = [];
  const ffi: FfiModule = {
    ...realFfi,
    sysSend: (_fd, buf) => {
      sent.push(buf.readUInt32LE(8));
      steps = [...(dumps[sent.length - 1] ?? [])];
      return { value: buf.length, errno: 0 };
    },
    sysRecv: (_fd, buf) => {
      let step = steps.shift();
      while (typeof step === 'function') {
        step();
        step = steps.shift();
      }
      if (!step) return { value: -1, errno: realFfi.errnoValue('EAGAIN') };
      if ('errno' in step) return { value: -1, errno: realFfi.errnoValue(step.errno) };
      if ('stale' in step) {
        step.stale.copy(buf);
        return { value: step.stale.length, errno: 0 };
      }
      const datagram = Buffer.isBuffer(step) ? step : step.datagram;
      const copy = withSeq(datagram, sent.at(-1) ?? 0);
      copy.copy(buf, 0, 0, Math.min(copy.length, buf.length));
      return { value: Buffer.isBuffer(step) ? copy.length : step.reportedLength, errno: 0 };
    },
    sysClose: () => ({ value: 0, errno: 0 }),
  };
  return { sock: new DiagSocket(ffi, -1), sent };
}

const TCP6: DumpRequest = { protocol: 'tcp', family: 'ipv6', stateMask: 0x1ffe };
const tcp6 = fixture('tcp6-0.bin');
const done = fixture('tcp6-1.bin');
const interrupted = withSeq(tcp6, 0, NLM_F_DUMP_INTR);
const signal = () => new AbortController().signal;

/** A visitor that keeps what it is handed, in order. */
function keep(): { visit: SocketVisitor; seen: SocketRecord[] } {
  const seen: SocketRecord[] = [];
  return { visit: (r) => void seen.push(r), seen };
}

describe('dump receive loop, replayed', () => {
  it('retries an interrupted dump once with a fresh request that reads the whole table again', async () => {
    // The retry cannot take back what the first run visited: it reads every socket again,
    // which is why the collector wraps its visitor in visitOnce (next tests).
    const { sock, sent } = replaySocket([[interrupted, done], [tcp6, done]]);
    const { visit, seen } = keep();
    const out = await runDumpConsistent(sock, TCP6, visit, signal());
    expect(sent).toEqual([1, 2]);
    expect(out).toMatchObject({ interrupted: false, warnings: [] });
    expect(seen).toHaveLength(5 + 5);
    expect(seen.slice(5).map((r) => r.cookie)).toEqual(seen.slice(0, 5).map((r) => r.cookie));
  });

  it('reports a dump interrupted twice, each socket still visited once through visitOnce', async () => {
    const { sock } = replaySocket([[interrupted, done], [interrupted, done]]);
    const { visit, seen } = keep();
    const out = await runDumpConsistent(sock, TCP6, visitOnce(visit), signal());
    expect(out.interrupted).toBe(true);
    expect(seen).toHaveLength(5);
  });

  it('hands records to a visitor without keeping them, and a retry through visitOnce adds only what was missed', async () => {
    // The first run is interrupted after its first datagram's records were visited; the retry
    // sends them all again: each socket must still reach the fold exactly once.
    const { sock, sent } = replaySocket([[interrupted, done], [tcp6, done]]);
    const { visit, seen } = keep();
    const out = await runDumpConsistent(sock, TCP6, visitOnce(visit), signal());
    expect(sent).toEqual([1, 2]);
    expect(out).toMatchObject({ interrupted: false, warnings: [] });
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((r) => r.cookie)).size).toBe(5);
  });

  it('visitOnce lets a socket through once by cookie, and records without a cookie every time', () => {
    const got: SocketRecord[] = [];
    const visit = visitOnce((r) => got.push(r));
    const a = { cookie: 7n } as SocketRecord;
    const b = { cookie: 8n } as SocketRecord;
    const anon = {} as SocketRecord;
    for (const r of [a, b, { cookie: 7n } as SocketRecord, anon, anon]) visit(r);
    expect(got).toEqual([a, b, anon, anon]);
  });

  it('skips replies left over from an older request', async () => {
    const { sock } = replaySocket([[{ stale: withSeq(tcp6, 77) }, { stale: withSeq(done, 77) }, tcp6, done]]);
    const { visit, seen } = keep();
    const out = await runDump(sock, TCP6, visit, signal());
    expect(seen).toHaveLength(5);
    expect(out).toMatchObject({ datagrams: 4, warnings: [] });
  });

  it('names a datagram that did not fit the buffer (MSG_TRUNC length) and keeps the whole messages', async () => {
    // What recv() leaves when a 53,904-byte datagram meets the 32 KiB buffer: its first 32,768 bytes.
    const big = Buffer.concat([fixture('tcp4-1.bin'), fixture('tcp4-2.bin')]);
    const { sock } = replaySocket([[{ datagram: big.subarray(0, 32_768), reportedLength: big.length }, fixture('tcp4-3.bin')]]);
    const { visit, seen } = keep();
    const out = await runDump(sock, { ...TCP6, family: 'ipv4' }, visit, signal());
    const cutAt = 32_016 + fixture('tcp4-2.bin').readUInt32LE(0);
    expect(out.warnings).toEqual([
      { code: 'ERR_NETLINK_MALFORMED', message: 'tcp/ipv4 dump: a 53904-byte datagram did not fit the 32768-byte buffer; its tail was lost' },
      { code: 'ERR_NETLINK_MALFORMED', message: `tcp/ipv4 dump: truncated datagram: message at byte ${cutAt} claims ${big.readUInt32LE(cutAt)} bytes, ${32_768 - cutAt} are left` },
    ]);
    expect(seen).toHaveLength(71 + 1);
  });

  it('turns the kernel\'s NLMSG_ERROR into a coded warning', async () => {
    const { sock } = replaySocket([[fixture('error-family99-0.bin')]]);
    const out = await runDump(sock, TCP6, () => {}, signal());
    expect(out.warnings).toEqual([{ code: 'ERR_NETLINK_DUMP', message: 'tcp/ipv6 dump: the kernel answered EINVAL' }]);
    expect(sock.broken).toBe(false);
  });

  it('a recv() error ends the dump with the errno and marks the socket for replacement', async () => {
    const { sock } = replaySocket([[tcp6, { errno: 'ENOBUFS' }]]);
    const { visit, seen } = keep();
    const out = await runDump(sock, TCP6, visit, signal());
    expect(out.warnings).toEqual([{ code: 'ERR_NETLINK_RECV', message: 'tcp/ipv6 dump: recv() failed with ENOBUFS' }]);
    expect(seen).toHaveLength(5);
    expect(sock.broken).toBe(true);
  });

  it('gives up on a kernel that stops answering, without blocking the event loop', async () => {
    const { sock } = replaySocket([[tcp6]]);
    const out = await runDump(sock, TCP6, () => {}, signal(), { idleTimeoutMs: 30 });
    expect(out.warnings).toEqual([{ code: 'ERR_NETLINK_RECV', message: 'tcp/ipv6 dump: no reply for 30 ms, the dump was abandoned' }]);
    expect(sock.broken).toBe(true);
  });

  it('stops at an abort mid-dump, rejecting with the reason and marking the socket', async () => {
    const ac = new AbortController();
    const { sock } = replaySocket([[tcp6, () => ac.abort(new Error('timed out')), tcp6, done]]);
    await expect(runDump(sock, TCP6, () => {}, ac.signal, { sliceMs: 0 })).rejects.toThrow('timed out');
    expect(sock.broken).toBe(true);
  });
});

describe('visitOnce', () => {
  it('tells sockets apart by the whole cookie, on both sides of 2^53 (number keys below, bigint keys above)', () => {
    const seen: bigint[] = [];
    const once = visitOnce((r) => seen.push(r.cookie as bigint));
    const at = (cookie: bigint | undefined): SocketRecord => ({ protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '127.0.0.1', port: 1 }, remote: { address: '127.0.0.1', port: 2 }, inode: 0, uid: 0, recvQueue: 0, sendQueue: 0, ...(cookie === undefined ? {} : { cookie }) });
    const top = 2n ** 53n;
    const cookies = [5n, top - 1n, top, top + 1n, 2n ** 64n - 1n, (1n << 32n) | 5n];
    for (const c of [...cookies, ...cookies]) once(at(c));
    expect(seen).toEqual(cookies);
    // a record without a cookie (not an inet socket) always passes
    const before = seen.length;
    once(at(undefined));
    once(at(undefined));
    expect(seen.length).toBe(before + 2);
  });
});
