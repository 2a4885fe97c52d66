import { readFile, stat } from 'node:fs/promises';
import {
  SockscopeError,
  compileConfigSchema,
  deepFreeze,
  errorMessage,
  fitsPlatform,
  renameDeprecatedKeys,
  type ConfigValidator,
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

/** The most YAML aliases (`*name`) a config file may resolve: a few are handy, a billion laughs are not. */
export const MAX_CONFIG_ALIASES = 100;

/** A config file as read: its settings, and why it holds none when it holds none. */
export interface ConfigFile {
  /** The file's settings (an empty object for a file without any). */
  raw: Record<string, unknown>;
  /** Set when the file holds no settings, so the embedded default applies: `empty` (nothing or blanks) or `only comments`. */
  noSettings?: 'empty' | 'only comments';
}

/**
 * Reads a YAML file into a plain object. A missing, unreadable, non-regular, binary or oversized
 * file (over {@link MAX_CONFIG_BYTES}, refused before it is read), one that is not YAML, and one
 * whose aliases expand past {@link MAX_CONFIG_ALIASES} are one clear error naming the file
 * (ERR_CONFIG_INVALID). An empty file, or one of comments only, is the embedded default.
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  return (await readConfigFileInfo(path)).raw;
}

/** {@link readConfigFile}, telling also whether the file holds no settings at all. */
export async function readConfigFileInfo(path: string): Promise<ConfigFile> {
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
  // it may have grown between stat and read (a log, a device): the limit holds for what was read
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw refuse(`config file ${path} is over ${formatBytes(MAX_CONFIG_BYTES)}: a config file is at most ${formatBytes(MAX_CONFIG_BYTES)} (is this the right file?)`);
  }
  if (bytes.includes(0)) throw refuse(`config file ${path} is not text (it holds NUL bytes): is this the right file?`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw refuse(`config file ${path} is not UTF-8 text: is this the right file?`);
  }
  // an empty file is the embedded default, as no file is
  if (text.trim() === '') return { raw: {}, noSettings: 'empty' };
  const deep = nestingBeyond(text, MAX_CONFIG_DEPTH);
  if (deep) {
    throw refuse(`config file ${path} nests deeper than ${MAX_CONFIG_DEPTH} levels (at line ${deep.line}): a config needs far fewer; is this the right file?`);
  }
  let value: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      // the parser's message repeats the position the prefix gives: "… at line 3, column 1:"
      const lines = doc.errors.map((e) => `${path}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${(e.message.split('\n')[0] as string).replace(/ at line \d+, column \d+:?$/, '')}`);
      const shown = [...new Set(lines)];
      if (shown.length > MAX_YAML_ERROR_LINES) shown.splice(MAX_YAML_ERROR_LINES, Infinity, `${path}: and ${shown.length - MAX_YAML_ERROR_LINES} more YAML errors`);
      throw refuse(`config file ${path} is not valid YAML`, shown);
    }
    value = doc.toJS({ maxAliasCount: MAX_CONFIG_ALIASES });
  } catch (err) {
    if (err instanceof SockscopeError) throw err;
    if (/alias count/i.test(errorMessage(err))) {
      throw refuse(
        `config file ${path} is refused: its YAML aliases (*name) expand past ${MAX_CONFIG_ALIASES} copies, as a "billion laughs" document does; write the values out instead of using anchors and aliases`,
      );
    }
    // the parser's own limits (nesting deeper than its stack): still one line naming the file
    throw refuse(`config file ${path} is not a config sockscope can read: ${errorMessage(err).split('\n')[0]}`);
  }
  // a file of comments only: every default
  if (value === null || value === undefined) return { raw: {}, noSettings: 'only comments' };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw refuse(`config file ${path} must hold a mapping at the top level (key: value lines), not ${Array.isArray(value) ? 'a list' : typeof value}`);
  }
  return { raw: value as Record<string, unknown> };
}

/** The deepest a config file may nest (mappings, lists, flow brackets): sockscope's own config needs 6. */
export const MAX_CONFIG_DEPTH = 64;

/** The most YAML syntax errors listed for a file (the rest are counted). */
const MAX_YAML_ERROR_LINES = 10;

/**
 * Where a YAML text nests deeper than `limit`, before the parser (which recurses) meets it: flow
 * brackets (`[`, `{`) outside quotes and comments, on top of the block indentation levels open at
 * that line. An estimate that never undercounts what the parser will recurse into for a config.
 */
function nestingBeyond(text: string, limit: number): { line: number } | undefined {
  const indents: number[] = [];
  let flow = 0;
  let line = 1;
  let lineStart = true;
  let indent = 0;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      lineStart = true;
      indent = 0;
      continue;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (lineStart) {
      if (c === ' ') {
        indent++;
        continue;
      }
      if (c === '#' || c === '\r') continue;
      lineStart = false;
      // a block line outside brackets: the indentation levels still open at it
      if (flow === 0) {
        while (indents.length > 0 && (indents[indents.length - 1] as number) >= indent) indents.pop();
        indents.push(indent);
        if (indents.length > limit) return { line };
      }
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      // a comment: skip to the end of the line
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
      continue;
    }
    if (c === '"' || c === "'") {
      // a quote opens a scalar at its start, not inside a plain word (it's)
      if (i === 0 || /[\s[{,:]/.test(text[i - 1] as string)) quote = c;
    } else if (c === '[' || c === '{') {
      if (++flow + indents.length > limit) return { line };
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
    }
  }
  return undefined;
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
 * Validates a raw config against the composed schema (core + every registered plugin; durations
 * in range), runs the extra checks (CIDRs, regexes, registry policy) and calls `validateConfig` of
 * every enabled plugin (and the fallback of each enabled collector) on its section with the
 * schema's defaults applied, its lines prefixed with `collectors.<name>.` (`enrichers.`, `sinks.`).
 * Every problem comes in one run: the extra checks and the plugins' own run even when the schema
 * found something (a plugin whose own section the schema refused is not asked).
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
  const config = native as unknown as AgentConfig;
  let validate: ConfigValidator;
  try {
    validate = compileConfigSchema(composeConfigSchema(registry, parts));
  } catch (err) {
    return { config, errors: invalidSchemaErrors(registry, err), warnings };
  }
  const errors = validate(native);
  const schemaFailed = errors.length > 0;
  const more: string[] = [];
  for (const check of [...extraChecks, (c: AgentConfig) => pluginConfigErrors(c, registry, options.enabledByEnv)]) {
    try {
      more.push(...check(config));
    } catch (err) {
      // a check meeting a shape the schema refused: the schema's line says it
      if (!schemaFailed) more.push(`(config): a check failed: ${errorMessage(err)}`);
    }
  }
  for (const line of more) if (!errors.includes(line)) errors.push(line);
  return { config, errors, warnings };
}

/** Which plugin's configSchema cannot be compiled: one line each, or the compiler's word when none alone fails. */
function invalidSchemaErrors(registry: PluginRegistry, err: unknown): string[] {
  const lines: string[] = [];
  for (const [kind, section] of Object.entries(SECTIONS) as [PluginKind, string][]) {
    for (const def of registry.list(kind)) {
      try {
        compileConfigSchema(def.configSchema);
      } catch (e) {
        lines.push(`${section}.${def.name}: the plugin's configSchema is not a valid JSON Schema (${errorMessage(e).split('\n')[0]}): fix the plugin, or remove its package from plugins`);
      }
    }
  }
  return lines.length > 0 ? lines : [`(config): the config schema does not compile: ${errorMessage(err).split('\n')[0]}`];
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
