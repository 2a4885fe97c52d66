import type { Warning } from '@sockscope/core';
import { freebsdWarning } from '../errors.js';
import { XINPCB, XINPGEN } from './layouts.js';
import { u64big } from './bytes.js';

/** Which pcblist a buffer came from: TCP records are xtcpcb, UDP records are xinpcb. */
export type PcbKind = 'tcp' | 'udp';

/** What one walk of a pcblist dump found (the records themselves go to the walk's callback). */
export interface PcbListFrame {
  /** Records handed to the callback (complete, and not newer than the header generation). */
  kept: number;
  /** Header `xig_gen`: the pcb generation when the kernel started the walk. */
  headerGen: bigint;
  /** Trailer `xig_gen`, absent when the list has no trailer. */
  trailerGen?: bigint;
  /** Header `xig_count` (an estimate; never used to size the parse). */
  count: number;
  /** Header and trailer generations differ: the list changed during the copy; read it again. */
  generationChanged: boolean;
  /** The list ended without a trailer or inside a record. */
  truncated: boolean;
  /** Records skipped because their `inp_gencnt` is newer than the header generation. */
  skippedNewer: number;
  /** Problems worth telling the operator. */
  warnings: Warning[];
}

/** The records of one pcblist dump as a list (for tests and library users; the collector walks). */
export interface PcbList extends PcbListFrame {
  /** Each record as a view of exactly its `xt_len`/`xi_len` bytes. */
  records: Buffer[];
}

/** Parse failure that leaves nothing usable. */
export interface PcbListError {
  /** What is wrong, one line. */
  error: string;
}

/** Where the xinpcb sits in a record: at +8 in xtcpcb (after xt_len), at 0 in a UDP record. */
export const INPCB_OFFSET: Record<PcbKind, number> = { tcp: 8, udp: 0 };
/** Minimum record length the walk accepts: the inpcb part with inp_gencnt and inp_vflag. */
const MIN_RECORD: Record<PcbKind, number> = { tcp: INPCB_OFFSET.tcp + XINPCB.minLength, udp: XINPCB.minLength };
/** Documented record size, per kind (744 / 400 on 12–15). */
const DOCUMENTED_SIZE: Record<PcbKind, number> = { tcp: 744, udp: XINPCB.size };

/**
 * Walks a net.inet.{tcp,udp}.pcblist buffer, handing each record (a view of exactly its bytes)
 * to `onRecord` in kernel order without keeping any. Steps by each record's own length (never a
 * compiled-in size), stops at the trailer, and reports a generation change so the caller can
 * retry. A record length below what a record needs (0 included) ends the walk instead of
 * looping. Never throws (unless `onRecord` does).
 */
export function walkPcbList(buf: Buffer, kind: PcbKind, onRecord?: (record: Buffer) => void): PcbListFrame | PcbListError {
  const name = `net.inet.${kind}.pcblist`;
  if (buf.length < XINPGEN.size) return { error: `${name}: ${buf.length} bytes is too short for the ${XINPGEN.size}-byte xinpgen header` };
  const headerLen = u64big(buf, XINPGEN.len);
  if (headerLen !== BigInt(XINPGEN.size)) return { error: `${name}: header xig_len is ${headerLen}, not ${XINPGEN.size}: unknown ABI, list not read` };
  const frame: PcbListFrame = {
    kept: 0,
    headerGen: u64big(buf, XINPGEN.gen),
    count: buf.readUInt32LE(XINPGEN.count),
    generationChanged: false,
    truncated: false,
    skippedNewer: 0,
    warnings: [],
  };
  const gencntAt = INPCB_OFFSET[kind] + XINPCB.gencnt;
  let sizeWarned = false;
  let pos = XINPGEN.size;
  for (;;) {
    if (pos + 8 > buf.length) {
      frame.truncated = true;
      break;
    }
    const lenBig = u64big(buf, pos);
    if (lenBig === BigInt(XINPGEN.size)) {
      if (pos + XINPGEN.size > buf.length) {
        frame.truncated = true;
        break;
      }
      frame.trailerGen = u64big(buf, pos + XINPGEN.gen);
      frame.generationChanged = frame.trailerGen !== frame.headerGen;
      break;
    }
    if (lenBig < BigInt(MIN_RECORD[kind])) {
      frame.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', `${name}: record at offset ${pos} has length ${lenBig}, below the ${MIN_RECORD[kind]} bytes a record needs; rest of the list skipped`));
      frame.truncated = true;
      break;
    }
    const len = Number(lenBig);
    if (pos + len > buf.length) {
      frame.truncated = true;
      break;
    }
    if (len !== DOCUMENTED_SIZE[kind] && !sizeWarned) {
      sizeWarned = true;
      frame.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_LAYOUT', `${name}: record length ${len} differs from the documented ${DOCUMENTED_SIZE[kind]} (FreeBSD 12–15); fields read at the 13/14 offsets`));
    }
    if (u64big(buf, pos + gencntAt) > frame.headerGen) frame.skippedNewer++;
    else {
      frame.kept++;
      onRecord?.(buf.subarray(pos, pos + len));
    }
    pos += len;
  }
  if (frame.truncated) frame.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_INCONSISTENT', `${name}: list ended without its trailer after ${frame.kept} records (truncated copy); data may be incomplete`));
  return frame;
}

/** Splits a pcblist buffer into its records: {@link walkPcbList} keeping every record it walks. */
export function parsePcbList(buf: Buffer, kind: PcbKind): PcbList | PcbListError {
  const records: Buffer[] = [];
  const frame = walkPcbList(buf, kind, (r) => void records.push(r));
  return 'error' in frame ? frame : { ...frame, records };
}

/** The record's xso_so (kernel address of its struct socket, 0 when none): the kern.file join key. */
export function pcbSocketAddress(record: Buffer, kind: PcbKind): bigint {
  return u64big(record, INPCB_OFFSET[kind] + XINPCB.xsoSo);
}
