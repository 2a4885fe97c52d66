import { decimal, fields, lines, quote, type Parsed } from './text.js';

/** One row of /proc/net/dev: the device and its counters under node_exporter's names. */
export interface NetDevRow {
  /** Interface name. */
  device: string;
  /** `receive_bytes`, `transmit_packets`, … as named by the file's own header. */
  counters: Record<string, number>;
}

// The layout every kernel since 2.6 prints; used only when the header itself is unreadable.
const STANDARD = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'];
const STANDARD_TX = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'];

/**
 * Parses /proc/net/dev. Column names come from the second header line
 * (` face |bytes packets …|bytes packets …`), so node_exporter's `receive_<col>` and
 * `transmit_<col>` names fall out of the file instead of a table compiled in here.
 */
export function parseNetDev(text: string): Parsed<NetDevRow[]> {
  const all = lines(text);
  const problems: string[] = [];
  let names = headerNames(all[1]);
  if (!names) {
    problems.push(`line 2: header is not "face |<receive columns>|<transmit columns>"`);
    names = [...STANDARD.map((c) => `receive_${c}`), ...STANDARD_TX.map((c) => `transmit_${c}`)];
  }
  const value: NetDevRow[] = [];
  for (let i = 2; i < all.length; i++) {
    const line = all[i] as string;
    const colon = line.indexOf(':');
    if (colon < 0) {
      if (line.trim() !== '') problems.push(`line ${i + 1}: no "<device>:" prefix`);
      continue;
    }
    const device = line.slice(0, colon).trim();
    const vals = fields(line.slice(colon + 1));
    if (device === '' || vals.length !== names.length) {
      problems.push(`line ${i + 1}: ${device || '(no name)'} has ${vals.length} values, the header names ${names.length}`);
      continue;
    }
    const counters: Record<string, number> = {};
    let bad: string | undefined;
    for (let k = 0; k < names.length; k++) {
      const v = decimal(vals[k] as string);
      if (v === undefined || v < 0) {
        bad = vals[k];
        break;
      }
      counters[names[k] as string] = v;
    }
    if (bad !== undefined) {
      problems.push(`line ${i + 1}: ${device} has a value that is not a counter: ${quote(bad)}`);
      continue;
    }
    value.push({ device, counters });
  }
  return { value, problems };
}

function headerNames(line: string | undefined): string[] | undefined {
  if (line === undefined) return undefined;
  const parts = line.split('|');
  if (parts.length !== 3) return undefined;
  const rx = fields(parts[1] as string);
  const tx = fields(parts[2] as string);
  if (rx.length === 0 || tx.length === 0) return undefined;
  return [...rx.map((c) => `receive_${c}`), ...tx.map((c) => `transmit_${c}`)];
}
