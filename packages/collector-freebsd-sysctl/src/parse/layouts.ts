// Binary layouts of the FreeBSD sysctl records this collector reads, one table per
// (FreeBSD major, arch). Source: /work/shared/reference/freebsd-sysctl.md (section numbers
// in brackets). Confidence marks copied from it: [H] read in >=2 independent sources or
// size-checked against real headers, [M] one source plus reasoning, [L] inferred.
// Nothing here was observed on a live kernel. Integers are little-endian; ports and
// addresses inside records are network byte order.

/** The pcblist framing record (header and trailer). [H] §3, same 12–15. */
export const XINPGEN = { size: 64, len: 0, count: 8, gen: 16, sogen: 24 } as const;

/**
 * struct xinpcb (the UDP record; embedded at +8 in xtcpcb), offsets from its start, with the
 * 240-byte xsocket at +8 already added. [H] §5.1/§3a, identical on 13 and 14.
 */
export const XINPCB = {
  size: 400,
  len: 0,
  xsoLen: 8,
  xsoSo: 16,
  soPcb: 24,
  protocol: 104,
  family: 108,
  qlen: 112,
  incqlen: 116,
  qlimit: 120,
  uid: 128,
  soType: 164,
  soOptions: 166,
  soState: 170,
  rcvCc: 176,
  rcvHiwat: 180,
  sndCc: 212,
  sndHiwat: 216,
  incFlags: 248,
  fport: 252,
  lport: 254,
  faddr: 256,
  laddr: 272,
  zoneid: 288,
  gencnt: 296,
  inpFlags: 356,
  vflag: 392,
  /** Bytes the parser needs: everything up to inp_vflag. */
  minLength: 393,
} as const;

/** Fields of struct xtcpcb shared by 13 and 14, absolute offsets. [H] §5.2 (identical up to 640). */
const XTCPCB_COMMON = {
  size: 744,
  len: 0,
  inp: 8,
  stack: 408,
  stackLen: 32,
  cc: 504,
  ccLen: 16,
  state: 568,
  flags: 572,
  sndzerowin: 576,
  sndrexmitpack: 580,
  rcvoopack: 584,
  rcvtime: 588,
  ttRexmt: 592,
  ttPersist: 596,
  ttKeep: 600,
  tt2msl: 604,
  ttDelack: 608,
  sndCwnd: 616,
  sndSsthresh: 620,
  maxseg: 624,
  rcvWnd: 628,
  sndWnd: 632,
  ecn: 636,
} as const;

/** struct xtcpcb layout of one release line. */
export interface XtcpcbLayout {
  readonly size: number;
  readonly offsets: typeof XTCPCB_COMMON;
  /** xt_encaps_port (network order): 640 on 13, 652 on 14. */
  readonly encapsPort: number;
  /** DSACK packets received (t_dsack_pack); 14 only. */
  readonly dsackPack?: number;
  /** DSACK bytes received (t_dsack_bytes); 14 only. */
  readonly dsackBytes?: number;
  /** Bytes the parser needs. */
  readonly minLength: number;
}

/** 13: encaps port at 640. [H for 13.0/13.1; L whether a later 13.x MFC moved it] */
const XTCPCB_13: XtcpcbLayout = { size: 744, offsets: XTCPCB_COMMON, encapsPort: 640, minLength: 642 };
/** 14: DSACK counters carved from the spare area, encaps port moved to 652. [H 14.0-STABLE] */
const XTCPCB_14: XtcpcbLayout = { size: 744, offsets: XTCPCB_COMMON, encapsPort: 652, dsackBytes: 640, dsackPack: 648, minLength: 654 };

/** struct xfile (kern.file entries). [H] §7.1, 128 bytes, same 12–15. */
export const XFILE = { size: 128, xfSize: 0, pid: 8, uid: 12, fd: 16, file: 24, type: 32, data: 56, minLength: 64 } as const;

/** DTYPE_SOCKET in xf_type. [H] */
export const DTYPE_SOCKET = 2;

/** struct kinfo_proc (kern.proc.pid.<pid>). [H] §7.3, 1088 bytes on amd64 and arm64, 13 and 14. */
export const KINFO_PROC = { size: 1088, structsize: 0, pid: 72, ppid: 76, uid: 168, ruid: 172, comm: 447, commLen: 20, minLength: 467 } as const;

/** Offsets of the tcpstat fields this collector reads (each a u64). */
export interface TcpstatLayout {
  /** sizeof(struct tcpstat): how the layout is recognised. */
  readonly size: number;
  /** Release line the size belongs to. */
  readonly major: number;
  /** Field name (without `tcps_`) → byte offset. */
  readonly fields: Readonly<Record<string, number>>;
}

/** 13.x: 904 bytes. [H 13.0–13.1 (three sources agree); M 13.2–13.5] §6.1 */
const TCPSTAT_13: TcpstatLayout = {
  size: 904,
  major: 13,
  fields: {
    connattempt: 0, accepts: 8, connects: 16, drops: 24, conndrops: 32, closed: 48, timeoutdrop: 80,
    rexmttimeo: 88, keepdrops: 120, sndtotal: 128, sndpack: 136, sndbyte: 144, sndrexmitpack: 152,
    sndrexmitbyte: 160, sndacks: 176, sndctrl: 208, rcvtotal: 216, rcvpack: 224, rcvbyte: 232,
    rcvbadsum: 240, rcvbadoff: 248, rcvshort: 264, rcvduppack: 272, rcvoopack: 304, rcvdupack: 352,
    rcvackpack: 368, rcvackbyte: 376, persistdrop: 472, listendrop: 496, badrst: 504, sc_added: 512,
    sc_recvcookie: 624, finwait2_drops: 648, sack_recovery_episode: 656, sack_rexmits: 664,
    ecn_rcvce: 704, tunneled_pkts: 808,
    // 13.0 may read 0 here [M]
    tw_recycles: 824,
  },
};

/**
 * 14.x: 984 bytes; progdrops inserted after keepdrops (+8 from sndtotal on) and sack_lostrexmt
 * in the SACK group (+16 after it). [H 14.0-STABLE; M that 14.0-RELEASE matches] §6.1
 */
const TCPSTAT_14: TcpstatLayout = {
  size: 984,
  major: 14,
  fields: {
    connattempt: 0, accepts: 8, connects: 16, drops: 24, conndrops: 32, closed: 48, timeoutdrop: 80,
    rexmttimeo: 88, keepdrops: 120, progdrops: 128, sndtotal: 136, sndpack: 144, sndbyte: 152,
    sndrexmitpack: 160, sndrexmitbyte: 168, sndacks: 184, sndctrl: 216, rcvtotal: 224, rcvpack: 232,
    rcvbyte: 240, rcvbadsum: 248, rcvbadoff: 256, rcvshort: 272, rcvduppack: 280, rcvoopack: 312,
    rcvdupack: 360, rcvackpack: 376, rcvackbyte: 384, persistdrop: 480, listendrop: 504, badrst: 512,
    sc_added: 520, sc_recvcookie: 632, finwait2_drops: 656, sack_recovery_episode: 664,
    sack_rexmits: 672, sack_lostrexmt: 704, ecn_rcvce: 720, tunneled_pkts: 824, dsack_count: 840,
    tw_recycles: 864, tlpresends: 936,
  },
};

/** struct udpstat: 14 u64, 112 bytes, same on 13 and 14. [H] §6.2 */
export const UDPSTAT = {
  size: 112,
  fields: {
    ipackets: 0, hdrops: 8, badsum: 16, nosum: 24, badlen: 32, noport: 40, noportbcast: 48,
    fullsock: 56, pcbcachemiss: 64, pcbhashmiss: 72, opackets: 80, fastout: 88, noportmcast: 96,
    filtermcast: 104,
  },
} as const;

/** net.inet.tcp.states: TCP_NSTATES (11) u64 gauges indexed by TCPS_*. [H] §6 */
export const TCP_NSTATES = 11;

/** struct if_data, 152 bytes on 13 and 14. [H] §8 */
export const IF_DATA = {
  size: 152, type: 0, linkState: 4, datalen: 6, mtu: 8, baudrate: 16, ipackets: 24, ierrors: 32,
  opackets: 40, oerrors: 48, collisions: 56, ibytes: 64, obytes: 72, imcasts: 80, omcasts: 88,
  iqdrops: 96, oqdrops: 104, noproto: 112,
} as const;

/** Routing-socket NET_RT_IFLISTL messages: if_msghdrl (176 bytes) and sockaddr_dl. [H] §8 */
export const IF_MSGHDRL = {
  size: 176, msglen: 0, version: 2, type: 3, addrs: 4, flags: 8, index: 12, len: 16, dataOff: 18,
  rtmVersion: 5, rtmIfinfo: 0x0e, rtaIfp: 0x10,
} as const;

/** struct sockaddr_dl offsets. [H] §8 */
export const SOCKADDR_DL = { len: 0, family: 1, index: 2, type: 4, nlen: 5, alen: 6, slen: 7, data: 8, afLink: 18 } as const;

/** CPU architectures FreeBSD ships these layouts for. */
export type FreebsdArch = 'amd64' | 'arm64';

/** Every layout of one (FreeBSD major, arch) pair. */
export interface PlatformLayout {
  /** FreeBSD major release. */
  readonly major: 13 | 14;
  /** CPU architecture. */
  readonly arch: FreebsdArch;
  /** TCP record layout. */
  readonly xtcpcb: XtcpcbLayout;
  /** tcpstat layout expected on this release (the returned length still decides). */
  readonly tcpstat: TcpstatLayout;
}

// aarch64 has no differences for any record here: LP64, 8-byte alignment of 64-bit members,
// little-endian, same KINFO_PROC_SIZE 1088. [H] §9
/** The layout table, one entry per (major, arch). */
export const PLATFORM_LAYOUTS: readonly PlatformLayout[] = [
  { major: 13, arch: 'amd64', xtcpcb: XTCPCB_13, tcpstat: TCPSTAT_13 },
  { major: 13, arch: 'arm64', xtcpcb: XTCPCB_13, tcpstat: TCPSTAT_13 },
  { major: 14, arch: 'amd64', xtcpcb: XTCPCB_14, tcpstat: TCPSTAT_14 },
  { major: 14, arch: 'arm64', xtcpcb: XTCPCB_14, tcpstat: TCPSTAT_14 },
];

/** Every known tcpstat layout, recognised by size. */
export const TCPSTAT_LAYOUTS: readonly TcpstatLayout[] = [TCPSTAT_13, TCPSTAT_14];

/** The tcpstat layout whose size equals the returned length, if any. */
export function tcpstatLayoutForLength(length: number): TcpstatLayout | undefined {
  return TCPSTAT_LAYOUTS.find((l) => l.size === length);
}

/**
 * Picks the layout for a kern.osreldate value (e.g. 1402000) and arch. Majors outside 13–14
 * get the nearest table (12 shares 13's records, 15 keeps 14's xtcpcb) and `exact: false`.
 */
export function pickPlatformLayout(osreldate: number, arch: FreebsdArch): { layout: PlatformLayout; exact: boolean } {
  const major = Math.floor(osreldate / 100000);
  const wanted = major <= 13 ? 13 : 14;
  const layout = PLATFORM_LAYOUTS.find((l) => l.major === wanted && l.arch === arch) ?? PLATFORM_LAYOUTS[0]!;
  return { layout, exact: major === wanted };
}

/** Maps Node's `process.arch` to a FreeBSD arch name; undefined for arches without a table. */
export function freebsdArch(nodeArch: string): FreebsdArch | undefined {
  if (nodeArch === 'x64') return 'amd64';
  if (nodeArch === 'arm64') return 'arm64';
  return undefined;
}
