import { ipv4Text, ipv6Text, isListening, tcpStateName, type Endpoint, type SocketRecord, type TcpInfo } from '@sockscope/core';
import { decodeAddressWords, hexDigit } from './address.js';
import { LineCursor, forEachLine } from './scan.js';

/**
 * Which lines one pass over a table hands on. A collector that must visit every listening socket
 * first makes two passes over the same bytes, `listening` then `others`; each malformed line is
 * reported by exactly one of the two (one that fails before its state is known by `listening`).
 */
export type TablePass = 'listening' | 'others' | 'all';

/** Receives what one pass over a table finds, line by line. */
export interface TableVisitor {
  /** A well-formed line of the class the pass picks, as a record. */
  record(rec: SocketRecord): void;
  /** A malformed line (1-based line number), skipped. */
  problem(line: number, message: string): void;
}

/** Options of {@link scanInetTable}. */
export interface InetTableOptions {
  /** Transport the file lists. */
  protocol: 'tcp' | 'udp' | 'raw';
  /** `ipv4` for tcp/udp/raw, `ipv6` for tcp6/udp6/raw6. */
  family: 'ipv4' | 'ipv6';
  /** Byte order of the host that printed the file (default: little endian, as on x86 and arm64). */
  littleEndian?: boolean;
  /** Address text by kernel hex, shared by the passes over one table (default: a new cache). */
  names?: Map<string | number, string>;
}

// USER_HZ is 100 on every Linux ABI: /proc prints timers as clock_t ticks of 10 ms.
const MS_PER_TICK = 10;
const COLON = 58;
// tcp_info reports an unset ssthresh as TCP_INFINITE_SSTHRESH; /proc prints -1 for it.
const INFINITE_SSTHRESH = 0x7fffffff;

/**
 * Scans /proc/net/{tcp,udp,raw}{,6} (the header line is skipped), handing each record of the
 * lines `pass` picks to the visitor as it is parsed. A malformed line is reported and skipped;
 * the others are still visited.
 */
export function scanInetTable(buf: Uint8Array, opts: InetTableOptions, pass: TablePass, visitor: TableVisitor): void {
  const words = opts.family === 'ipv4' ? 1 : 4;
  const text = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const cur = new LineCursor(buf);
  const addr = new Uint8Array(16);
  const names = opts.names ?? new Map<string | number, string>();
  const littleEndian = opts.littleEndian ?? true;
  const { protocol, family } = opts;

  const readEndpoint = (): Endpoint | string => {
    const start = cur.pos;
    if (cur.end - start < words * 8 + 1 || buf[start + words * 8] !== COLON) return 'address is not kernel hex';
    const k = words === 1 ? hexKey(buf, start) : latin1(text, start, start + 32);
    let address = names.get(k);
    if (address === undefined) {
      if (!decodeAddressWords(buf, start, words, littleEndian, addr)) return 'address is not kernel hex';
      address = words === 1 ? ipv4Text(addr) : ipv6Text(addr);
      names.set(k, address);
    }
    cur.pos = start + words * 8 + 1;
    const port = cur.hex(4);
    if (port < 0 || !cur.atFieldEnd()) return 'port is not 1-4 hex digits';
    return { address, port };
  };

  forEachLine(buf, (start, end, lineNo) => {
    cur.reset(start, end);
    if (!cur.skipBlanks()) return;
    const first = buf[cur.pos] ?? 0;
    if (lineNo === 1 && (first < 48 || first > 57)) return; // the header
    const rec = readHead(cur, readEndpoint, protocol, family);
    if (typeof rec === 'string') {
      if (pass !== 'others') visitor.problem(lineNo, rec);
      return;
    }
    if (pass !== 'all' && isListening(rec) !== (pass === 'listening')) return;
    const bad = readTail(cur, rec);
    if (bad === undefined) visitor.record(rec);
    else visitor.problem(lineNo, bad);
  });
}

/**
 * Reads a data line up to its state: enough to tell a listening socket. Returns the record (its
 * remaining fields zero until {@link readTail}) or what is wrong with the line.
 */
function readHead(cur: LineCursor, readEndpoint: () => Endpoint | string, protocol: InetTableOptions['protocol'], family: InetTableOptions['family']): SocketRecord | string {
  if (cur.dec() < 0 || !cur.expect(COLON)) return 'no slot number ("N:")';
  cur.skipBlanks();
  const local = readEndpoint();
  if (typeof local === 'string') return `local ${local}`;
  cur.skipBlanks();
  const remote = readEndpoint();
  if (typeof remote === 'string') return `remote ${remote}`;
  cur.skipBlanks();
  const st = cur.hex(2);
  if (st < 0) return 'state is not 2 hex digits';
  return { protocol, family, state: tcpStateName(st), local, remote, inode: 0, uid: 0, recvQueue: 0, sendQueue: 0 };
}

/** Reads the rest of the line into the record; returns what is wrong with the line, if anything. */
function readTail(cur: LineCursor, rec: SocketRecord): string | undefined {
  cur.skipBlanks();
  const tx = cur.hex(8);
  if (tx < 0 || !cur.expect(COLON)) return 'tx_queue is not 8 hex digits';
  const rx = cur.hex(8);
  if (rx < 0) return 'rx_queue is not 8 hex digits';
  cur.skipBlanks();
  const timerKind = cur.hex(2);
  if (timerKind < 0 || !cur.expect(COLON)) return 'timer is not "tr:when"';
  let when = cur.hex(16);
  if (when < 0) return 'timer expiry is not hex';
  if (when >= 2 ** 63) when -= 2 ** 64; // pre-4.x kernels printed an overdue timer as a negative long
  cur.skipBlanks();
  const retransmits = cur.hex(8);
  if (retransmits < 0) return 'retrnsmt is not hex';
  cur.skipBlanks();
  const uid = cur.dec(0xffffffff);
  if (uid < 0) return 'uid is not a 32-bit decimal';
  cur.skipBlanks();
  const timeout = cur.signedDec();
  if (Number.isNaN(timeout)) return 'timeout is not a decimal';
  cur.skipBlanks();
  const inode = cur.dec();
  if (inode < 0 || !cur.atFieldEnd()) return 'inode is not a decimal in range';

  rec.inode = inode;
  rec.uid = uid;
  rec.recvQueue = rx;
  rec.sendQueue = tx;
  if (timerKind !== 0 || retransmits !== 0) rec.timer = { kind: timerKind, expiresMs: when * MS_PER_TICK, retransmits };
  if (rec.protocol === 'tcp') {
    const tcp = readTcpTail(cur, rec.state === 'LISTEN', retransmits, timeout);
    if (tcp) rec.tcp = tcp;
  }
  return undefined;
}

// Full sockets append: refcount, pointer, rto, ato, (quick<<1)|pingpong, cwnd, ssthresh
// (tcp4_seq_show / tcp6 get_tcp6_sock). TIME_WAIT and request sockets stop after the pointer.
function readTcpTail(cur: LineCursor, listening: boolean, retransmits: number, probes: number): TcpInfo | undefined {
  cur.skipBlanks();
  if (cur.dec() < 0) return undefined;
  cur.skipBlanks();
  cur.skipField(); // the %pK pointer, zeros without CAP_SYSLOG
  cur.skipBlanks();
  const rto = cur.dec();
  cur.skipBlanks();
  const ato = cur.dec();
  cur.skipBlanks();
  const quick = cur.dec();
  cur.skipBlanks();
  const cwnd = cur.dec();
  cur.skipBlanks();
  const ssthresh = cur.signedDec();
  if (rto < 0 || ato < 0 || quick < 0 || cwnd < 0 || Number.isNaN(ssthresh)) return undefined;
  const info: TcpInfo = { rtoUs: rto * MS_PER_TICK * 1000, atoUs: ato * MS_PER_TICK * 1000, sndCwnd: cwnd, retransmits, probes };
  // on a listener the last column is the fastopen queue length, not ssthresh
  if (!listening) info.sndSsthresh = ssthresh < 0 ? INFINITE_SSTHRESH : ssthresh;
  return info;
}

// Cache keys for address text: an IPv4 word as its number (-1 when not hex: never cached,
// decodeAddressWords then refuses it), an IPv6 address as its 32 hex characters.
function hexKey(buf: Uint8Array, start: number): number {
  let v = 0;
  for (let i = start; i < start + 8; i++) {
    const d = hexDigit(buf[i] ?? 0);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function latin1(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end);
}
