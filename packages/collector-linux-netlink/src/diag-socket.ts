import { NetlinkCollectorError } from './errors.js';
import type * as Ffi from './ffi/index.js';
import { AF_NETLINK, NETLINK_SOCK_DIAG } from './parse/constants.js';

/** The unsafe layer, imported lazily (see ffi/index.ts). */
export type FfiModule = typeof Ffi;

/** Why a netlink socket could not be opened: the failing step and its errno. */
export interface OpenFailure {
  /** What was being done (`socket()`, `setns into /run/netns/x`…). */
  step: string;
  /** errno value. */
  errno: number;
  /** errno name (`EPERM`). */
  errnoName: string;
}

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const CLONE_NEWNET = 0x40000000;
/** Receive buffer per socket: the kernel fills sock_diag datagrams up to ~32 KiB. */
export const RECV_BUFFER_BYTES = 32 * 1024;

/** An open NETLINK_SOCK_DIAG socket bound to one network namespace, reused across dumps. */
export class DiagSocket {
  /** Sequence number of the last request sent. */
  seq = 0;
  /** Receive buffer, reused by every dump on this socket. */
  readonly buffer = Buffer.allocUnsafe(RECV_BUFFER_BYTES);
  /** Set when a dump ended half-way: unread replies may follow, so the socket must be replaced. */
  broken = false;
  private closed = false;

  constructor(
    readonly ffi: FfiModule,
    /** File descriptor of the socket. */
    readonly fd: number,
  ) {}

  /** Closes the socket; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ffi.sysClose(this.fd);
  }
}

function failure(ffi: FfiModule, step: string, errno: number): OpenFailure {
  return { step, errno, errnoName: ffi.errnoName(errno) };
}

function socketHere(ffi: FfiModule): DiagSocket | OpenFailure {
  const r = ffi.sysSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (r.errno) return failure(ffi, 'socket(AF_NETLINK, NETLINK_SOCK_DIAG)', r.errno);
  // Binding to port id 0 lets the kernel pick one now rather than on the first send, so a
  // refusal shows at create() and the socket is listed in /proc/net/netlink from the start.
  const addr = Buffer.alloc(12);
  addr.writeUInt16LE(AF_NETLINK, 0);
  const b = ffi.sysBind(r.value, addr);
  if (b.errno) {
    ffi.sysClose(r.value);
    return failure(ffi, 'bind(AF_NETLINK)', b.errno);
  }
  return new DiagSocket(ffi, r.value);
}

/**
 * Opens a sock_diag socket in the network namespace at `nsPath` (own namespace when absent).
 * A socket stays in the namespace it was created in, so the main thread enters the target
 * namespace, creates the socket and returns, all synchronously: nothing else runs meanwhile.
 * Throws only when it cannot get back home (ERR_NETLINK_NAMESPACE_RETURN), since every later
 * socket would then be wrong.
 */
export function openDiagSocket(ffi: FfiModule, nsPath?: string): DiagSocket | OpenFailure {
  if (nsPath === undefined) return socketHere(ffi);
  const target = ffi.sysOpenReadOnly(nsPath);
  if (target.errno) return failure(ffi, `open ${nsPath}`, target.errno);
  // thread-self: setns moves only the calling thread, so remember that thread's namespace.
  const home = ffi.sysOpenReadOnly('/proc/thread-self/ns/net');
  if (home.errno) {
    ffi.sysClose(target.value);
    return failure(ffi, 'open /proc/thread-self/ns/net', home.errno);
  }
  try {
    const entered = ffi.sysSetns(target.value, CLONE_NEWNET);
    if (entered.errno) return failure(ffi, `setns into ${nsPath}`, entered.errno);
    const sock = socketHere(ffi);
    const back = ffi.sysSetns(home.value, CLONE_NEWNET);
    if (back.errno) {
      if (sock instanceof DiagSocket) sock.close();
      throw new NetlinkCollectorError('ERR_NETLINK_NAMESPACE_RETURN', `setns back to the agent's own network namespace failed with ${ffi.errnoName(back.errno)}`);
    }
    return sock;
  } finally {
    ffi.sysClose(target.value);
    ffi.sysClose(home.value);
  }
}
