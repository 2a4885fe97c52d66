import { readFile, stat } from 'node:fs/promises';
import {
  SockscopeError,
  compileConfigSchema,
  deepFreeze,
  durationSchema,
  errorMessage,
  fitsPlatform,
  parseDuration,
  renameDeprecatedKeys,
  type PluginDefinition,
  type PluginKind,
  type PluginRegistry,
} from '@sockscope/core';
import { parseDocument } from 'yaml';
import { SECTIONS, composeConfigSchema, type SchemaParts } from './schema.js';
import type { AgentConfig, PluginEntry } from './types.js';

/** The config used when no file is given: every default plugin of the platform, on their defaults. */
export const EMBEDDED_DEFAULT: Readonly<Record<string, unknown>> = Object.freeze({});

/** The largest config file read; a bigger one is refused before it is read (it is not a config). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a YAML file into a plain object. A missing, unreadable, non-regular, empty, binary or
 * oversized file, or one that is not YAML, is one clear error (ERR_CONFIG_INVALID).
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const refuse = (why: string, details: string[] = []) => new SockscopeError('ERR_CONFIG_INVALID', why, details);
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!info.isFile()) throw refuse(`cannot read config file ${path}: not a regular file`);
    if (info.size > MAX_CONFIG_BYTES) {
      throw refuse(`config file ${path} is ${formatBytes(info.size)}: a config file is at most ${formatBytes(MAX_CONFIG_BYTES)} (is this the right file?)`);
    }
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof SockscopeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((err as Error).message);
    throw refuse(`cannot read config file ${path}: ${why}`);
  }
  if (bytes.includes(0)) throw refuse(`config file ${path} is not text (it holds NUL bytes): is this the right file?`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw refuse(`config file ${path} is not UTF-8 text: is this the right file?`);
  }
  if (text.trim() === '') {
    throw refuse(`config file ${path} is empty: write the settings to change (see the README's Configuration), or leave out the file to run on the embedded default`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // the parser's message repeats the position the prefix gives: "… at line 3, column 1:"
    const lines = doc.errors.map((e) => `${path}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${(e.message.split('\n')[0] as string).replace(/ at line \d+, column \d+:?$/, '')}`);
    throw refuse(`config file ${path} is not valid YAML`, lines);
  }
  const value: unknown = doc.toJS();
  // a file of comments only: every default
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw refuse(`config file ${path} must hold a mapping at the top level (key: value lines), not ${Array.isArray(value) ? 'a list' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} bytes`;
}

/** A config translator for other formats (e.g. prometheus_ss_exporter's `logic:` files). */
export interface ConfigTranslator {
  /** True when the raw object is in this format. */
  detect(raw: Record<string, unknown>): boolean;
  /** Validates the foreign format (errors as `path: message`) and returns the native config. */
  translate(raw: Record<string, unknown>): { config: Record<string, unknown>; errors: string[]; warnings: string[] };
}

/** Result of validating a config: the config with defaults, or every error found. */
export interface ValidatedConfig {
  /** The native config with defaults applied (valid only when errors is empty). */
  config: AgentConfig;
  /** Every problem as `path: message`. */
  errors: string[];
  /** Things that work but deserve a look (e.g. translated keys). */
  warnings: string[];
}

/** Options of {@link validateConfig}. */
export interface ValidateOptions {
  /** Plugins the environment turns on (e.g. OTLP by OTEL_EXPORTER_OTLP_ENDPOINT): their `validateConfig` runs too. */
  enabledByEnv?: ReadonlySet<string>;
  /**
   * Changes made to the native config after translation and before validation, in order (the
   * command-line flags, which win over the file and are validated with it).
   */
  overrides?: readonly ((config: Record<string, unknown>) => void)[];
}

/**
 * Validates a raw config against the composed schema (core + every registered plugin), then,
 * when the schema found nothing, runs the extra checks, refuses durations no timer can wait, and
 * calls `validateConfig` of every enabled plugin (and the fallback of each enabled collector) on
 * its section with the schema's defaults applied, its lines prefixed with `collectors.<name>.`
 * (`enrichers.`, `sinks.`).
 */
export function validateConfig(
  raw: Record<string, unknown>,
  registry: PluginRegistry,
  parts: SchemaParts = {},
  translators: readonly ConfigTranslator[] = [],
  extraChecks: ((config: AgentConfig) => string[])[] = [],
  options: ValidateOptions = {},
): ValidatedConfig {
  let native = structuredClone(raw);
  const warnings: string[] = [];
  for (const t of translators) {
    if (t.detect(native)) {
      const r = t.translate(native);
      if (r.errors.length > 0) return { config: native as unknown as AgentConfig, errors: r.errors, warnings: r.warnings };
      native = r.config;
      warnings.push(...r.warnings);
      break;
    }
  }
  for (const apply of options.overrides ?? []) apply(native);
  warnings.push(...renameDeprecated(native, registry));
  const schema = composeConfigSchema(registry, parts);
  const durations = durationValues(schema, native);
  const errors = tidyDurationErrors(compileConfigSchema(schema)(native), durations);
  const config = native as unknown as AgentConfig;
  if (errors.length === 0) for (const check of extraChecks) errors.push(...check(config));
  if (errors.length === 0) errors.push(...durationLimitErrors(durationValues(schema, native)), ...pluginConfigErrors(config, registry, options.enabledByEnv));
  return { config, errors, warnings };
}

/** The plugins a validated config turns on that fit this platform (as the registry enables them, without the fallbacks). */
export function enabledPlugins(config: AgentConfig, registry: PluginRegistry, byEnv: ReadonlySet<string> = new Set()): PluginDefinition[] {
  const out: PluginDefinition[] = [];
  for (const [kind, key] of Object.entries(SECTIONS) as [PluginKind, 'collectors' | 'enrichers' | 'sinks'][]) {
    const entries = (config[key] ?? {}) as Record<string, PluginEntry | undefined>;
    for (const def of registry.list(kind)) {
      const entry = entries[def.name];
      const on = entry?.enabled !== false && (entry !== undefined || byEnv.has(def.name) || def.defaultEnabled === true);
      if (on && fitsPlatform(def, registry.currentPlatform) && !out.includes(def)) out.push(def);
    }
  }
  return out;
}

/**
 * What the schemas cannot check, from each enabled plugin's `validateConfig`, as
 * `collectors.<name>.<path>: message` lines; a `validateConfig` that throws is one line naming it.
 */
export function pluginConfigErrors(config: AgentConfig, registry: PluginRegistry, byEnv: ReadonlySet<string> = new Set()): string[] {
  const errors: string[] = [];
  const enabled = enabledPlugins(config, registry, byEnv);
  // a fallback takes over with its own section: check it with the collector it stands in for
  for (const def of [...enabled]) {
    const fallback = def.kind === 'collector' ? registry.fallbackFor(def) : undefined;
    if (fallback && !enabled.includes(fallback)) enabled.push(fallback);
  }
  for (const def of enabled) {
    if (typeof def.validateConfig !== 'function') continue;
    const prefix = `${SECTIONS[def.kind]}.${def.name}`;
    const entry = { ...((config[SECTIONS[def.kind]] ?? {})[def.name] ?? {}) } as Record<string, unknown>;
    delete entry.enabled;
    const withDefaults = structuredClone(entry);
    // the composed schema has already said what is wrong; this only fills the defaults
    if (compileConfigSchema(def.configSchema)(withDefaults).length > 0) continue;
    try {
      for (const line of (def.validateConfig as (c: unknown) => string[])(deepFreeze(withDefaults))) errors.push(`${prefix}.${line}`);
    } catch (err) {
      errors.push(`${prefix}: the plugin's validateConfig threw: ${errorMessage(err)}`);
    }
  }
  return errors;
}

/** Longest duration a Node timer can wait: 2^31 - 1 ms (about 596 h); a longer one fires at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const DURATION_PATTERN = (durationSchema.anyOf[0] as { pattern: string }).pattern;
const DURATION_HINT = 'must be a duration such as 500ms, 5s or 1m30s, or a number of seconds';

/** True for a schema node that is core's duration schema (possibly with a default and description). */
function isDurationSchema(node: unknown): boolean {
  const anyOf = (node as { anyOf?: { pattern?: string }[] } | undefined)?.anyOf;
  return Array.isArray(anyOf) && anyOf.some((b) => b?.pattern === DURATION_PATTERN);
}

/** Every duration of a config where its schema has one: dotted path → value. */
function durationValues(schema: unknown, value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!props || typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [key, sub] of Object.entries(props)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const at = path ? `${path}.${key}` : key;
    if (isDurationSchema(sub)) out.set(at, v);
    else durationValues(sub, v, at, out);
  }
  return out;
}

/** Durations longer than a timer can wait: `path: message`. */
function durationLimitErrors(durations: ReadonlyMap<string, unknown>): string[] {
  const errors: string[] = [];
  for (const [path, v] of durations) {
    let ms: number;
    try {
      ms = parseDuration(v as string | number);
    } catch {
      continue; // the schema said it
    }
    if (ms > MAX_DURATION_MS) errors.push(`${path}: ${JSON.stringify(v)} is longer than a timer can wait: at most 596h`);
  }
  return errors;
}

/**
 * A bad duration gives one line instead of ajv's two (one per anyOf branch): what a duration
 * looks like, or that it cannot be negative.
 */
function tidyDurationErrors(lines: readonly string[], durations: ReadonlyMap<string, unknown>): string[] {
  const replaced = new Map<string, string>();
  for (const [path, v] of durations) {
    if (!lines.some((l) => l.startsWith(`${path}: must `))) continue;
    replaced.set(path, typeof v === 'number' && v < 0 ? `${path}: a duration cannot be negative (got ${v})` : `${path}: ${DURATION_HINT} (got ${JSON.stringify(v)})`);
  }
  const out: string[] = [];
  for (const l of lines) {
    const i = l.indexOf(': must ');
    const r = i < 0 ? undefined : replaced.get(l.slice(0, i));
    if (r === undefined) out.push(l);
    else if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Renames the old camelCase keys of every registered plugin's section in place; one warning per key. */
function renameDeprecated(config: Record<string, unknown>, registry: PluginRegistry): string[] {
  const warnings: string[] = [];
  for (const [kind, section] of Object.entries(SECTIONS) as [PluginKind, string][]) {
    const entries = config[section];
    if (!entries || typeof entries !== 'object') continue;
    for (const [name, entry] of Object.entries(entries as Record<string, unknown>)) {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry) || !registry.has(kind, name)) continue;
      warnings.push(...renameDeprecatedKeys(entry as Record<string, unknown>, registry.get(kind, name).configSchema, `${section}.${name}`));
    }
  }
  return warnings;
}
