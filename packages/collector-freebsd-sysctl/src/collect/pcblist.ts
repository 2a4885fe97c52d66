import type { Warning } from '@sockscope/core';
import { freebsdWarning } from '../errors.js';
import type { SysctlReader } from '../sysctl-reader.js';
import { walkPcbList, type PcbKind, type PcbListFrame } from '../parse/xinpgen.js';

/** One pcblist read after generation retries: the buffer to walk, not yet split into records. */
export interface PcbListRead {
  /** Which list. */
  kind: PcbKind;
  /** The dump, absent when it could not be read or its header is unusable. */
  buf?: Buffer;
  /** What walking `buf` found (kept records, generations, truncation). */
  frame?: PcbListFrame;
  /** Reads made (1 when the first was consistent). */
  attempts: number;
  /** The data may be inconsistent (generation kept changing, or the list was truncated). */
  inconsistent: boolean;
  /** Problems worth telling the operator. */
  warnings: Warning[];
}

/**
 * Reads net.inet.{tcp,udp}.pcblist, re-reading while the header and trailer generations
 * differ (the table changed during the copy), at most `retries` extra times as sockstat does;
 * after that the last list is used and marked inconsistent. Checks the framing only: the
 * records are left in the buffer for the caller to walk.
 */
export async function readPcbList(reader: SysctlReader, kind: PcbKind, retries: number, signal: AbortSignal): Promise<PcbListRead> {
  const name = `net.inet.${kind}.pcblist`;
  const out: PcbListRead = { kind, attempts: 0, inconsistent: false, warnings: [] };
  for (;;) {
    signal.throwIfAborted();
    out.attempts++;
    const r = await reader.byName(name);
    if (!r.ok) {
      out.warnings.push(freebsdWarning(r.code, r.message));
      return out;
    }
    const frame = walkPcbList(r.buf, kind);
    if ('error' in frame) {
      out.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', frame.error));
      return out;
    }
    out.buf = r.buf;
    out.frame = frame;
    if (!frame.generationChanged) break;
    if (out.attempts > retries) {
      out.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_INCONSISTENT', `${name}: generation changed during each of ${out.attempts} reads (busy table); the last read is used and may be inconsistent`));
      out.inconsistent = true;
      break;
    }
  }
  out.warnings.push(...out.frame.warnings);
  if (out.frame.truncated) out.inconsistent = true;
  return out;
}
