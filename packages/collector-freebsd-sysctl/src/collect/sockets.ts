import type { SocketRecord, SocketTimer, TcpInfo } from '@sockscope/core';
import type { InpcbFacts } from '../parse/xinpcb.js';
import type { XtcpcbRecord } from '../parse/xtcpcb.js';
import { freebsdTcpStateName } from '../parse/tcp-states.js';

/** A socket record with the kernel socket address it came from (the kern.file join key). */
export interface KeyedSocket {
  /** The record handed to the pipeline. */
  record: SocketRecord;
  /** xso_so; 0 when the pcb has no socket (syncache, TIME_WAIT after close). */
  so: bigint;
}

const TCPS_LISTEN = 1;
const TCPS_TIME_WAIT = 10;
/** TCP_MAXWIN << TCP_MAX_WINSHIFT: FreeBSD's initial ("infinite") ssthresh. */
const SSTHRESH_INFINITE_BYTES = 65535 * 2 ** 14;
/** Linux's tcpi_snd_ssthresh value for "infinite", which TcpInfo documents. */
const LINUX_INFINITE_SSTHRESH = 0x7fffffff;

function base(inp: InpcbFacts, protocol: 'tcp' | 'udp', state: SocketRecord['state'], listening: boolean): SocketRecord {
  const record: SocketRecord = {
    protocol,
    family: inp.family,
    state,
    local: inp.local,
    remote: inp.remote,
    inode: 0, // FreeBSD sockets have no inode number.
    uid: inp.uid,
    // Listeners keep the accept queue in so_qlen/so_qlimit; their socket buffers are empty.
    recvQueue: listening ? inp.qlen : inp.rcvCc,
    sendQueue: listening ? inp.qlimit : inp.sndCc,
  };
  if (inp.family === 'ipv6') record.v6only = inp.v6only;
  return record;
}

/** The pending timer netstat -x would show first: retransmit, persist, 2MSL, keepalive. */
function pendingTimer(rec: XtcpcbRecord): SocketTimer | undefined {
  const t = rec.timers;
  // FreeBSD exports no retransmit count next to the timers; 0 means "not known" here.
  if (t.rexmt > 0) return { kind: 1, expiresMs: t.rexmt, retransmits: 0 };
  if (t.persist > 0) return { kind: 4, expiresMs: t.persist, retransmits: 0 };
  if (t.twoMsl > 0) return { kind: 3, expiresMs: t.twoMsl, retransmits: 0 };
  if (t.keep > 0) return { kind: 2, expiresMs: t.keep, retransmits: 0 };
  return undefined;
}

/** xtcpcb fields → TcpInfo. cwnd and ssthresh are bytes in FreeBSD, segments in TcpInfo. */
export function tcpInfoOf(rec: XtcpcbRecord): TcpInfo {
  const tcp: TcpInfo = {
    sndMss: rec.maxseg,
    sndWnd: rec.sndWnd,
    rcvWnd: rec.rcvWnd,
    totalRetrans: rec.sndrexmitpack,
    rcvOoopack: rec.rcvoopack,
    // FreeBSD's own TCP_INFO fills tcpi_last_data_recv from the same t_rcvtime.
    lastDataRecvMs: rec.rcvtime,
  };
  if (rec.maxseg > 0) {
    tcp.sndCwnd = Math.floor(rec.sndCwnd / rec.maxseg);
    tcp.sndSsthresh = rec.sndSsthresh >= SSTHRESH_INFINITE_BYTES ? LINUX_INFINITE_SSTHRESH : Math.floor(rec.sndSsthresh / rec.maxseg);
  }
  if (rec.dsackPack !== undefined) tcp.dsackDups = rec.dsackPack;
  return tcp;
}

/**
 * One xtcpcb → SocketRecord. Syncache entries and FreeBSD 13's compact TIME_WAIT records
 * carry only state and addresses (their TCP fields are zero because unknown), so they get
 * no `tcp` part rather than a row of false zeros.
 */
export function tcpSocket(rec: XtcpcbRecord, major: number): KeyedSocket {
  const listening = rec.inp.listening || rec.state === 1;
  const record = base(rec.inp, 'tcp', freebsdTcpStateName(rec.state), listening);
  const compactTimewait = rec.state === TCPS_TIME_WAIT && (major <= 13 || rec.maxseg === 0);
  if (!rec.syncache && !compactTimewait) {
    record.tcp = tcpInfoOf(rec);
    if (rec.cc) record.congestion = rec.cc;
    const timer = pendingTimer(rec);
    if (timer) record.timer = timer;
  }
  return { record, so: rec.inp.so };
}

/** One UDP xinpcb → SocketRecord: connected sockets are ESTABLISHED, others CLOSE (as on Linux). */
export function udpSocket(inp: InpcbFacts): KeyedSocket {
  return { record: base(inp, 'udp', isUdpUnconnected(inp) ? 'CLOSE' : 'ESTABLISHED', false), so: inp.so };
}

/** A TCP record that becomes a LISTEN socket: visited with the listeners, before any other socket. */
export function isTcpListener(rec: XtcpcbRecord): boolean {
  return rec.state === TCPS_LISTEN;
}

/** A UDP socket with no peer (reported CLOSE): visited with the listeners, before any other socket. */
export function isUdpUnconnected(inp: InpcbFacts): boolean {
  const unspecified = inp.remote.address === '0.0.0.0' || inp.remote.address === '::';
  return inp.remote.port === 0 && unspecified;
}
