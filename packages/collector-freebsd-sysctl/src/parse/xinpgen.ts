import { XINPCB, XINPGEN } from './layouts.js';
import { u64big } from './bytes.js';

/** Which pcblist a buffer came from: TCP records are xtcpcb, UDP records are xinpcb. */
export type PcbKind = 'tcp' | 'udp';

/** The records of one pcblist dump, split by their own length fields. */
export interface PcbList {
  /** Each record as a view of exactly its `xt_len`/`xi_len` bytes. */
  records: Buffer[];
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
  /** Problems worth telling the operator, one line each. */
  warnings: string[];
}

/** Parse failure that leaves nothing usable. */
export interface PcbListError {
  /** What is wrong, one line. */
  error: string;
}

/** Minimum record length the walk accepts: the inpcb part with inp_gencnt and inp_vflag. */
const MIN_RECORD: Record<PcbKind, number> = { tcp: 8 + XINPCB.minLength, udp: XINPCB.minLength };
/** Documented record size, per kind (744 / 400 on 12–15). */
const DOCUMENTED_SIZE: Record<PcbKind, number> = { tcp: 744, udp: XINPCB.size };
/** Where inp_gencnt sits in a record: xinpcb is embedded at +8 in xtcpcb. */
const GENCNT_OFFSET: Record<PcbKind, number> = { tcp: 8 + XINPCB.gencnt, udp: XINPCB.gencnt };

/**
 * Splits a net.inet.{tcp,udp}.pcblist buffer into records. Steps by each record's own length
 * (never a compiled-in size), stops at the trailer, and reports a generation change so the
 * caller can retry. A record length below what a record needs (0 included) ends the walk
 * instead of looping. Never throws.
 */
export function parsePcbList(buf: Buffer, kind: PcbKind): PcbList | PcbListError {
  const name = `net.inet.${kind}.pcblist`;
  if (buf.length < XINPGEN.size) return { error: `${name}: ${buf.length} bytes is too short for the ${XINPGEN.size}-byte xinpgen header` };
  const headerLen = u64big(buf, XINPGEN.len);
  if (headerLen !== BigInt(XINPGEN.size)) return { error: `${name}: header xig_len is ${headerLen}, not ${XINPGEN.size}: unknown ABI, list not read` };
  const list: PcbList = {
    records: [],
    headerGen: u64big(buf, XINPGEN.gen),
    count: buf.readUInt32LE(XINPGEN.count),
    generationChanged: false,
    truncated: false,
    skippedNewer: 0,
    warnings: [],
  };
  let sizeWarned = false;
  let pos = XINPGEN.size;
  for (;;) {
    if (pos + 8 > buf.length) {
      list.truncated = true;
      break;
    }
    const lenBig = u64big(buf, pos);
    if (lenBig === BigInt(XINPGEN.size)) {
      if (pos + XINPGEN.size > buf.length) {
        list.truncated = true;
        break;
      }
      list.trailerGen = u64big(buf, pos + XINPGEN.gen);
      list.generationChanged = list.trailerGen !== list.headerGen;
      break;
    }
    if (lenBig < BigInt(MIN_RECORD[kind])) {
      list.warnings.push(`${name}: record at offset ${pos} has length ${lenBig}, below the ${MIN_RECORD[kind]} bytes a record needs; rest of the list skipped`);
      list.truncated = true;
      break;
    }
    const len = Number(lenBig);
    if (pos + len > buf.length) {
      list.truncated = true;
      break;
    }
    if (len !== DOCUMENTED_SIZE[kind] && !sizeWarned) {
      sizeWarned = true;
      list.warnings.push(`${name}: record length ${len} differs from the documented ${DOCUMENTED_SIZE[kind]} (FreeBSD 12–15); fields read at the 13/14 offsets`);
    }
    const record = buf.subarray(pos, pos + len);
    if (u64big(record, GENCNT_OFFSET[kind]) > list.headerGen) list.skippedNewer++;
    else list.records.push(record);
    pos += len;
  }
  if (list.truncated) list.warnings.push(`${name}: list ended without its trailer after ${list.records.length} records (truncated copy); data may be incomplete`);
  return list;
}
