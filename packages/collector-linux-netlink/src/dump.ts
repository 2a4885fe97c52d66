import { TimeSlice, type Family, type Protocol, type SocketRecord, type SocketVisitor } from '@sockscope/core';
import type { DiagSocket } from './diag-socket.js';
import { problemLine } from './errors.js';
import { parseDumpDatagram } from './parse/dump-datagram.js';
import { encodeDumpRequest } from './request.js';

/** One dump to run: a protocol, a family and the state mask. */
export interface DumpRequest {
  /** tcp or udp. */
  protocol: Protocol;
  /** ipv4 or ipv6. */
  family: Family;
  /** idiag_states bit mask. */
  stateMask: number;
}

/** How a dump went. */
export interface DumpOutcome {
  /** The kernel flagged NLM_F_DUMP_INTR on some reply. */
  interrupted: boolean;
  /** Warning lines (coded). */
  problems: string[];
  /** Datagrams received. */
  datagrams: number;
  /** Bytes received. */
  bytes: number;
}

/** Tuning of the receive loop. */
export interface DumpOptions {
  /** Receive on koffi's worker pool instead of the main thread. */
  asyncRecv?: boolean;
  /** Yield to the event loop after this much synchronous work, ms. */
  sliceMs?: number;
  /** Give up when the kernel sends nothing for this long, ms. */
  idleTimeoutMs?: number;
}

const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const MAX_MALFORMED_LINES = 5;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one SOCK_DIAG_BY_FAMILY dump on `sock`, appending records to `into` (or handing each
 * to `into` when it is a visitor). Receives never
 * block (MSG_DONTWAIT) and the loop yields every `sliceMs`, so a 30k-socket dump does not stall
 * the event loop. Kernel and format errors become `problems`; an abort rejects with the
 * signal's reason. Either way, a dump left half-read marks the socket broken.
 */
export async function runDump(sock: DiagSocket, req: DumpRequest, into: SocketRecord[] | SocketVisitor, signal: AbortSignal, opts: DumpOptions = {}): Promise<DumpOutcome> {
  const { ffi, buffer } = sock;
  const sliceMs = opts.sliceMs ?? 4;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 5000;
  const out: DumpOutcome = { interrupted: false, problems: [], datagrams: 0, bytes: 0 };
  sock.seq = (sock.seq + 1) >>> 0 || 1;
  const seq = sock.seq;
  const what = `${req.protocol}/${req.family}`;
  const sent = ffi.sysSend(sock.fd, encodeDumpRequest(req.protocol, req.family, req.stateMask, seq));
  if (sent.errno) {
    out.problems.push(problemLine('ERR_NETLINK_SEND', `${what} dump request: send() failed with ${ffi.errnoName(sent.errno)}`));
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
        out.problems.push(problemLine('ERR_NETLINK_RECV', `${what} dump: no reply for ${idleTimeoutMs} ms, the dump was abandoned`));
        return out;
      }
      await sleep(1);
      slice.restart();
      continue;
    }
    if (r.errno) {
      sock.broken = true;
      out.problems.push(problemLine('ERR_NETLINK_RECV', `${what} dump: recv() failed with ${ffi.errnoName(r.errno)}`));
      return out;
    }
    out.datagrams++;
    out.bytes += r.value;
    let length = r.value;
    if (length > buffer.length) {
      out.problems.push(problemLine('ERR_NETLINK_MALFORMED', `${what} dump: a ${length}-byte datagram did not fit the ${buffer.length}-byte buffer; its tail was lost`));
      length = buffer.length;
    }
    const d = parseDumpDatagram(buffer, length, seq, req.protocol, into);
    if (d.interrupted) out.interrupted = true;
    for (const p of d.problems) {
      // A damaged dump could report every message: keep the first few, count the rest.
      if (++malformed <= MAX_MALFORMED_LINES) out.problems.push(problemLine('ERR_NETLINK_MALFORMED', `${what} dump: ${p}`));
    }
    if (d.done) {
      if (malformed > MAX_MALFORMED_LINES) out.problems.push(problemLine('ERR_NETLINK_MALFORMED', `${what} dump: ${malformed - MAX_MALFORMED_LINES} more malformed parts`));
      if (d.errno) out.problems.push(problemLine('ERR_NETLINK_DUMP', `${what} dump: the kernel answered ${ffi.errnoName(d.errno)}`));
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
 * With an array the first run's records are dropped before the second. A visitor cannot take
 * records back: wrap it in {@link visitOnce}, so that the second run skips the sockets already
 * visited and only adds what the first one missed.
 */
export async function runDumpConsistent(sock: DiagSocket, req: DumpRequest, into: SocketRecord[] | SocketVisitor, signal: AbortSignal, opts: DumpOptions = {}): Promise<DumpOutcome> {
  const start = Array.isArray(into) ? into.length : 0;
  const first = await runDump(sock, req, into, signal, opts);
  if (!first.interrupted || sock.broken) return first;
  if (Array.isArray(into)) into.length = start;
  return runDump(sock, req, into, signal, opts);
}

/**
 * Wraps a visitor so that each socket reaches it at most once however often the kernel
 * repeats it (an interrupted dump, its retry): sockets are told apart by cookie, the one
 * identity the kernel gives every inet socket. Records without a cookie pass through.
 */
export function visitOnce(visit: SocketVisitor): SocketVisitor {
  const seen = new Set<bigint>();
  return (r) => {
    const c = r.cookie;
    if (c !== undefined) {
      if (seen.has(c)) return;
      seen.add(c);
    }
    visit(r);
  };
}
