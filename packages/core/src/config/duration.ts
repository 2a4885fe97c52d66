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

/**
 * The longest duration a config may hold: 596h. A Node timer waits at most 2^31 - 1 ms (596h31m);
 * a longer one fires after 1 ms, so an interval of 1000h would run every millisecond.
 */
export const MAX_DURATION_MS = 596 * UNITS.h!;

/** How {@link MAX_DURATION_MS} is written in messages. */
export const MAX_DURATION_TEXT = '596h';

/** The schema keyword that carries a duration's range; {@link compileConfigSchema} enforces it. */
export const DURATION_KEYWORD = 'x-duration';

/** The range a duration keyword asks for: `positive` refuses zero. */
export interface DurationRange {
  /** Refuse zero (a timeout or an interval of 0 makes no sense). */
  positive?: boolean;
}

const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h))+$';

/**
 * JSON Schema for a duration: `"5s"` style strings or seconds as a number, from 0 to 596h.
 * Validated by {@link compileConfigSchema}, every problem is one line: what a duration looks like,
 * that it cannot be negative, or `must be at most 596h`.
 */
export const durationSchema = {
  anyOf: [
    { type: 'string', pattern: DURATION_PATTERN },
    { type: 'number', minimum: 0 },
  ],
  [DURATION_KEYWORD]: {},
} as const;

/** {@link durationSchema} that refuses zero: for timeouts and intervals. */
export const positiveDurationSchema = {
  anyOf: durationSchema.anyOf,
  [DURATION_KEYWORD]: { positive: true },
} as const;

/** True for a schema node that is a duration (this one, or an older copy of it without the keyword). */
export function isDurationSchema(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  if (DURATION_KEYWORD in node) return true;
  const anyOf = (node as { anyOf?: unknown }).anyOf;
  return Array.isArray(anyOf) && anyOf.some((b) => (b as { pattern?: unknown } | undefined)?.pattern === DURATION_PATTERN);
}

/**
 * What is wrong with a config value for a duration of this range, as the message after `path: `,
 * or undefined when it is fine.
 */
export function durationProblem(value: unknown, range: DurationRange = {}): string | undefined {
  const got = `(got ${JSON.stringify(value)})`;
  if (typeof value === 'number' && Number.isFinite(value) && value < 0) return `a duration cannot be negative ${got}`;
  let ms: number;
  try {
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error('not a duration');
    ms = parseDuration(value);
  } catch {
    return `must be a duration such as 500ms, 5s or 1m30s, or a number of seconds ${got}`;
  }
  if (range.positive && ms <= 0) return `must be longer than zero ${got}`;
  if (!(ms <= MAX_DURATION_MS)) return `must be at most ${MAX_DURATION_TEXT}, the longest a timer can wait ${got}`;
  return undefined;
}
