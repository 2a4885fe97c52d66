import type { TcpInfo } from '@sockscope/core';

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
