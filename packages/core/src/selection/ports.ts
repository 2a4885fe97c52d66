/** A port range in config: a port number, `"8080"`, or `"8000-9000"` (inclusive). */
export type PortRangeSpec = number | string;

/** Parses a port range; returns [lower, upper] or an error message. */
export function parsePortRange(spec: PortRangeSpec): [number, number] | string {
  let lower: number;
  let upper: number;
  if (typeof spec === 'number') {
    lower = upper = spec;
  } else {
    const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(spec);
    if (!m) return `"${spec}" is not a port or a port range (use 443 or "8000-9000")`;
    lower = Number(m[1]);
    upper = m[2] === undefined ? lower : Number(m[2]);
  }
  if (!Number.isInteger(lower) || lower < 0 || upper > 65535) return `${JSON.stringify(spec)}: ports run from 0 to 65535`;
  if (lower > upper) return `${JSON.stringify(spec)}: the lower port ${lower} is above the upper port ${upper}`;
  return [lower, upper];
}

/**
 * A port set as a 64 Ki bitmap, so matching a socket is one array read whatever the number of
 * ranges. Invalid specs are skipped here; validation reports them.
 */
export function compilePortSet(specs: readonly PortRangeSpec[]): Uint8Array {
  const set = new Uint8Array(65536);
  for (const spec of specs) {
    const r = parsePortRange(spec);
    if (typeof r === 'string') continue;
    set.fill(1, r[0], r[1] + 1);
  }
  return set;
}
