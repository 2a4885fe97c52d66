import type { XtcpcbLayout } from './layouts.js';
import { XINPCB } from './layouts.js';
import { cString, u64big } from './bytes.js';
import { parseXinpcb, type InpcbFacts } from './xinpcb.js';

/** TCP timers left in a record, milliseconds until each fires (0 = not armed). */
export interface TcpTimers {
  /** Retransmit timer. */
  rexmt: number;
  /** Persist (zero-window probe) timer. */
  persist: number;
  /** Keepalive timer. */
  keep: number;
  /** 2MSL (TIME_WAIT) timer. */
  twoMsl: number;
  /** Delayed-ACK timer. */
  delack: number;
}

/** One decoded struct xtcpcb. */
export interface XtcpcbRecord {
  /** The embedded xinpcb. */
  inp: InpcbFacts;
  /** A syncache entry (embryonic connection): xi_len is 0 and there is no socket. */
  syncache: boolean;
  /** TCPS_* state number. */
  state: number;
  /** TCP stack name (freebsd, rack, bbr). */
  stack: string;
  /** Congestion control name (cubic, newreno…). */
  cc: string;
  /** t_flags. */
  flags: number;
  /** Zero-window updates sent. */
  sndzerowin: number;
  /** Retransmitted data packets on this connection. */
  sndrexmitpack: number;
  /** Out-of-order packets received. */
  rcvoopack: number;
  /** Milliseconds since the last segment was received. */
  rcvtime: number;
  /** Armed timers. */
  timers: TcpTimers;
  /** Congestion window, bytes. */
  sndCwnd: number;
  /** Slow-start threshold, bytes. */
  sndSsthresh: number;
  /** Maximum segment size, bytes. */
  maxseg: number;
  /** Our receive window, bytes. */
  rcvWnd: number;
  /** Peer's window, bytes. */
  sndWnd: number;
  /** xt_ecn. */
  ecn: number;
  /** TCP-over-UDP encapsulation port (host order), usually 0. */
  encapsPort: number;
  /** DSACK packets received (FreeBSD 14 records only). */
  dsackPack?: number;
  /** DSACK bytes received (FreeBSD 14 records only). */
  dsackBytes?: number;
}

/**
 * Decodes one xtcpcb (a record from parsePcbList) with the layout of the running release.
 * Returns an error for records shorter than the layout needs or with an invalid vflag.
 */
export function parseXtcpcb(buf: Buffer, layout: XtcpcbLayout): XtcpcbRecord | { error: string } {
  if (buf.length < layout.minLength) return { error: `xtcpcb needs ${layout.minLength} bytes, got ${buf.length}` };
  const o = layout.offsets;
  const inp = parseXinpcb(buf, o.inp);
  if ('error' in inp) return inp;
  const i32 = (off: number) => buf.readInt32LE(off);
  const u32 = (off: number) => buf.readUInt32LE(off);
  const record: XtcpcbRecord = {
    inp,
    syncache: u64big(buf, o.inp + XINPCB.len) === 0n,
    state: i32(o.state),
    stack: cString(buf, o.stack, o.stackLen),
    cc: cString(buf, o.cc, o.ccLen),
    flags: u32(o.flags),
    sndzerowin: i32(o.sndzerowin),
    sndrexmitpack: i32(o.sndrexmitpack),
    rcvoopack: i32(o.rcvoopack),
    rcvtime: i32(o.rcvtime),
    timers: { rexmt: i32(o.ttRexmt), persist: i32(o.ttPersist), keep: i32(o.ttKeep), twoMsl: i32(o.tt2msl), delack: i32(o.ttDelack) },
    sndCwnd: u32(o.sndCwnd),
    sndSsthresh: u32(o.sndSsthresh),
    maxseg: u32(o.maxseg),
    rcvWnd: u32(o.rcvWnd),
    sndWnd: u32(o.sndWnd),
    ecn: u32(o.ecn),
    encapsPort: buf.readUInt16BE(layout.encapsPort),
  };
  if (layout.dsackPack !== undefined) record.dsackPack = u32(layout.dsackPack);
  if (layout.dsackBytes !== undefined) record.dsackBytes = u32(layout.dsackBytes);
  return record;
}
