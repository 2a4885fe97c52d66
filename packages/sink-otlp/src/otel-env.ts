import { OtlpSinkError } from './errors.js';

/** Environment variables as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, or undefined when unset or blank (the OTel spec treats empty as unset). */
export function envValue(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/**
 * Parses the `key1=value1,key2=value2` lists of OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_RESOURCE_ATTRIBUTES: entries are trimmed and percent-decoded; a malformed entry is an error
 * naming the variable rather than a silently dropped header.
 */
export function parseKeyValueList(raw: string | undefined, variable: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const entry of raw.split(',')) {
    if (!entry.trim()) continue;
    const eq = entry.indexOf('=');
    const key = eq > 0 ? decode(entry.slice(0, eq).trim(), variable) : '';
    if (!key) {
      throw new OtlpSinkError('ERR_OTLP_CONFIG_INVALID', `${variable}: entry "${entry.trim()}" is not key=value (use ${variable}="key1=value1,key2=value2")`);
    }
    out[key] = decode(entry.slice(eq + 1).trim(), variable);
  }
  return out;
}

function decode(s: string, variable: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new OtlpSinkError('ERR_OTLP_CONFIG_INVALID', `${variable}: "${s}" has a broken percent-escape (write %25 for a literal %)`);
  }
}

/** A positive integer of milliseconds from a variable such as OTEL_METRIC_EXPORT_INTERVAL. */
export function envMillis(env: Env, name: string): number | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new OtlpSinkError('ERR_OTLP_CONFIG_INVALID', `${name}="${raw}" must be a positive whole number of milliseconds, e.g. ${name}=15000`);
  }
  return n;
}
