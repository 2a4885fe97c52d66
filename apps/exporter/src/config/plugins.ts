import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, isSockscopeError, type PluginDefinition, type PluginRegistry } from '@sockscope/core';
import { SECTIONS } from './schema.js';

/** Where third-party plugin packages are looked for, in this order. */
export interface PluginSearch {
  /** Directory of the config file (absent when there is none). */
  configDir?: string;
  /** The working directory. */
  cwd: string;
  /** sockscope's own directory (its node_modules and those above it). */
  ownDir: string;
  /** How long one package may take to import (default {@link PLUGIN_IMPORT_TIMEOUT_MS}). */
  importTimeoutMs?: number;
}

/**
 * How long a plugin package may take to import. One whose module never finishes (a top-level
 * await that waits forever) would hang check-config and the agent, or let them exit silently when
 * nothing else is pending; past this it is an error naming it.
 */
export const PLUGIN_IMPORT_TIMEOUT_MS = 5_000;

/** Imports a module, or rejects with `timedOut` after `ms` (the timer also keeps the process alive meanwhile). */
async function importWithin(url: string, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`did not finish loading within ${ms / 1000} s`), { timedOut: true })), ms);
  });
  try {
    return await Promise.race([import(url), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A plugin package that loaded, with what it registered. */
export interface LoadedPackage {
  /** As written under `plugins:`. */
  name: string;
  /** Where it was found (package directory or file). */
  path: string;
  /** The plugin definitions it exported, registered. */
  definitions: PluginDefinition[];
}

/** What {@link loadPluginPackages} did: the packages that loaded and a `plugins[i]: message` line for each that did not. */
export interface LoadedPlugins {
  /** Packages that loaded and registered. */
  packages: LoadedPackage[];
  /** One `plugins[i]: message` line per package that could not be loaded or registered. */
  errors: string[];
}

/** What a package name resolved to. */
interface Resolved {
  /** The package directory (or the file, for a path). */
  path: string;
  /** The module to import. */
  entry: string;
  /** The directory whose node_modules held it (where its own dependencies go). */
  home: string;
}

/** True for `./x`, `../x` and absolute paths, which name a file or directory instead of a package. */
function isPath(name: string): boolean {
  return name.startsWith('./') || name.startsWith('../') || isAbsolute(name);
}

/** The bases searched, in order, without repeats. */
function bases(search: PluginSearch): { dir: string; what: string }[] {
  const all = [
    ...(search.configDir ? [{ dir: search.configDir, what: 'the config file' }] : []),
    { dir: search.cwd, what: 'the working directory' },
    { dir: search.ownDir, what: 'sockscope' },
  ];
  return all.filter((b, i) => all.findIndex((o) => resolve(o.dir) === resolve(b.dir)) === i);
}

/** How the search is described in an error: each base and that its parents were searched too. */
export function describeSearch(search: PluginSearch): string {
  return `node_modules in ${bases(search)
    .map((b) => `${resolve(b.dir)} (${b.what})`)
    .join(', then ')}, each with its parent directories`;
}

/**
 * Finds a package the way Node would from each base in turn: the config file's directory, then
 * the working directory, then sockscope's own, each walking up to the root.
 */
export function resolvePluginPackage(name: string, search: PluginSearch): Resolved | undefined {
  if (isPath(name)) {
    const base = search.configDir ?? search.cwd;
    const path = resolve(base, name);
    if (!existsSync(path)) return undefined;
    return statSync(path).isDirectory() ? { path, entry: packageEntry(path), home: base } : { path, entry: path, home: base };
  }
  for (const { dir } of bases(search)) {
    for (let d = resolve(dir); ; d = dirname(d)) {
      const candidate = join(d, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return { path: candidate, entry: packageEntry(candidate), home: d };
      if (dirname(d) === d) break;
    }
  }
  return undefined;
}

/** The module a package directory's package.json points at (exports for node/import/default, then main, then index.js). */
function packageEntry(dir: string): string {
  let pkg: { exports?: unknown; main?: unknown } = {};
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    /* no readable package.json: index.js */
  }
  const target = exportTarget(pkg.exports) ?? (typeof pkg.main === 'string' ? pkg.main : 'index.js');
  const path = resolve(dir, target);
  for (const candidate of [path, `${path}.js`, join(path, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return path;
}

const CONDITIONS = new Set(['node', 'import', 'default']);

function exportTarget(exp: unknown): string | undefined {
  if (typeof exp === 'string') return exp;
  if (Array.isArray(exp)) {
    for (const e of exp) {
      const t = exportTarget(e);
      if (t) return t;
    }
    return undefined;
  }
  if (!exp || typeof exp !== 'object') return undefined;
  const obj = exp as Record<string, unknown>;
  if (Object.keys(obj).some((k) => k.startsWith('.'))) return exportTarget(obj['.']);
  // conditions in the package's own order, as Node takes them
  for (const [key, value] of Object.entries(obj)) {
    if (!CONDITIONS.has(key)) continue;
    const t = exportTarget(value);
    if (t) return t;
  }
  return undefined;
}

/** `Cannot find package '@sockscope/core' imported from /x/index.js` → the importing file. */
function missingCoreImporter(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string };
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || typeof e.message !== 'string') return undefined;
  const m = /Cannot find package '@sockscope\/core' imported from (.+)$/m.exec(e.message);
  return m ? (m[1] as string).trim() : undefined;
}

/**
 * Imports and registers every package named under `plugins:`, resolved from the config file's
 * directory, then the working directory, then sockscope's own. Nothing throws: each package that
 * is missing, throws on import, does not finish importing within the timeout, misses its
 * `@sockscope/core` or exports no valid plugin gives one `plugins[i]: message` line saying what to do.
 */
export async function loadPluginPackages(names: unknown, registry: PluginRegistry, search: PluginSearch): Promise<LoadedPlugins> {
  const out: LoadedPlugins = { packages: [], errors: [] };
  if (!Array.isArray(names)) return out;
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (typeof name !== 'string' || name === '') continue; // the schema says what is wrong
    const at = `plugins[${i}]`;
    const first = seen.get(name);
    if (first !== undefined) {
      out.errors.push(`${at}: "${name}" is already listed as plugins[${first}]: remove one`);
      continue;
    }
    seen.set(name, i);
    const found = resolvePluginPackage(name, search);
    if (!found) {
      const installIn = resolve(search.configDir ?? search.cwd);
      out.errors.push(
        isPath(name)
          ? `${at}: plugin "${name}" could not be loaded: ${resolve(search.configDir ?? search.cwd, name)} does not exist (a path is taken from the config file's directory)`
          : `${at}: plugin package "${name}" could not be loaded: not found in ${describeSearch(search)}; install it beside the config file: cd ${installIn} && npm install ${name}`,
      );
      continue;
    }
    let mod: unknown;
    try {
      mod = await importWithin(pathToFileURL(found.entry).href, search.importTimeoutMs ?? PLUGIN_IMPORT_TIMEOUT_MS);
    } catch (err) {
      if ((err as { timedOut?: boolean }).timedOut) {
        out.errors.push(
          `${at}: plugin ${isPath(name) ? '' : 'package '}"${name}" (${found.path}) ${errorMessage(err)}: its module is still waiting at import (a top-level await that never ends?); fix the plugin or remove it from plugins`,
        );
        continue;
      }
      const importer = missingCoreImporter(err);
      out.errors.push(
        importer
          ? `${at}: plugin package "${name}" was found at ${found.path}, but the @sockscope/core it imports was not: searched node_modules from ${dirname(importer)} up to /; install it beside the plugin: cd ${found.home} && npm install @sockscope/core`
          : `${at}: plugin ${isPath(name) ? '' : 'package '}"${name}" (${found.path}) could not be loaded: it threw on import: ${errorMessage(err).split('\n')[0]}`,
      );
      continue;
    }
    try {
      const definitions = await registry.load(name, async () => mod);
      out.packages.push({ name, path: found.path, definitions });
    } catch (err) {
      out.errors.push(`${at}: ${isSockscopeError(err) ? err.message : errorMessage(err)}`);
    }
  }
  return out;
}

/**
 * `plugins: [name]` turns on every plugin the package exports: each gets an entry in its section
 * unless it has one (an entry with `enabled: false` keeps it off).
 */
export function enablePackagePlugins(config: Record<string, unknown>, packages: readonly LoadedPackage[]): void {
  for (const def of packages.flatMap((p) => p.definitions)) {
    const key = SECTIONS[def.kind];
    const section = (config[key] ??= {}) as Record<string, unknown>;
    if (typeof section !== 'object' || Array.isArray(section)) continue; // the schema reports it
    if (!(def.name in section)) section[def.name] = {};
  }
}
