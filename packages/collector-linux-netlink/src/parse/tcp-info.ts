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
  return len >= TCP_INFO_KNOWN_LEN ? parseFullTcpInfo(buf, off) : parseTcpInfoByTable(buf, off, len);
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

/**
 * The common case (kernel 6.7 and later send at least 248 bytes): one object literal, so every
 * record gets the same hidden class and a 30k-socket dump allocates one shape, not 59 steps.
 * Must agree with the table path; a test holds them against each other on captured data.
 */
function parseFullTcpInfo(b: Buffer, o: number): TcpInfo {
  const dv = viewOf(b);
  const u32 = (at: number): number => dv.getUint32(o + at, true);
  // zero is common (bytes_retrans, rwnd/sndbuf-limited time, busy time of idle sockets): one
  // shared 0n instead of a BigInt made for it
  const u64 = (at: number): bigint => ((dv.getUint32(o + at, true) | dv.getUint32(o + at + 4, true)) === 0 ? 0n : dv.getBigUint64(o + at, true));
  const wscale = dv.getUint8(o + 6);
  return {
    caState: dv.getUint8(o + 1), retransmits: dv.getUint8(o + 2), probes: dv.getUint8(o + 3), backoff: dv.getUint8(o + 4), options: dv.getUint8(o + 5),
    sndWscale: wscale & 0xf, rcvWscale: wscale >> 4, deliveryRateAppLimited: (dv.getUint8(o + 7) & 1) === 1,
    rtoUs: u32(8), atoUs: u32(12), sndMss: u32(16), rcvMss: u32(20),
    unacked: u32(24), sacked: u32(28), lost: u32(32), retrans: u32(36), fackets: u32(40),
    lastDataSentMs: u32(44), lastAckSentMs: u32(48), lastDataRecvMs: u32(52), lastAckRecvMs: u32(56),
    pmtu: u32(60), rcvSsthresh: u32(64), rttUs: u32(68), rttvarUs: u32(72), sndSsthresh: u32(76),
    sndCwnd: u32(80), advmss: u32(84), reordering: u32(88), rcvRttUs: u32(92), rcvSpace: u32(96),
    totalRetrans: u32(100),
    segsOut: u32(136), segsIn: u32(140), notsentBytes: u32(144), minRttUs: u32(148),
    dataSegsIn: u32(152), dataSegsOut: u32(156),
    delivered: u32(192), deliveredCe: u32(196),
    dsackDups: u32(216), reordSeen: u32(220), rcvOoopack: u32(224), sndWnd: u32(228), rcvWnd: u32(232),
    rehash: u32(236), totalRtoTimeMs: u32(244),
    pacingRate: u64(104), maxPacingRate: u64(112), bytesAcked: u64(120), bytesReceived: u64(128),
    deliveryRate: u64(160), busyTimeUs: u64(168), rwndLimitedUs: u64(176), sndbufLimitedUs: u64(184),
    bytesSent: u64(200), bytesRetrans: u64(208),
    totalRto: dv.getUint16(o + 240, true), totalRtoRecoveries: dv.getUint16(o + 242, true),
  };
}
