import type { InterfaceInfo, InterfaceStats, Warning } from '@sockscope/core';
import { freebsdWarning } from '../errors.js';
import { IF_DATA, IF_MSGHDRL, SOCKADDR_DL } from './layouts.js';
import { hwAddress, u64 } from './bytes.js';

const IFF_UP = 0x1;
const LINK_STATES = ['unknown', 'down', 'up'];

/**
 * Decodes a NET_RT_IFLISTL routing dump (MIB 4,17,0,0,5,0): a stream of messages, each
 * `u16 msglen, u8 version, u8 type`. RTM_IFINFO messages (if_msghdrl) carry the interface's
 * if_data at ifm_data_off and its sockaddr_dl (name, MAC) at ifm_len. Other messages are
 * skipped by msglen. Counters are keyed like core's InterfaceStats documents.
 */
export function parseIfList(buf: Buffer): { interfaces: InterfaceStats[]; warnings: Warning[] } {
  const interfaces: InterfaceStats[] = [];
  const warnings: Warning[] = [];
  let versionWarned = false;
  for (let pos = 0; pos + 4 <= buf.length; ) {
    const msglen = buf.readUInt16LE(pos + IF_MSGHDRL.msglen);
    if (msglen < 4 || pos + msglen > buf.length) {
      warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', `interface list: message at offset ${pos} has length ${msglen} with ${buf.length - pos} bytes left; rest skipped`));
      break;
    }
    const version = buf[pos + IF_MSGHDRL.version];
    if (version !== IF_MSGHDRL.rtmVersion) {
      if (!versionWarned) warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_LAYOUT', `interface list: routing message version ${version}, expected ${IF_MSGHDRL.rtmVersion}; such messages skipped`));
      versionWarned = true;
    } else if (buf[pos + IF_MSGHDRL.type] === IF_MSGHDRL.rtmIfinfo) {
      const parsed = parseIfInfo(buf.subarray(pos, pos + msglen));
      if ('error' in parsed) warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', `interface list: ${parsed.error}`));
      else interfaces.push(parsed);
    }
    pos += msglen;
  }
  return { interfaces, warnings };
}

function parseIfInfo(msg: Buffer): InterfaceStats | { error: string } {
  if (msg.length < IF_MSGHDRL.dataOff + 2) return { error: `RTM_IFINFO message of ${msg.length} bytes is too short` };
  const index = msg.readUInt16LE(IF_MSGHDRL.index);
  const bodyOff = msg.readUInt16LE(IF_MSGHDRL.len);
  const dataOff = msg.readUInt16LE(IF_MSGHDRL.dataOff);
  if (dataOff + IF_DATA.noproto + 8 > msg.length) return { error: `interface ${index}: if_data at ${dataOff} does not fit the ${msg.length}-byte message` };
  const d = (off: number) => u64(msg, dataOff + off);
  const counters: Record<string, number> = {
    receive_bytes: d(IF_DATA.ibytes),
    receive_packets: d(IF_DATA.ipackets),
    receive_errs: d(IF_DATA.ierrors),
    receive_drop: d(IF_DATA.iqdrops),
    receive_multicast: d(IF_DATA.imcasts),
    transmit_bytes: d(IF_DATA.obytes),
    transmit_packets: d(IF_DATA.opackets),
    transmit_errs: d(IF_DATA.oerrors),
    transmit_drop: d(IF_DATA.oqdrops),
    transmit_colls: d(IF_DATA.collisions),
    // Not in Linux's /proc/net/dev, but node_exporter's BSD netdev emits it.
    transmit_multicast: d(IF_DATA.omcasts),
  };
  const flags = msg.readInt32LE(IF_MSGHDRL.flags);
  const info: InterfaceInfo = {
    ifindex: index,
    mtu: msg.readUInt32LE(dataOff + IF_DATA.mtu),
    speedBytes: Math.floor(d(IF_DATA.baudrate) / 8),
    operstate: LINK_STATES[msg[dataOff + IF_DATA.linkState] ?? 0] ?? 'unknown',
    flags,
    up: (flags & IFF_UP) !== 0,
  };
  const link = linkAddress(msg, bodyOff, msg.readInt32LE(IF_MSGHDRL.addrs));
  if (link?.address) info.address = link.address;
  return { device: link?.name || `if${index}`, counters, info };
}

/** Walks the sockaddrs after the header (in RTAX order, each padded to 8) to the RTA_IFP sockaddr_dl. */
function linkAddress(msg: Buffer, start: number, addrs: number): { name: string; address: string } | undefined {
  let p = start;
  for (let bit = 1; bit <= IF_MSGHDRL.rtaIfp; bit <<= 1) {
    if ((addrs & bit) === 0) continue;
    if (p + SOCKADDR_DL.data > msg.length) return undefined;
    const saLen = msg[p] ?? 0;
    if (bit === IF_MSGHDRL.rtaIfp) {
      if (msg[p + SOCKADDR_DL.family] !== SOCKADDR_DL.afLink) return undefined;
      const nlen = msg[p + SOCKADDR_DL.nlen] ?? 0;
      const alen = msg[p + SOCKADDR_DL.alen] ?? 0;
      const nameStart = p + SOCKADDR_DL.data;
      const name = msg.toString('latin1', nameStart, Math.min(msg.length, nameStart + nlen));
      return { name, address: hwAddress(msg, nameStart + nlen, alen) };
    }
    p += saLen === 0 ? 8 : Math.ceil(saLen / 8) * 8;
  }
  return undefined;
}
