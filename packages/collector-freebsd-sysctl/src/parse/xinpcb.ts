import type { Endpoint, Family } from '@sockscope/core';
import { XINPCB } from './layouts.js';
import { ipv4At, ipv6At, u64big } from './bytes.js';

/** inp_vflag bits (netinet/in_pcb.h). */
export const INP_IPV4 = 0x1;
/** inp_vflag: the pcb speaks IPv6. */
export const INP_IPV6 = 0x2;
/** inp_flags: IPV6_V6ONLY set on the socket. */
export const IN6P_IPV6_V6ONLY = 0x8000;
/** so_options: the socket is listening. */
export const SO_ACCEPTCONN = 0x2;

/** What the inpcb part of a pcblist record says about a socket. */
export interface InpcbFacts {
  /** Address family, from inp_vflag. */
  family: Family;
  /** Both INP_IPV4 and INP_IPV6: an AF_INET6 wildcard socket without V6ONLY (netstat's "46"). */
  dualStack: boolean;
  /** Local address and port. */
  local: Endpoint;
  /** Foreign address and port. */
  remote: Endpoint;
  /** Raw inp_vflag. */
  vflag: number;
  /** Raw inp_flags. */
  inpFlags: number;
  /** IPV6_V6ONLY on an IPv6 socket. */
  v6only: boolean;
  /** Kernel address of the struct socket (0 when none): the join key with kern.file xf_data. */
  so: bigint;
  /** uid of the socket's credential. */
  uid: number;
  /** xso_protocol. */
  protocol: number;
  /** so_options. */
  soOptions: number;
  /** Listening socket (SO_ACCEPTCONN). */
  listening: boolean;
  /** Completed connections waiting in the accept queue (listeners). */
  qlen: number;
  /** Accept backlog limit (listeners). */
  qlimit: number;
  /** Bytes queued in the receive buffer. */
  rcvCc: number;
  /** Bytes queued in the send buffer. */
  sndCc: number;
  /** inp_gencnt. */
  gencnt: bigint;
}

/**
 * Decodes the xinpcb found at `base` (0 for UDP records, 8 inside xtcpcb). Classifies by
 * inp_vflag as netstat does; a dual-stack wildcard socket is reported as IPv6 `::` with
 * v6only false, the way Linux shows the same socket. Returns an error for too-short input
 * or a vflag with neither family bit. Never throws.
 */
export function parseXinpcb(buf: Buffer, base = 0): InpcbFacts | { error: string } {
  if (buf.length < base + XINPCB.minLength) return { error: `xinpcb needs ${XINPCB.minLength} bytes, got ${Math.max(0, buf.length - base)}` };
  const at = (off: number) => base + off;
  const vflag = buf[at(XINPCB.vflag)] ?? 0;
  const v4 = (vflag & INP_IPV4) !== 0;
  const v6 = (vflag & INP_IPV6) !== 0;
  if (!v4 && !v6) return { error: `invalid inp_vflag 0x${vflag.toString(16)} (neither IPv4 nor IPv6)` };
  const dualStack = v4 && v6;
  const family: Family = v4 && !dualStack ? 'ipv4' : 'ipv6';
  const addr = (off: number) => (family === 'ipv4' ? ipv4At(buf, at(off) + 12) : ipv6At(buf, at(off)));
  const inpFlags = buf.readInt32LE(at(XINPCB.inpFlags));
  const soOptions = buf.readUInt16LE(at(XINPCB.soOptions));
  return {
    family,
    dualStack,
    local: { address: addr(XINPCB.laddr), port: buf.readUInt16BE(at(XINPCB.lport)) },
    remote: { address: addr(XINPCB.faddr), port: buf.readUInt16BE(at(XINPCB.fport)) },
    vflag,
    inpFlags,
    v6only: family === 'ipv6' && !dualStack && (inpFlags & IN6P_IPV6_V6ONLY) !== 0,
    so: u64big(buf, at(XINPCB.xsoSo)),
    uid: buf.readUInt32LE(at(XINPCB.uid)),
    protocol: buf.readInt32LE(at(XINPCB.protocol)),
    soOptions,
    listening: (soOptions & SO_ACCEPTCONN) !== 0,
    qlen: buf.readUInt32LE(at(XINPCB.qlen)),
    qlimit: buf.readUInt32LE(at(XINPCB.qlimit)),
    rcvCc: buf.readUInt32LE(at(XINPCB.rcvCc)),
    sndCc: buf.readUInt32LE(at(XINPCB.sndCc)),
    gencnt: u64big(buf, at(XINPCB.gencnt)),
  };
}
