import type { SoftnetStats } from '@sockscope/core';
import { fields, hex, lines, quote, type Parsed } from './text.js';

// Column positions in net/core/net-procfs.c softnet_seq_show(); later kernels append columns.
const COL_CPU_COLLISION = 8;
const COL_RECEIVED_RPS = 9;
const COL_FLOW_LIMIT = 10;
const COL_BACKLOG_LEN = 11;
const COL_CPU_INDEX = 12;

/**
 * Parses /proc/net/softnet_stat: one row of hex columns per online CPU. The CPU number is the
 * 13th column where the kernel prints it (5.10+; offline CPUs leave gaps), else the row number.
 * Columns a kernel does not print stay undefined, so nothing is published for them.
 */
export function parseSoftnet(text: string): Parsed<SoftnetStats[]> {
  const value: SoftnetStats[] = [];
  const problems: string[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const f = fields(all[i] as string);
    if (f.length === 0) continue;
    const cols: number[] = [];
    for (const s of f) {
      const v = hex(s);
      if (v === undefined) break;
      cols.push(v);
    }
    if (cols.length !== f.length) {
      problems.push(`line ${i + 1}: a column is not hexadecimal: ${quote(all[i] as string)}`);
      continue;
    }
    if (cols.length < 3) {
      problems.push(`line ${i + 1}: ${cols.length} columns, at least 3 expected (processed dropped time_squeeze)`);
      continue;
    }
    const s: SoftnetStats = {
      cpu: cols[COL_CPU_INDEX] ?? i,
      processed: cols[0] as number,
      dropped: cols[1] as number,
      timesSqueezed: cols[2] as number,
    };
    if (cols.length > COL_CPU_COLLISION) s.cpuCollision = cols[COL_CPU_COLLISION];
    if (cols.length > COL_RECEIVED_RPS) s.receivedRps = cols[COL_RECEIVED_RPS];
    if (cols.length > COL_FLOW_LIMIT) s.flowLimitCount = cols[COL_FLOW_LIMIT];
    if (cols.length > COL_BACKLOG_LEN) s.backlogLen = cols[COL_BACKLOG_LEN];
    value.push(s);
  }
  return { value, problems };
}
