// Builds FreeBSD sysctl byte buffers with every field at the offset documented in
// /work/shared/reference/freebsd-sysctl.md. The offsets below are typed in from that document
// on purpose, not imported from src/parse/layouts.ts: a wrong number in the layout table then
// shows up as a failing test instead of being copied into the fixture.
// No live FreeBSD was available; these buffers are the only proof the parsers have.

/** FreeBSD release lines with a layout. */
export type Release = 13 | 14;
/** Architectures; amd64 and arm64 share every layout here (reference §9), so the writer takes arch only to label fixtures. */
export type Arch = 'amd64' | 'arm64';
/** Every (release, arch) pair the tests run over. */
export const PLATFORMS: ReadonlyArray<{ release: Release; arch: Arch }> = [
  { release: 13, arch: 'amd64' },
  { release: 13, arch: 'arm64' },
  { release: 14, arch: 'amd64' },
  { release: 14, arch: 'arm64' },
];

/** kern.osreldate values for each release line. */
export const OSRELDATE: Record<Release, number> = { 13: 1302001, 14: 1400097 };

/** The inpcb part of a record (reference §5.1 and §3a). */
export interface InpSpec {
  vflag: number;
  laddr: string;
  faddr: string;
  lport: number;
  fport: number;
  so?: bigint;
  soPcb?: bigint;
  uid?: number;
  protocol?: number;
  soFamily?: number;
  qlen?: number;
  incqlen?: number;
  qlimit?: number;
  soOptions?: number;
  soState?: number;
  rcvCc?: number;
  sndCc?: number;
  incFlags?: number;
  zoneid?: number;
  gencnt?: bigint;
  inpFlags?: number;
  /** xi_len; 400 unless given (0 in syncache records). */
  xiLen?: number;
  /** xso_len; 240 unless given (0 when the pcb has no socket). */
  xsoLen?: number;
}

/** A TCP record (reference §5.2). */
export interface TcpSpec extends InpSpec {
  state: number;
  stack?: string;
  cc?: string;
  tFlags?: number;
  sndzerowin?: number;
  sndrexmitpack?: number;
  rcvoopack?: number;
  rcvtime?: number;
  ttRexmt?: number;
  ttPersist?: number;
  ttKeep?: number;
  tt2msl?: number;
  ttDelack?: number;
  cwnd?: number;
  ssthresh?: number;
  maxseg?: number;
  rcvWnd?: number;
  sndWnd?: number;
  ecn?: number;
  encapsPort?: number;
  dsackBytes?: number;
  dsackPack?: number;
  /** xt_len; 744 unless given. */
  xtLen?: number;
}

/** IPv4 or IPv6 text → 16 bytes as in an in_conninfo slot (IPv4 in the last 4 bytes). */
export function addressSlot(addr: string): Buffer {
  const slot = Buffer.alloc(16);
  if (addr.includes('.') && !addr.includes(':')) {
    addr.split('.').forEach((p, i) => (slot[12 + i] = Number(p)));
    return slot;
  }
  // A dotted IPv4 tail (::ffff:10.0.0.1) becomes two hex words.
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  if (dotted) {
    const [, pre, a, b, c, d] = dotted.map((x, i) => (i > 1 ? Number(x) : x)) as [string, string, number, number, number, number];
    addr = `${pre}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  words.forEach((w, i) => slot.writeUInt16BE(parseInt(w, 16), i * 2));
  return slot;
}

/** Writes an xinpcb at `base` (0 for UDP, 8 inside xtcpcb). */
export function writeInp(buf: Buffer, base: number, s: InpSpec): void {
  buf.writeBigUInt64LE(BigInt(s.xiLen ?? 400), base + 0);
  const x = base + 8; // xsocket
  buf.writeBigUInt64LE(BigInt(s.xsoLen ?? 240), x + 0);
  buf.writeBigUInt64LE(s.so ?? 0n, x + 8);
  buf.writeBigUInt64LE(s.soPcb ?? 0n, x + 16);
  buf.writeInt32LE(s.protocol ?? 6, x + 96);
  buf.writeInt32LE(s.soFamily ?? 2, x + 100);
  buf.writeUInt32LE(s.qlen ?? 0, x + 104);
  buf.writeUInt32LE(s.incqlen ?? 0, x + 108);
  buf.writeUInt32LE(s.qlimit ?? 0, x + 112);
  buf.writeUInt32LE(s.uid ?? 0, x + 120);
  buf.writeInt16LE(s.protocol === 17 ? 2 : 1, x + 156);
  buf.writeInt16LE(s.soOptions ?? 0, x + 158);
  buf.writeInt16LE(s.soState ?? 0, x + 162);
  buf.writeUInt32LE(s.rcvCc ?? 0, x + 168); // so_rcv.sb_cc
  buf.writeUInt32LE(65536, x + 172); // so_rcv.sb_hiwat
  buf.writeUInt32LE(s.sndCc ?? 0, x + 204); // so_snd.sb_cc
  buf.writeUInt32LE(32768, x + 208); // so_snd.sb_hiwat
  const c = base + 248; // in_conninfo
  buf[c + 0] = s.incFlags ?? 0;
  buf.writeUInt16BE(s.fport, c + 4);
  buf.writeUInt16BE(s.lport, c + 6);
  addressSlot(s.faddr).copy(buf, c + 8);
  addressSlot(s.laddr).copy(buf, c + 24);
  buf.writeUInt32LE(s.zoneid ?? 0, c + 40);
  buf.writeBigUInt64LE(s.gencnt ?? 1n, base + 296);
  buf.writeInt32LE(s.inpFlags ?? 0, base + 356);
  buf[base + 392] = s.vflag;
  buf[base + 393] = 64; // inp_ip_ttl
  buf[base + 394] = s.protocol ?? 6; // inp_ip_p
}

/** A UDP record (struct xinpcb, 400 bytes). */
export function xinpcb(s: InpSpec): Buffer {
  const buf = Buffer.alloc(400);
  writeInp(buf, 0, { protocol: 17, ...s });
  return buf;
}

/** A TCP record (struct xtcpcb, 744 bytes) in the layout of `release`. */
export function xtcpcb(s: TcpSpec, release: Release, _arch: Arch = 'amd64'): Buffer {
  const buf = Buffer.alloc(744);
  buf.writeBigUInt64LE(BigInt(s.xtLen ?? 744), 0);
  writeInp(buf, 8, s);
  buf.write(s.stack ?? 'freebsd', 408, 'latin1');
  buf.write(s.cc ?? '', 504, 'latin1');
  buf.writeInt32LE(s.state, 568);
  buf.writeUInt32LE(s.tFlags ?? 0, 572);
  buf.writeInt32LE(s.sndzerowin ?? 0, 576);
  buf.writeInt32LE(s.sndrexmitpack ?? 0, 580);
  buf.writeInt32LE(s.rcvoopack ?? 0, 584);
  buf.writeInt32LE(s.rcvtime ?? 0, 588);
  buf.writeInt32LE(s.ttRexmt ?? 0, 592);
  buf.writeInt32LE(s.ttPersist ?? 0, 596);
  buf.writeInt32LE(s.ttKeep ?? 0, 600);
  buf.writeInt32LE(s.tt2msl ?? 0, 604);
  buf.writeInt32LE(s.ttDelack ?? 0, 608);
  buf.writeUInt32LE(s.cwnd ?? 0, 616);
  buf.writeUInt32LE(s.ssthresh ?? 0, 620);
  buf.writeUInt32LE(s.maxseg ?? 0, 624);
  buf.writeUInt32LE(s.rcvWnd ?? 0, 628);
  buf.writeUInt32LE(s.sndWnd ?? 0, 632);
  buf.writeUInt32LE(s.ecn ?? 0, 636);
  if (release === 13) {
    buf.writeUInt16BE(s.encapsPort ?? 0, 640);
  } else {
    buf.writeUInt32LE(s.dsackBytes ?? 0, 640);
    buf.writeUInt32LE(s.dsackPack ?? 0, 648);
    buf.writeUInt16BE(s.encapsPort ?? 0, 652);
  }
  return buf;
}

/** A syncache entry as tcp_syncache.c writes it: SYN_RECEIVED, no socket, xi_len 0, gencnt 0. */
export function syncacheRecord(s: Omit<InpSpec, 'xiLen' | 'so' | 'gencnt'>, release: Release): Buffer {
  return xtcpcb({ ...s, state: 3, xiLen: 0, so: 0n, gencnt: 0n, soState: 0x4, protocol: 6, incFlags: s.vflag & 2 ? 1 : 0 }, release);
}

/** FreeBSD 13's compact TIME_WAIT record: only t_state (and encaps port) filled, no socket. */
export function compactTimewait13(s: Pick<InpSpec, 'vflag' | 'laddr' | 'faddr' | 'lport' | 'fport' | 'gencnt'>): Buffer {
  return xtcpcb({ ...s, state: 10, xsoLen: 0, so: 0n, protocol: 6, inpFlags: 0x01000000 }, 13);
}

/** struct xinpgen (64 bytes): header or trailer. */
export function xinpgen(gen: bigint, count = 0, sogen = 0n): Buffer {
  const buf = Buffer.alloc(64);
  buf.writeBigUInt64LE(64n, 0);
  buf.writeUInt32LE(count, 8);
  buf.writeBigUInt64LE(gen, 16);
  buf.writeBigUInt64LE(sogen, 24);
  return buf;
}

/** A whole pcblist: header, records, trailer (omit the trailer with `trailerGen: null`). */
export function pcblist(headerGen: bigint, records: Buffer[], trailerGen: bigint | null = headerGen): Buffer {
  const parts = [xinpgen(headerGen, records.length), ...records];
  if (trailerGen !== null) parts.push(xinpgen(trailerGen, records.length));
  return Buffer.concat(parts);
}

/** One struct xfile (128 bytes). */
export function xfile(f: { pid: number; uid?: number; fd: number; type?: number; data: bigint }): Buffer {
  const buf = Buffer.alloc(128);
  buf.writeBigUInt64LE(128n, 0);
  buf.writeInt32LE(f.pid, 8);
  buf.writeUInt32LE(f.uid ?? 0, 12);
  buf.writeInt32LE(f.fd, 16);
  buf.writeBigUInt64LE(0xfffff80001000000n + BigInt(f.fd), 24); // xf_file
  buf.writeInt16LE(f.type ?? 2, 32);
  buf.writeInt32LE(1, 36); // xf_count
  buf.writeBigUInt64LE(f.data, 56);
  return buf;
}

/** One struct kinfo_proc (1088 bytes). */
export function kinfoProc(p: { pid: number; ppid?: number; comm: string; ruid?: number; uid?: number; structsize?: number }): Buffer {
  const buf = Buffer.alloc(1088);
  buf.writeInt32LE(p.structsize ?? 1088, 0);
  buf.writeInt32LE(p.pid, 72);
  buf.writeInt32LE(p.ppid ?? 1, 76);
  buf.writeUInt32LE(p.uid ?? 0, 168);
  buf.writeUInt32LE(p.ruid ?? 0, 172);
  buf.write(p.comm.slice(0, 19), 447, 'latin1');
  return buf;
}

/** tcpstat offsets per release, from the reference's §6.1 table. */
export const TCPSTAT_OFFSETS: Record<Release, Record<string, number>> = {
  13: {
    connattempt: 0, accepts: 8, connects: 16, drops: 24, conndrops: 32, closed: 48, timeoutdrop: 80, rexmttimeo: 88,
    keepdrops: 120, sndtotal: 128, sndpack: 136, sndbyte: 144, sndrexmitpack: 152, sndrexmitbyte: 160, sndacks: 176,
    sndctrl: 208, rcvtotal: 216, rcvpack: 224, rcvbyte: 232, rcvbadsum: 240, rcvbadoff: 248, rcvshort: 264,
    rcvduppack: 272, rcvoopack: 304, rcvdupack: 352, rcvackpack: 368, rcvackbyte: 376, persistdrop: 472,
    listendrop: 496, badrst: 504, sc_added: 512, sc_recvcookie: 624, finwait2_drops: 648,
    sack_recovery_episode: 656, sack_rexmits: 664, ecn_rcvce: 704, tunneled_pkts: 808, tw_recycles: 824,
  },
  14: {
    connattempt: 0, accepts: 8, connects: 16, drops: 24, conndrops: 32, closed: 48, timeoutdrop: 80, rexmttimeo: 88,
    keepdrops: 120, progdrops: 128, sndtotal: 136, sndpack: 144, sndbyte: 152, sndrexmitpack: 160, sndrexmitbyte: 168,
    sndacks: 184, sndctrl: 216, rcvtotal: 224, rcvpack: 232, rcvbyte: 240, rcvbadsum: 248, rcvbadoff: 256,
    rcvshort: 272, rcvduppack: 280, rcvoopack: 312, rcvdupack: 360, rcvackpack: 376, rcvackbyte: 384,
    persistdrop: 480, listendrop: 504, badrst: 512, sc_added: 520, sc_recvcookie: 632, finwait2_drops: 656,
    sack_recovery_episode: 664, sack_rexmits: 672, sack_lostrexmt: 704, ecn_rcvce: 720, tunneled_pkts: 824,
    dsack_count: 840, tw_recycles: 864, tlpresends: 936,
  },
};

/** struct tcpstat of `release` (904 or 984 bytes) with the given counters. */
export function tcpstat(release: Release, values: Record<string, number>): Buffer {
  const buf = Buffer.alloc(release === 13 ? 904 : 984);
  for (const [k, v] of Object.entries(values)) {
    const off = TCPSTAT_OFFSETS[release][k];
    if (off === undefined) throw new Error(`no documented offset for tcps_${k} on ${release}`);
    buf.writeBigUInt64LE(BigInt(v), off);
  }
  return buf;
}

/** udpstat field order (reference §6.2), 8 bytes each. */
export const UDPSTAT_FIELDS = ['ipackets', 'hdrops', 'badsum', 'nosum', 'badlen', 'noport', 'noportbcast', 'fullsock', 'pcbcachemiss', 'pcbhashmiss', 'opackets', 'fastout', 'noportmcast', 'filtermcast'];

/** struct udpstat (112 bytes). */
export function udpstat(values: Record<string, number>): Buffer {
  const buf = Buffer.alloc(112);
  for (const [k, v] of Object.entries(values)) buf.writeBigUInt64LE(BigInt(v), UDPSTAT_FIELDS.indexOf(k) * 8);
  return buf;
}

/** net.inet.tcp.states: 11 u64 counts. */
export function tcpStates(counts: readonly number[]): Buffer {
  const buf = Buffer.alloc(88);
  counts.forEach((c, i) => buf.writeBigUInt64LE(BigInt(c), i * 8));
  return buf;
}

/** if_data counters by field name (reference §8). */
export interface IfDataSpec {
  ipackets?: number; ierrors?: number; opackets?: number; oerrors?: number; collisions?: number;
  ibytes?: number; obytes?: number; imcasts?: number; omcasts?: number; iqdrops?: number; oqdrops?: number;
  mtu?: number; baudrate?: number; linkState?: number; type?: number;
}

const IF_DATA_OFF: Record<string, number> = {
  ipackets: 24, ierrors: 32, opackets: 40, oerrors: 48, collisions: 56, ibytes: 64, obytes: 72,
  imcasts: 80, omcasts: 88, iqdrops: 96, oqdrops: 104, baudrate: 16,
};

/** One RTM_IFINFO routing message (if_msghdrl + if_data + sockaddr_dl), as NET_RT_IFLISTL returns it. */
export function ifinfoMessage(m: { index: number; flags: number; name: string; mac?: number[]; data: IfDataSpec }): Buffer {
  const mac = m.mac ?? [];
  const sdlLen = 8 + m.name.length + mac.length;
  const sdlPadded = Math.ceil(Math.max(sdlLen, 20) / 8) * 8;
  const buf = Buffer.alloc(176 + sdlPadded);
  buf.writeUInt16LE(buf.length, 0); // ifm_msglen
  buf[2] = 5; // RTM_VERSION
  buf[3] = 0x0e; // RTM_IFINFO
  buf.writeInt32LE(0x10, 4); // ifm_addrs = RTA_IFP
  buf.writeInt32LE(m.flags, 8);
  buf.writeUInt16LE(m.index, 12);
  buf.writeUInt16LE(176, 16); // ifm_len
  buf.writeUInt16LE(24, 18); // ifm_data_off
  const d = 24;
  buf[d + 0] = m.data.type ?? 6;
  buf[d + 4] = m.data.linkState ?? 2;
  buf.writeUInt16LE(152, d + 6);
  buf.writeUInt32LE(m.data.mtu ?? 1500, d + 8);
  for (const [k, off] of Object.entries(IF_DATA_OFF)) {
    const v = m.data[k as keyof IfDataSpec];
    if (v !== undefined) buf.writeBigUInt64LE(BigInt(v), d + off);
  }
  const s = 176; // sockaddr_dl
  buf[s + 0] = Math.max(sdlLen, 20);
  buf[s + 1] = 18; // AF_LINK
  buf.writeUInt16LE(m.index, s + 2);
  buf[s + 4] = m.data.type ?? 6;
  buf[s + 5] = m.name.length;
  buf[s + 6] = mac.length;
  buf.write(m.name, s + 8, 'latin1');
  Buffer.from(mac).copy(buf, s + 8 + m.name.length);
  return buf;
}

/** An RTM_NEWADDR message of `size` bytes (content irrelevant: the parser must skip it by msglen). */
export function newaddrMessage(size = 96): Buffer {
  const buf = Buffer.alloc(size, 0xaa);
  buf.writeUInt16LE(size, 0);
  buf[2] = 5;
  buf[3] = 0x0c;
  return buf;
}
