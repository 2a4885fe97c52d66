import { NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_OVERRUN } from './constants.js';

/** One netlink message found in a datagram, pointing into the datagram's buffer. */
export interface NetlinkMessage {
  /** nlmsg_type. */
  type: number;
  /** nlmsg_flags. */
  flags: number;
  /** nlmsg_seq: the sequence number of the request it answers. */
  seq: number;
  /** Byte offset of the payload (after the header). */
  payloadOffset: number;
  /** Payload length in bytes. */
  payloadLength: number;
}

/** What one datagram of a dump holds. */
export interface DatagramScan {
  /** The data messages, in order (DONE, ERROR and NOOP are folded into the fields below). */
  messages: NetlinkMessage[];
  /** NLMSG_DONE was seen: the dump is over. */
  done: boolean;
  /** A positive errno from NLMSG_ERROR, or from a DONE that carries one; 0 when none. */
  errno: number;
  /** Sequence number of the DONE or ERROR message, when one was seen. */
  endSeq?: number;
  /** Some message carried NLM_F_DUMP_INTR: the table changed while it was dumped. */
  interrupted: boolean;
  /** NLMSG_OVERRUN was seen: the kernel dropped messages. */
  overrun: boolean;
  /** Why the datagram ended early (a message longer than what is left, trailing garbage). */
  truncated?: string;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Splits one received datagram (`length` bytes of `buf`) into netlink messages. Never throws. */
export function scanDatagram(buf: Buffer, length: number = buf.length): DatagramScan {
  const end = Math.min(length, buf.length);
  const scan: DatagramScan = { messages: [], done: false, errno: 0, interrupted: false, overrun: false };
  let off = 0;
  while (off < end) {
    if (end - off < NLMSG_HDRLEN) {
      scan.truncated = `${end - off} stray bytes after the last message at byte ${off}`;
      break;
    }
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || len > end - off) {
      scan.truncated = `message at byte ${off} claims ${len} bytes, ${end - off} are left`;
      break;
    }
    const type = buf.readUInt16LE(off + 4);
    const flags = buf.readUInt16LE(off + 6);
    const seq = buf.readUInt32LE(off + 8);
    if (flags & NLM_F_DUMP_INTR) scan.interrupted = true;
    const payloadOffset = off + NLMSG_HDRLEN;
    const payloadLength = len - NLMSG_HDRLEN;
    if (type === NLMSG_DONE || type === NLMSG_ERROR) {
      // Both carry an int: 0 or a negative errno. An ERROR without one is itself malformed.
      const code = payloadLength >= 4 ? buf.readInt32LE(payloadOffset) : 0;
      scan.errno = code < 0 ? -code : 0;
      scan.done = true;
      scan.endSeq = seq;
      if (type === NLMSG_ERROR && payloadLength < 4) scan.truncated = `NLMSG_ERROR at byte ${off} has no error code`;
      break;
    }
    if (type === NLMSG_OVERRUN) scan.overrun = true;
    else if (type !== NLMSG_NOOP) scan.messages.push({ type, flags, seq, payloadOffset, payloadLength });
    off += align4(len);
  }
  return scan;
}
