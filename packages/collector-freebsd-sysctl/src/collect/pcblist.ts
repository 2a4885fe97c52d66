import type { SysctlReader } from '../sysctl-reader.js';
import { parsePcbList, type PcbKind, type PcbList } from '../parse/xinpgen.js';

/** One pcblist read after generation retries. */
export interface PcbListRead {
  /** The list, absent when it could not be read or parsed. */
  list?: PcbList;
  /** Reads made (1 when the first was consistent). */
  attempts: number;
  /** The data may be inconsistent (generation kept changing, or the list was truncated). */
  inconsistent: boolean;
  /** Problems, one line each. */
  warnings: string[];
}

/**
 * Reads net.inet.{tcp,udp}.pcblist, re-reading while the header and trailer generations
 * differ (the table changed during the copy), at most `retries` extra times as sockstat does;
 * after that the last list is used and marked inconsistent.
 */
export async function readPcbList(reader: SysctlReader, kind: PcbKind, retries: number, signal: AbortSignal): Promise<PcbListRead> {
  const name = `net.inet.${kind}.pcblist`;
  const out: PcbListRead = { attempts: 0, inconsistent: false, warnings: [] };
  for (;;) {
    signal.throwIfAborted();
    out.attempts++;
    const r = await reader.byName(name);
    if (!r.ok) {
      out.warnings.push(r.message);
      return out;
    }
    const parsed = parsePcbList(r.buf, kind);
    if ('error' in parsed) {
      out.warnings.push(parsed.error);
      return out;
    }
    out.list = parsed;
    if (!parsed.generationChanged) break;
    if (out.attempts > retries) {
      out.warnings.push(`${name}: generation changed during each of ${out.attempts} reads (busy table); the last read is used and may be inconsistent`);
      out.inconsistent = true;
      break;
    }
  }
  out.warnings.push(...out.list.warnings);
  if (out.list.truncated) out.inconsistent = true;
  return out;
}
