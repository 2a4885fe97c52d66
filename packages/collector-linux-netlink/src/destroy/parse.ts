import type { Protocol, SocketRecord } from '@sockscope/core';
import { INET_DIAG, INET_DIAG_MSG_LEN, IPPROTO_TCP, IPPROTO_UDP, NLA_TYPE_MASK, SOCK_DIAG_BY_FAMILY } from '../parse/constants.js';
import { scanDatagram } from '../parse/netlink-messages.js';
import { parseDiagMessage } from '../parse/socket-record.js';

/** What one destroy-event datagram held. */
export interface DestroyDatagramOutcome {
  /** Records handed to the visitor. */
  parsed: number;
  /** Malformed or unexpected parts, one line each (the records read before them are kept). */
  problems: string[];
}

/**
 * The transport of a destroy event, from its INET_DIAG_PROTOCOL attribute (the kernel puts it
 * in every broadcast, before INET_DIAG_INFO). A multicast datagram does not say which group it
 * came from, and the inet_diag_msg has no protocol field, so this attribute is the only source.
 */
function protocolOf(buf: Buffer, off: number, len: number): Protocol | string {
  const end = off + len;
  let at = off + INET_DIAG_MSG_LEN;
  while (end - at >= 4) {
    const alen = buf.readUInt16LE(at);
    if (alen < 4 || alen > end - at) break;
    if ((buf.readUInt16LE(at + 2) & NLA_TYPE_MASK) === INET_DIAG.PROTOCOL) {
      if (alen < 5) return 'an empty INET_DIAG_PROTOCOL';
      const p = buf[at + 4];
      return p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : `IP protocol ${p} (neither TCP nor UDP)`;
    }
    at += (alen + 3) & ~3;
  }
  return 'no INET_DIAG_PROTOCOL attribute';
}

/**
 * Parses one datagram read from a socket subscribed to the sock_diag destroy groups: each
 * message is an inet_diag_msg with the same attributes as a dump reply, parsed by the dump's
 * own {@link parseDiagMessage}. Every record gets `closedAt` (when the event was read, ms since
 * the epoch). Total: malformed input becomes `problems`, never an exception.
 */
export function parseDestroyDatagram(buf: Buffer, length: number, closedAt: number, visit: (r: SocketRecord) => void): DestroyDatagramOutcome {
  const scan = scanDatagram(buf, length);
  const out: DestroyDatagramOutcome = { parsed: 0, problems: [] };
  if (scan.truncated) out.problems.push(`truncated datagram: ${scan.truncated}`);
  if (scan.overrun) out.problems.push('NLMSG_OVERRUN: the kernel dropped messages');
  if (scan.done) out.problems.push(scan.errno ? `unexpected NLMSG_ERROR/DONE with errno ${scan.errno}` : 'unexpected NLMSG_DONE or ack');
  for (const m of scan.messages) {
    if (m.type !== SOCK_DIAG_BY_FAMILY) {
      out.problems.push(`unexpected netlink message type ${m.type}`);
      continue;
    }
    if (m.payloadLength < INET_DIAG_MSG_LEN) {
      out.problems.push(`inet_diag_msg of ${m.payloadLength} bytes, needs ${INET_DIAG_MSG_LEN}`);
      continue;
    }
    const protocol = protocolOf(buf, m.payloadOffset, m.payloadLength);
    if (protocol !== 'tcp' && protocol !== 'udp') {
      out.problems.push(`destroy event with ${protocol}`);
      continue;
    }
    const parsed = parseDiagMessage(buf, m.payloadOffset, m.payloadLength, protocol);
    if (parsed.problem) out.problems.push(parsed.problem);
    if (parsed.record) {
      parsed.record.closedAt = closedAt;
      visit(parsed.record);
      out.parsed++;
    }
  }
  return out;
}
