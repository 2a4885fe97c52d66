const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Prometheus-style duration (`500ms`, `1s`, `1m30s`) or a number of seconds into ms. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid duration ${value}: must be a non-negative number of seconds`);
    return value * 1000;
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * (UNITS[m[2] as string] ?? 0);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== value.length) {
    throw new Error(`invalid duration "${value}": use a number with a unit, e.g. 500ms, 5s, 1m`);
  }
  return total;
}

/** JSON Schema for a duration: `"5s"` style strings or seconds as a number. */
export const durationSchema = {
  anyOf: [
    { type: 'string', pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h))+$' },
    { type: 'number', minimum: 0 },
  ],
} as const;
