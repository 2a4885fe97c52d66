import type { PluginContext, SocketRecord, Warning } from '@sockscope/core';
import { DiagSocket, openDiagSocket, type FfiModule } from '../diag-socket.js';
import { netlinkWarning, type NetlinkErrorCode } from '../errors.js';
import type { DestroyReaderHandle } from '../ffi/destroy-reader.js';
import { resolveNamespaces, type NamespaceSelection, type NamespaceTarget } from '../namespaces.js';
import { parseDestroyDatagram } from './parse.js';

/** enum sknetlink_groups in linux/sock_diag.h: SKNLGRP_INET_TCP_DESTROY … SKNLGRP_INET6_UDP_DESTROY. */
export const SKNLGRP_DESTROY_GROUPS = { INET_TCP: 1, INET_UDP: 2, INET6_TCP: 3, INET6_UDP: 4 } as const;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const MAX_PROBLEM_LINES = 5;

/** Options of {@link createDestroyEventSource}; every one has a default. */
export interface DestroyEventOptions {
  /** Namespaces to listen in, resolved once at creation (`own`, `all`, or /run/netns names). Default `own`. */
  namespaces?: NamespaceSelection;
  /** Namespaces already resolved (the collector's read set); when given, `namespaces` is not consulted. */
  targets?: readonly NamespaceTarget[];
  /**
   * Receive buffer per socket, in bytes as the kernel reports it (SO_RCVBUF's getsockopt value,
   * twice what is asked). SO_RCVBUFFORCE when permitted (CAP_NET_ADMIN), else SO_RCVBUF, which
   * net.core.rmem_max caps. Default 8 MiB (about 9,000 events of ~900 bytes of kernel memory each).
   */
  rcvbuf?: number;
  /** Records kept between two drain() calls; beyond, new ones are dropped and counted. Default 50,000. */
  maxBuffered?: number;
  /**
   * Who reads the sockets. `main`: the main thread, with non-blocking recv() every `intervalMs`.
   * `worker`: a worker thread waits in poll() and recv()s, the main thread parses. `auto`
   * (default): `main` when the kernel granted every socket a receive buffer of at least
   * {@link MAIN_READER_MIN_RCVBUF} (seconds of events, enough to wait out any pause of the main
   * thread), `worker` when it did not (SO_RCVBUF capped by net.core.rmem_max, without CAP_NET_ADMIN):
   * a worker thread costs about 9 MiB of RSS.
   */
  reader?: 'auto' | 'worker' | 'main';
  /** Period of the `main` reader, ms. Default 20. */
  intervalMs?: number;
  /** Longest the worker holds a read event to batch it with others, ms. Default 5. */
  flushMs?: number;
  /** Batches (of up to 256 KiB) the worker lets wait for the main thread; beyond, it drops and counts. Default 64. */
  maxInflightBatches?: number;
}

/**
 * The smallest receive buffer (as the kernel reports it) with which `reader: 'auto'` reads on the
 * main thread: 4 MiB, about 4,600 events of ~900 bytes, 1.1 s of 2,000 connections closed a second
 * (both ends); the default 8 MiB twice that. Measured (scripts/measure-destroy.sh, stall mode): the
 * main thread busy 200 ms a second lost no event with it.
 */
export const MAIN_READER_MIN_RCVBUF = 4 * 1024 * 1024;

/** One subscribed socket. */
export interface DestroySocketInfo {
  /** Namespace inode. */
  netns: number;
  /** Its /run/netns name, when it has one. */
  netnsName?: string;
  /** Receive buffer the kernel granted, bytes (getsockopt SO_RCVBUF). */
  rcvbuf: number;
  /** SO_RCVBUFFORCE was permitted (net.core.rmem_max did not apply). */
  forced: boolean;
}

/** Counters since creation. */
export interface DestroyEventStats {
  /** Records parsed on the main thread (kept, or dropped over `maxBuffered`). */
  received: number;
  /** Events dropped by this source's bounds: by the worker (in-flight batches; never parsed) and over `maxBuffered`. */
  dropped: number;
  /** recv() calls that returned ENOBUFS: the kernel dropped events it could not queue. */
  enobufs: number;
  /** Malformed datagrams or messages. */
  malformed: number;
  /** Records waiting for drain(). */
  buffered: number;
  /** The subscribed sockets and their receive buffers. */
  sockets: DestroySocketInfo[];
  /** Who reads the sockets, once started (see {@link DestroyEventOptions.reader}). */
  reader?: 'main' | 'worker';
}

/** What drain() hands over. */
export interface DestroyDrain {
  /** Sockets destroyed since the last drain, oldest first, each with `closedAt` and its final tcp_info. */
  records: SocketRecord[];
  /** What went wrong since the last drain (lost, dropped, malformed events; failed sockets). */
  warnings: Warning[];
}

/** A source of socket-destroy events (what `ss -E` prints), one subscribed socket per namespace. */
export interface DestroyEventSource {
  /** Starts reading; a second call does nothing. */
  start(): void;
  /** Takes the records closed since the last drain, and the warnings. */
  drain(): DestroyDrain;
  /** Counters since creation. */
  stats(): DestroyEventStats;
  /** Stops the reader and closes every socket; safe to call twice. */
  close(): Promise<void>;
}

interface Subscribed {
  ns: NamespaceTarget;
  sock: DiagSocket;
  info: DestroySocketInfo;
  live: boolean;
}

async function loadFfi(): Promise<FfiModule> {
  return import('../ffi/index.js');
}

/**
 * Opens a sock_diag socket in `ns` (setns on the main thread, as the dump does), joins the four
 * destroy groups and sizes its receive buffer.
 */
function subscribe(ffi: FfiModule, ns: NamespaceTarget, rcvbuf: number): Subscribed | { step: string; errnoName: string } {
  const sock = openDiagSocket(ffi, ns.path);
  if (!(sock instanceof DiagSocket)) return sock;
  for (const [name, group] of Object.entries(SKNLGRP_DESTROY_GROUPS)) {
    const r = ffi.sysSetsockoptInt(sock.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
    if (r.errno) {
      sock.close();
      return { step: `NETLINK_ADD_MEMBERSHIP SKNLGRP_${name}_DESTROY`, errnoName: ffi.errnoName(r.errno) };
    }
  }
  // The kernel doubles what it is given (for its bookkeeping) and reports the doubled value.
  const ask = Math.max(1, Math.floor(rcvbuf / 2));
  const forced = ffi.sysSetsockoptInt(sock.fd, SOL_SOCKET, SO_RCVBUFFORCE, ask).errno === 0;
  if (!forced) ffi.sysSetsockoptInt(sock.fd, SOL_SOCKET, SO_RCVBUF, ask);
  const got = ffi.sysGetsockoptInt(sock.fd, SOL_SOCKET, SO_RCVBUF);
  const info: DestroySocketInfo = { netns: ns.inode, rcvbuf: got.errno ? 0 : got.value, forced };
  if (ns.name) info.netnsName = ns.name;
  return { ns, sock, info, live: true };
}

/**
 * Creates a destroy-event source: for each namespace of `options.namespaces`, a NETLINK_SOCK_DIAG
 * socket subscribed to SKNLGRP_INET{,6}_{TCP,UDP}_DESTROY. Nothing is read before start().
 * Never throws for a refused subscription or namespace: it reports once through
 * `ctx.reportOnce` and in the first drain's warnings, and listens where it can (possibly nowhere).
 */
export async function createDestroyEventSource(
  options: DestroyEventOptions,
  ctx: Pick<PluginContext<unknown>, 'platform' | 'reportOnce'>,
  loadFfiModule: () => Promise<FfiModule> = loadFfi,
): Promise<DestroyEventSource> {
  const rcvbuf = options.rcvbuf ?? 8 * 1024 * 1024;
  const maxBuffered = options.maxBuffered ?? 50_000;
  const pending: Warning[] = [];
  const subs: Subscribed[] = [];
  const say = (code: NetlinkErrorCode, message: string, once?: string): void => {
    pending.push(netlinkWarning(code, message));
    if (once) ctx.reportOnce(once, message);
  };
  let ffi: FfiModule | undefined;
  if (ctx.platform !== 'linux') say('ERR_NETLINK_EVENTS_SUBSCRIBE', `linux-netlink: destroy events need Linux, this is ${ctx.platform}`, 'destroy-events:platform');
  else {
    try {
      ffi = await loadFfiModule();
    } catch (err) {
      say('ERR_NETLINK_EVENTS_SUBSCRIBE', `linux-netlink: destroy events are off: koffi could not be loaded (${err instanceof Error ? err.message : String(err)})`, 'destroy-events:koffi');
    }
  }
  if (ffi) {
    const { targets, missing } = options.targets ? { targets: options.targets, missing: [] } : resolveNamespaces(options.namespaces ?? 'own');
    for (const name of missing) say('ERR_NETLINK_NAMESPACE', `destroy events: namespace ${name} not found under /run/netns (create it with ip netns add, or fix the name)`);
    let deniedNs = false;
    let deniedGroups = false;
    for (const ns of targets) {
      const label = ns.name ?? ns.path ?? 'own';
      const s = subscribe(ffi, ns, rcvbuf);
      if ('sock' in s) {
        subs.push(s);
        if (s.info.rcvbuf < rcvbuf && !s.info.forced) {
          ctx.reportOnce(
            'destroy-events:rcvbuf',
            `linux-netlink: destroy-event receive buffer is ${s.info.rcvbuf} bytes, not the ${rcvbuf} asked: SO_RCVBUFFORCE needs CAP_NET_ADMIN ` +
              'and SO_RCVBUF is capped by net.core.rmem_max; under churn the kernel may drop events (counted as ENOBUFS).',
          );
        }
      } else if (s.errnoName === 'EPERM' && s.step.startsWith('NETLINK_ADD_MEMBERSHIP')) {
        if (!deniedGroups) {
          deniedGroups = true;
          say('ERR_NETLINK_EVENTS_SUBSCRIBE', `linux-netlink: the kernel refused the destroy-event subscription in namespace ${label} (${s.step}: EPERM); grant CAP_NET_ADMIN. Closed sockets are seen only by polling.`, 'destroy-events:capability');
        }
      } else if (s.errnoName === 'EPERM') {
        if (!deniedNs) {
          deniedNs = true;
          say('ERR_NETLINK_NAMESPACE', `linux-netlink: destroy events: cannot enter network namespace ${label} (${s.step}: EPERM); grant CAP_SYS_ADMIN to listen in other namespaces.`, 'destroy-events:netns-permission');
        }
      } else if (s.errnoName !== 'ENOENT' || ns.name) {
        say('ERR_NETLINK_NAMESPACE', `destroy events: namespace ${label}: ${s.step} failed with ${s.errnoName}`);
      }
    }
  }

  let records: SocketRecord[] = [];
  let received = 0;
  let droppedHere = 0;
  let malformed = 0;
  let problemLines = 0;
  // The main-thread reader's counters (the worker keeps its own).
  const mainCounters = { datagrams: 0, dropped: 0, enobufs: 0, truncated: 0 };
  let reader: DestroyReaderHandle | undefined;
  let readerKind: 'main' | 'worker' | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let closed = false;
  let seen = { dropped: 0, enobufs: 0, truncated: 0 };

  const counters = () => reader?.counters() ?? mainCounters;

  function ingest(index: number, readAt: number, buf: Buffer, length: number): void {
    const sub = subs[index];
    if (!sub) return;
    const out = parseDestroyDatagram(buf, length, readAt, (r) => {
      received++;
      if (records.length >= maxBuffered) {
        droppedHere++;
        return;
      }
      r.netns = sub.ns.inode;
      if (sub.ns.name) r.netnsName = sub.ns.name;
      records.push(r);
    });
    if (out.problems.length > 0) {
      malformed++;
      for (const p of out.problems) if (++problemLines <= MAX_PROBLEM_LINES) pending.push(netlinkWarning('ERR_NETLINK_MALFORMED', `destroy event: ${p}`));
    }
  }

  function socketFailed(index: number, step: string, errnoName: string): void {
    const sub = subs[index];
    if (!sub) {
      // poll() itself (index -1): the reader has stopped.
      pending.push(netlinkWarning('ERR_NETLINK_RECV', `destroy events: ${step}() failed with ${errnoName}; no more events are read`));
      return;
    }
    sub.live = false;
    pending.push(netlinkWarning('ERR_NETLINK_RECV', `destroy events (namespace ${sub.ns.name ?? sub.ns.inode}): ${step}() failed with ${errnoName}; that socket is no longer read`));
  }

  function readOnMain(f: FfiModule): void {
    const EAGAIN = f.errnoValue('EAGAIN');
    const EINTR = f.errnoValue('EINTR');
    const ENOBUFS = f.errnoValue('ENOBUFS');
    const until = performance.now() + 5;
    subs.forEach((sub, i) => {
      while (sub.live && performance.now() < until) {
        const r = f.sysRecv(sub.sock.fd, sub.sock.buffer, MSG_DONTWAIT | MSG_TRUNC);
        if (r.errno === ENOBUFS) mainCounters.enobufs++;
        else if (r.errno === EAGAIN || r.errno === EINTR) return;
        else if (r.errno) return socketFailed(i, 'recv', f.errnoName(r.errno));
        else {
          mainCounters.datagrams++;
          if (r.value > sub.sock.buffer.length) mainCounters.truncated++;
          ingest(i, Date.now(), sub.sock.buffer, Math.min(r.value, sub.sock.buffer.length));
        }
      }
    });
  }

  return {
    start() {
      if (started || closed || !ffi || subs.length === 0) return;
      started = true;
      readerKind = options.reader === 'main' || options.reader === 'worker' ? options.reader : subs.every((s) => s.info.rcvbuf >= MAIN_READER_MIN_RCVBUF) ? 'main' : 'worker';
      if (readerKind === 'main') {
        const f = ffi;
        timer = setInterval(() => readOnMain(f), options.intervalMs ?? 20);
        timer.unref();
        return;
      }
      // Loaded with the ffi layer: the only module that starts a thread importing koffi.
      reader = ffi.startDestroyReader({
        fds: subs.map((s) => s.sock.fd),
        maxInflight: options.maxInflightBatches ?? 64,
        batchBytes: 256 * 1024,
        datagramBytes: subs[0]?.sock.buffer.length ?? 32 * 1024,
        pollMs: 100,
        flushMs: options.flushMs ?? 5,
        onBatch(batch) {
          let at = 0;
          while (at + 16 <= batch.length) {
            const index = batch.readUInt32LE(at);
            const len = batch.readUInt32LE(at + 4);
            const readAt = batch.readDoubleLE(at + 8);
            ingest(index, readAt, batch.subarray(at + 16, at + 16 + len), len);
            at += 16 + ((len + 7) & ~7);
          }
        },
        onError: (index, step, errnoName) => socketFailed(index, step, errnoName),
        onFailure(err) {
          pending.push(netlinkWarning('ERR_NETLINK_EVENTS_READER', `destroy events: the reader thread failed (${err.message}); no more events are read`));
        },
      });
    },
    drain() {
      const c = counters();
      const warnings = pending.splice(0);
      const enobufs = c.enobufs - seen.enobufs;
      if (enobufs > 0) {
        const sizes = [...new Set(subs.map((s) => s.info.rcvbuf))].join('/');
        warnings.push(netlinkWarning('ERR_NETLINK_EVENTS_LOST', `the kernel dropped destroy events (recv() returned ENOBUFS ${enobufs} times since the last drain); the receive buffer is ${sizes} bytes: raise rcvbuf (and net.core.rmem_max, or grant CAP_NET_ADMIN)`));
      }
      const dropped = c.dropped + droppedHere - seen.dropped;
      if (dropped > 0) warnings.push(netlinkWarning('ERR_NETLINK_EVENTS_DROPPED', `${dropped} destroy events dropped since the last drain: more than maxBuffered (${maxBuffered}) records waited, or the main thread fell behind the reader; drain more often or raise maxBuffered`));
      const truncated = c.truncated - seen.truncated;
      if (truncated > 0) warnings.push(netlinkWarning('ERR_NETLINK_MALFORMED', `${truncated} destroy-event datagrams were larger than the receive buffer; their tails were lost`));
      if (problemLines > MAX_PROBLEM_LINES) warnings.push(netlinkWarning('ERR_NETLINK_MALFORMED', `${problemLines - MAX_PROBLEM_LINES} more malformed destroy-event parts`));
      problemLines = 0;
      seen = { dropped: c.dropped + droppedHere, enobufs: c.enobufs, truncated: c.truncated };
      const out = records;
      records = [];
      return { records: out, warnings };
    },
    stats() {
      const c = counters();
      const out: DestroyEventStats = { received, dropped: c.dropped + droppedHere, enobufs: c.enobufs, malformed, buffered: records.length, sockets: subs.map((s) => ({ ...s.info })) };
      if (readerKind) out.reader = readerKind;
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      // The worker must be gone before the fds close, or a reused fd number could be read.
      await reader?.stop();
      for (const s of subs) s.sock.close();
    },
  };
}
