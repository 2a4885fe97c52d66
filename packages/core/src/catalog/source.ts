import type { SocketRecord } from '../types/socket.js';
import type { SourceField } from './types.js';

/** Reads one catalog source field of a socket in base units; undefined when the socket lacks it. */
export type SourceReader = (s: SocketRecord) => number | undefined;

/**
 * Compiles a source path into a reader once, so the per-socket work is two property reads
 * and one arithmetic operation (bigint fields such as `tcp.bytesAcked` become numbers: exact
 * up to 2^53). `extraScale` multiplies on top (seconds → ms for the compat profile).
 */
export function compileSource(source: SourceField, extraScale = 1): SourceReader {
  const parts = source.path.split('.');
  const convert = converter(source.scale * extraScale);
  if (parts.length === 1) {
    const key = parts[0] as string;
    return (s) => convert((s as unknown as Record<string, unknown>)[key]);
  }
  if (parts.length === 2) {
    const outer = parts[0] as string;
    const inner = parts[1] as string;
    return (s) => {
      const o = (s as unknown as Record<string, Record<string, unknown> | undefined>)[outer];
      return o === undefined ? undefined : convert(o[inner]);
    };
  }
  throw new Error(`catalog source path "${source.path}" is deeper than two levels`);
}

// Dividing by 1e6 is correctly rounded where multiplying by 1e-6 is not (38 µs → 0.000038 s,
// not 0.000038000000000000005), so a fractional scale that is an exact reciprocal divides.
function converter(scale: number): (v: unknown) => number | undefined {
  const inv = Math.round(1 / scale);
  if (scale < 1 && Math.abs(inv * scale - 1) < 1e-12) {
    return (v) => (typeof v === 'number' ? v / inv : typeof v === 'bigint' ? Number(v) / inv : undefined);
  }
  if (scale === 1) return (v) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);
  return (v) => (typeof v === 'number' ? v * scale : typeof v === 'bigint' ? Number(v) * scale : undefined);
}
