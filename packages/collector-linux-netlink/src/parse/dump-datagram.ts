import type { Protocol, SocketVisitor } from '@sockscope/core';
import { SOCK_DIAG_BY_FAMILY } from './constants.js';
import { scanDatagram } from './netlink-messages.js';
import { parseDiagMessage } from './socket-record.js';

/** What one datagram contributed to a dump. */
export interface DatagramOutcome {
  /** Socket records parsed (already handed to the caller's visitor). */
  parsed: number;
  /** The dump answering `seq` is over (DONE or ERROR seen). */
  done: boolean;
  /** Positive errno the kernel ended the dump with; 0 when none. */
  errno: number;
  /** The kernel flagged NLM_F_DUMP_INTR: the socket table changed during the dump. */
  interrupted: boolean;
  /** Messages left over from an earlier request (another sequence number), skipped. */
  stale: number;
  /** Malformed parts, one line each. */
  problems: string[];
}

/**
 * Parses one received datagram of a sock_diag dump for request `seq` (its replies are of the
 * request's `type`: SOCK_DIAG_BY_FAMILY, or TCPDIAG_GETSOCK for both families), handing a record per
 * reply to `visit` as soon as it is parsed (nothing is kept here).
 * Total: malformed input becomes `problems`, never an exception (a visitor's own throw passes).
 * `netns`: the namespace inode each record is tagged with.
 */
export function parseDumpDatagram(buf: Buffer, length: number, seq: number, protocol: Protocol, visit: SocketVisitor, type = SOCK_DIAG_BY_FAMILY, netns?: number): DatagramOutcome {
  const scan = scanDatagram(buf, length);
  const out: DatagramOutcome = { parsed: 0, done: false, errno: 0, interrupted: scan.interrupted, stale: 0, problems: [] };
  if (scan.truncated) out.problems.push(`truncated datagram: ${scan.truncated}`);
  if (scan.overrun) out.problems.push('NLMSG_OVERRUN: the kernel dropped messages');
  for (const m of scan.messages) {
    if (m.seq !== seq) {
      out.stale++;
      continue;
    }
    if (m.type !== type) {
      out.problems.push(`unexpected netlink message type ${m.type}`);
      continue;
    }
    const parsed = parseDiagMessage(buf, m.payloadOffset, m.payloadLength, protocol, netns);
    if (parsed.problem) out.problems.push(parsed.problem);
    if (parsed.record) {
      visit(parsed.record);
      out.parsed++;
    }
  }
  if (scan.done) {
    if (scan.endSeq === seq) {
      out.done = true;
      out.errno = scan.errno;
    } else out.stale++;
  }
  return out;
}
