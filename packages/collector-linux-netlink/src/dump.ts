import { TimeSlice, type Family, type Protocol, type SocketVisitor, type Warning } from '@sockscope/core';
import type { DiagSocket } from './diag-socket.js';
import { CookieSet } from './cookie-set.js';
import { netlinkWarning } from './errors.js';
import { parseDumpDatagram } from './parse/dump-datagram.js';
import { encodeDumpRequest, replyType } from './request.js';

/** One dump to run: a protocol, a family and the state mask. */
export interface DumpRequest {
  /** tcp or udp. */
  protocol: Protocol;
  /** ipv4 or ipv6; `both` (TCP only): every TCP socket of either family from one walk of the kernel's tables. */
  family: Family | 'both';
  /** idiag_states bit mask. */
  stateMask: number;
}

/** How a dump went. */
export interface DumpOutcome {
  /** The kernel flagged NLM_F_DUMP_INTR on some reply. */
  interrupted: boolean;
  /** What went wrong, coded `ERR_NETLINK_*`; the records visited before it are still good. */
  warnings: Warning[];
  /** Datagrams received. */
  datagrams: number;
  /** Bytes received. */
  bytes: number;
  /**
   * The dump reached its end (NLMSG_DONE, or the kernel's error answer to the request). False
   * when it was abandoned part-way (send or recv failed, the kernel went silent): the sockets
   * not yet read are missing, so the collection is not a complete picture.
   */
  finished: boolean;
  /** The errno the kernel answered the request with (the dump is then over); 0 when none. */
  errno: number;
}

/** How warnings name a request: `tcp/ipv4`, `udp/ipv6`, `tcp/ipv4+ipv6` (both families). */
export function requestName(req: DumpRequest): string {
  return `${req.protocol}/${req.family === 'both' ? 'ipv4+ipv6' : req.family}`;
}

/** Tuning of the receive loop. */
export interface DumpOptions {
  /** Receive on koffi's worker pool instead of the main thread. */
  asyncRecv?: boolean;
  /** Yield to the event loop after this much synchronous work, ms. */
  sliceMs?: number;
  /** Give up when the kernel sends nothing for this long, ms. */
  idleTimeoutMs?: number;
  /** Inode of the namespace `sock` dumps: every record's `netns`. */
  netns?: number;
}

const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const MAX_MALFORMED_LINES = 5;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one SOCK_DIAG_BY_FAMILY dump on `sock`, handing each record to `visit` as soon as it is
 * parsed. Receives never block (MSG_DONTWAIT) and the loop yields every `sliceMs`, so a
 * 30k-socket dump does not stall the event loop. Kernel and format errors become coded
 * `warnings`; an abort rejects with the signal's reason. Either way, a dump left half-read
 * marks the socket broken.
 */
export async function runDump(sock: DiagSocket, req: DumpRequest, visit: SocketVisitor, signal: AbortSignal, opts: DumpOptions = {}): Promise<DumpOutcome> {
  const { ffi, buffer } = sock;
  const sliceMs = opts.sliceMs ?? 4;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 5000;
  const out: DumpOutcome = { interrupted: false, warnings: [], datagrams: 0, bytes: 0, finished: false, errno: 0 };
  sock.seq = (sock.seq + 1) >>> 0 || 1;
  const seq = sock.seq;
  const what = requestName(req);
  const type = replyType(req.family);
  const sent = ffi.sysSend(sock.fd, encodeDumpRequest(req.protocol, req.family, req.stateMask, seq));
  if (sent.errno) {
    out.warnings.push(netlinkWarning('ERR_NETLINK_SEND', `${what} dump request: send() failed with ${ffi.errnoName(sent.errno)}`));
    return out;
  }
  const EAGAIN = ffi.errnoValue('EAGAIN');
  const EINTR = ffi.errnoValue('EINTR');
  let malformed = 0;
  const slice = new TimeSlice(sliceMs);
  let idleSince = performance.now();
  for (;;) {
    if (signal.aborted) {
      sock.broken = true;
      throw signal.reason;
    }
    const r = opts.asyncRecv
      ? await ffi.sysRecvAsync(sock.fd, buffer, MSG_DONTWAIT | MSG_TRUNC)
      : ffi.sysRecv(sock.fd, buffer, MSG_DONTWAIT | MSG_TRUNC);
    if (r.errno === EAGAIN || r.errno === EINTR) {
      // The kernel builds the next datagram inside recv(), so an empty queue mid-dump is rare.
      if (performance.now() - idleSince > idleTimeoutMs) {
        sock.broken = true;
        out.warnings.push(netlinkWarning('ERR_NETLINK_RECV', `${what} dump: no reply for ${idleTimeoutMs} ms, the dump was abandoned`));
        return out;
      }
      await sleep(1);
      slice.restart();
      continue;
    }
    if (r.errno) {
      sock.broken = true;
      out.warnings.push(netlinkWarning('ERR_NETLINK_RECV', `${what} dump: recv() failed with ${ffi.errnoName(r.errno)}`));
      return out;
    }
    out.datagrams++;
    out.bytes += r.value;
    let length = r.value;
    if (length > buffer.length) {
      out.warnings.push(netlinkWarning('ERR_NETLINK_MALFORMED', `${what} dump: a ${length}-byte datagram did not fit the ${buffer.length}-byte buffer; its tail was lost`));
      length = buffer.length;
    }
    const d = parseDumpDatagram(buffer, length, seq, req.protocol, visit, type, opts.netns);
    if (d.interrupted) out.interrupted = true;
    for (const p of d.problems) {
      // A damaged dump could report every message: keep the first few, count the rest.
      if (++malformed <= MAX_MALFORMED_LINES) out.warnings.push(netlinkWarning('ERR_NETLINK_MALFORMED', `${what} dump: ${p}`));
    }
    if (d.done) {
      if (malformed > MAX_MALFORMED_LINES) out.warnings.push(netlinkWarning('ERR_NETLINK_MALFORMED', `${what} dump: ${malformed - MAX_MALFORMED_LINES} more malformed parts`));
      if (d.errno) out.warnings.push(netlinkWarning('ERR_NETLINK_DUMP', `${what} dump: the kernel answered ${ffi.errnoName(d.errno)}`));
      out.errno = d.errno;
      out.finished = true;
      return out;
    }
    idleSince = performance.now();
    if (!opts.asyncRecv && slice.due()) await slice.next();
  }
}

/**
 * Runs a dump and, when the kernel flagged it NLM_F_DUMP_INTR (records may be missing or
 * doubled), once more from scratch. `interrupted` in the outcome means both runs were.
 *
 * The records the first run visited cannot be taken back, and the retry reads the whole table
 * again: pass a visitor wrapped in {@link visitOnce}, so that the retry skips the sockets
 * already visited and only adds what the first run missed.
 */
export async function runDumpConsistent(sock: DiagSocket, req: DumpRequest, visit: SocketVisitor, signal: AbortSignal, opts: DumpOptions = {}): Promise<DumpOutcome> {
  const first = await runDump(sock, req, visit, signal, opts);
  if (!first.interrupted || sock.broken) return first;
  return runDump(sock, req, visit, signal, opts);
}

/**
 * Wraps a visitor so that each socket reaches it at most once however often the kernel
 * repeats it (an interrupted dump, its retry): sockets are told apart by cookie, the one
 * identity the kernel gives every inet socket. Records without a cookie pass through.
 */
export function visitOnce(visit: SocketVisitor, seen: CookieSet = new CookieSet()): SocketVisitor {
  return (r) => {
    const c = r.cookie;
    if (c !== undefined && !seen.add(c)) return;
    visit(r);
  };
}
