import type { TcpInfo } from '@sockscope/core';
import { viewOf } from './view.js';

type U32Field = Exclude<keyof TcpInfo, BigField | 'caState' | 'retransmits' | 'probes' | 'backoff' | 'options' | 'sndWscale' | 'rcvWscale' | 'deliveryRateAppLimited' | 'totalRto' | 'totalRtoRecoveries'>;
type BigField = 'pacingRate' | 'maxPacingRate' | 'bytesAcked' | 'bytesReceived' | 'deliveryRate' | 'busyTimeUs' | 'rwndLimitedUs' | 'sndbufLimitedUs' | 'bytesSent' | 'bytesRetrans';

// Byte offsets in struct tcp_info (linux/tcp.h). The struct only ever grows at its end, so a
// field is present exactly when the attribute reaches past its last byte.
const U32_FIELDS: readonly (readonly [U32Field, number])[] = [
  ['rtoUs', 8], ['atoUs', 12], ['sndMss', 16], ['rcvMss', 20],
  ['unacked', 24], ['sacked', 28], ['lost', 32], ['retrans', 36], ['fackets', 40],
  ['lastDataSentMs', 44], ['lastAckSentMs', 48], ['lastDataRecvMs', 52], ['lastAckRecvMs', 56],
  ['pmtu', 60], ['rcvSsthresh', 64], ['rttUs', 68], ['rttvarUs', 72], ['sndSsthresh', 76],
  ['sndCwnd', 80], ['advmss', 84], ['reordering', 88], ['rcvRttUs', 92], ['rcvSpace', 96],
  ['totalRetrans', 100],
  ['segsOut', 136], ['segsIn', 140], ['notsentBytes', 144], ['minRttUs', 148],
  ['dataSegsIn', 152], ['dataSegsOut', 156],
  ['delivered', 192], ['deliveredCe', 196],
  ['dsackDups', 216], ['reordSeen', 220], ['rcvOoopack', 224], ['sndWnd', 228], ['rcvWnd', 232],
  ['rehash', 236], ['totalRtoTimeMs', 244],
];

// u64 fields: read as bigint, since pacing rates are all-ones when unlimited and byte counters
// of long-lived connections pass 2^53.
const U64_FIELDS: readonly (readonly [BigField, number])[] = [
  ['pacingRate', 104], ['maxPacingRate', 112], ['bytesAcked', 120], ['bytesReceived', 128],
  ['deliveryRate', 160], ['busyTimeUs', 168], ['rwndLimitedUs', 176], ['sndbufLimitedUs', 184],
  ['bytesSent', 200], ['bytesRetrans', 208],
];

/** Size of struct tcp_info up to tcpi_total_rto_time, the last field this parser knows. */
export const TCP_INFO_KNOWN_LEN = 248;

/**
 * Parses INET_DIAG_INFO (struct tcp_info) at `buf[off..off+len)`. Only fields that fit in `len`
 * are set: older kernels send less, newer ones more (this parser ignores what it does not know).
 */
export function parseTcpInfo(buf: Buffer, off: number, len: number): TcpInfo {
  // the common case, the whole struct 4-aligned in a receive buffer that is (see wordsOf), in one
  // piece; anything else (an older kernel's shorter struct, bytes not 4-aligned) field by field
  const w = len >= TCP_INFO_KNOWN_LEN && (off & 3) === 0 ? wordsOf(buf) : undefined;
  return w === undefined ? parseTcpInfoByTable(buf, off, len) : parseFullTcpInfo(w, buf, off);
}

/** The field-by-field path: each field only when `len` reaches past its last byte. */
export function parseTcpInfoByTable(buf: Buffer, off: number, len: number): TcpInfo {
  const info: TcpInfo = {};
  if (len >= 8) {
    info.caState = buf[off + 1];
    info.retransmits = buf[off + 2];
    info.probes = buf[off + 3];
    info.backoff = buf[off + 4];
    info.options = buf[off + 5];
    // Bit fields, little-endian layout: snd_wscale is the low nibble, app_limited the low bit.
    const wscale = buf[off + 6] ?? 0;
    info.sndWscale = wscale & 0xf;
    info.rcvWscale = wscale >> 4;
    info.deliveryRateAppLimited = ((buf[off + 7] ?? 0) & 1) === 1;
  }
  const mutable = info as Record<string, number | bigint | boolean>;
  for (const [name, at] of U32_FIELDS) if (at + 4 <= len) mutable[name] = buf.readUInt32LE(off + at);
  for (const [name, at] of U64_FIELDS) if (at + 8 <= len) mutable[name] = buf.readBigUInt64LE(off + at);
  if (244 <= len) {
    info.totalRto = buf.readUInt16LE(off + 240);
    info.totalRtoRecoveries = buf.readUInt16LE(off + 242);
  }
  return info;
}

/** Whether this host stores numbers little-endian (the typed-array path reads host order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let lastWordsBuf: Buffer | undefined;
let lastWords: Uint32Array | undefined;

/** `buf` as u32 words when its bytes start 4-aligned in their ArrayBuffer (the receive buffers do). */
function wordsOf(buf: Buffer): Uint32Array | undefined {
  if (buf !== lastWordsBuf) {
    lastWordsBuf = buf;
    lastWords = LITTLE_ENDIAN && (buf.byteOffset & 3) === 0 ? new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2) : undefined;
  }
  return lastWords;
}

/**
 * The u64 at byte 8k of the tcp_info at word `i`: words i+2k (low) and i+2k+1 (high). Zero is
 * common (bytes_retrans, rwnd/sndbuf-limited time, busy time of idle sockets): one shared 0n; a
 * high half of zero: the low half as a BigInt; else the value read whole (one BigInt).
 */
function u64(w: Uint32Array, i: number, dv: DataView, o: number, k: number): bigint {
  const hi = w[i + k + 1]!;
  if (hi === 0) {
    const lo = w[i + k]!;
    return lo === 0 ? 0n : BigInt(lo);
  }
  return dv.getBigUint64(o + k * 4, true);
}

/**
 * The common case (kernel 6.7 and later send at least 248 bytes): one object literal, so every
 * record gets the same hidden class and a 30k-socket dump allocates one shape, not 59 steps.
 * Must agree with the table path; a test holds them against each other on captured data.
 *
 * tcp_info sits 4-aligned in a netlink attribute: its u32 fields are read as words `w` of one
 * Uint32Array over the receive buffer `b` (a typed-array load per field), a u64 as its two halves;
 * `o` is its byte offset in `b`.
 */
function parseFullTcpInfo(w: Uint32Array, b: Buffer, o: number): TcpInfo {
  const i = o >>> 2;
  const dv = viewOf(b);
  const w0 = w[i]!;
  const w1 = w[i + 1]!;
  return {
    caState: (w0 >>> 8) & 0xff, retransmits: (w0 >>> 16) & 0xff, probes: w0 >>> 24, backoff: w1 & 0xff, options: (w1 >>> 8) & 0xff,
    sndWscale: (w1 >>> 16) & 0xf, rcvWscale: (w1 >>> 20) & 0xf, deliveryRateAppLimited: ((w1 >>> 24) & 1) === 1,
    rtoUs: w[i + 2]!, atoUs: w[i + 3]!, sndMss: w[i + 4]!, rcvMss: w[i + 5]!,
    unacked: w[i + 6]!, sacked: w[i + 7]!, lost: w[i + 8]!, retrans: w[i + 9]!, fackets: w[i + 10]!,
    lastDataSentMs: w[i + 11]!, lastAckSentMs: w[i + 12]!, lastDataRecvMs: w[i + 13]!, lastAckRecvMs: w[i + 14]!,
    pmtu: w[i + 15]!, rcvSsthresh: w[i + 16]!, rttUs: w[i + 17]!, rttvarUs: w[i + 18]!, sndSsthresh: w[i + 19]!,
    sndCwnd: w[i + 20]!, advmss: w[i + 21]!, reordering: w[i + 22]!, rcvRttUs: w[i + 23]!, rcvSpace: w[i + 24]!,
    totalRetrans: w[i + 25]!,
    segsOut: w[i + 34]!, segsIn: w[i + 35]!, notsentBytes: w[i + 36]!, minRttUs: w[i + 37]!,
    dataSegsIn: w[i + 38]!, dataSegsOut: w[i + 39]!,
    delivered: w[i + 48]!, deliveredCe: w[i + 49]!,
    dsackDups: w[i + 54]!, reordSeen: w[i + 55]!, rcvOoopack: w[i + 56]!, sndWnd: w[i + 57]!, rcvWnd: w[i + 58]!,
    rehash: w[i + 59]!, totalRtoTimeMs: w[i + 61]!,
    pacingRate: u64(w, i, dv, o, 26), maxPacingRate: u64(w, i, dv, o, 28), bytesAcked: u64(w, i, dv, o, 30), bytesReceived: u64(w, i, dv, o, 32),
    deliveryRate: u64(w, i, dv, o, 40), busyTimeUs: u64(w, i, dv, o, 42), rwndLimitedUs: u64(w, i, dv, o, 44), sndbufLimitedUs: u64(w, i, dv, o, 46),
    bytesSent: u64(w, i, dv, o, 50), bytesRetrans: u64(w, i, dv, o, 52),
    totalRto: w[i + 60]! & 0xffff, totalRtoRecoveries: w[i + 60]! >>> 16,
  };
}
