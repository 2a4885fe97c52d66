import type { Warning } from '@sockscope/core';
import { freebsdWarning } from '../errors.js';
import { tcpstatLayoutForLength, TCPSTAT_LAYOUTS } from './layouts.js';
import { u64 } from './bytes.js';

/** Decoded net.inet.tcp.stats. */
export interface Tcpstat {
  /** Counters by tcpstat field name without the `tcps_` prefix (e.g. `sndtotal`). */
  counters: Record<string, number>;
  /** Release line whose layout matched the returned length. */
  major: number;
  /** Problems worth telling the operator. */
  warnings: Warning[];
}

/**
 * Decodes struct tcpstat. The layout is picked by the returned length (904 bytes on 13, 984 on
 * 14) because 14 inserted fields mid-struct; kern.osreldate's major, when given, only cross-checks.
 */
export function parseTcpstat(buf: Buffer, osMajor?: number): Tcpstat | { error: string } {
  const layout = tcpstatLayoutForLength(buf.length);
  if (!layout) {
    const known = TCPSTAT_LAYOUTS.map((l) => `${l.size} (FreeBSD ${l.major})`).join(', ');
    return { error: `net.inet.tcp.stats returned ${buf.length} bytes, a tcpstat length this collector has no layout for (known: ${known}); TCP counters skipped` };
  }
  const warnings: Warning[] = [];
  if (osMajor !== undefined && osMajor !== layout.major) {
    warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_LAYOUT', `net.inet.tcp.stats is ${buf.length} bytes (the FreeBSD ${layout.major} layout) but kern.osreldate says FreeBSD ${osMajor}; decoded by length`));
  }
  const counters: Record<string, number> = {};
  for (const [field, off] of Object.entries(layout.fields)) counters[field] = u64(buf, off);
  return { counters, major: layout.major, warnings };
}
