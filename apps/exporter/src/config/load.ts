import { readFile } from 'node:fs/promises';
import { SockscopeError, compileConfigSchema, renameDeprecatedKeys, type PluginKind, type PluginRegistry } from '@sockscope/core';
import { parseDocument } from 'yaml';
import { SECTIONS, composeConfigSchema, type SchemaParts } from './schema.js';
import type { AgentConfig } from './types.js';

/** The config used when no file is given: every default plugin of the platform, on their defaults. */
export const EMBEDDED_DEFAULT: Readonly<Record<string, unknown>> = Object.freeze({});

/** Reads a YAML file into a plain object; an unreadable or unparsable file is one clear error. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((err as Error).message);
    throw new SockscopeError('ERR_CONFIG_INVALID', `cannot read config file ${path}: ${why}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${path}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new SockscopeError('ERR_CONFIG_INVALID', `config file ${path} is not valid YAML`, lines);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `config file ${path} must hold a mapping at the top level, not ${Array.isArray(value) ? 'a list' : typeof value}`);
  }
  return value as Record<string, unknown>;
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

/** Validates a raw config against the composed schema (core + every registered plugin). */
export function validateConfig(
  raw: Record<string, unknown>,
  registry: PluginRegistry,
  parts: SchemaParts = {},
  translators: readonly ConfigTranslator[] = [],
  extraChecks: ((config: AgentConfig) => string[])[] = [],
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
  warnings.push(...renameDeprecated(native, registry));
  const validate = compileConfigSchema(composeConfigSchema(registry, parts));
  const errors = validate(native);
  const config = native as unknown as AgentConfig;
  if (errors.length === 0) for (const check of extraChecks) errors.push(...check(config));
  return { config, errors, warnings };
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
