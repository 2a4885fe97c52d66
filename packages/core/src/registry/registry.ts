import type { CollectorDefinition } from '../contracts/collector.js';
import type { EnricherDefinition } from '../contracts/enricher.js';
import { CORE_MAJOR, type PluginKind } from '../contracts/plugin.js';
import type { SinkDefinition } from '../contracts/sink.js';
import { SockscopeError, errorMessage } from '../errors.js';
import { closest } from '../config/did-you-mean.js';

/** Any plugin definition. */
export type PluginDefinition = CollectorDefinition<any> | EnricherDefinition<any> | SinkDefinition<any>;

/** Loads a module by package name; the app supplies one so resolution starts from the app. */
export type ModuleImporter = (packageName: string) => Promise<unknown>;

const KINDS: readonly PluginKind[] = ['collector', 'enricher', 'sink'];

/** Holds built-in and third-party plugins and refuses the ones that cannot work here. */
export class PluginRegistry {
  private readonly plugins = new Map<string, { def: PluginDefinition; source: string }>();

  constructor(private readonly platform: NodeJS.Platform = process.platform) {}

  /**
   * Registers a definition; throws a coded error naming the plugin when it cannot work here, and
   * ERR_PLUGIN_REFERENCE when its `fallback` or `after` names a plugin that is not registered
   * (register the one it names first, or register both with {@link registerAll}).
   */
  register(candidate: unknown, source = 'built-in'): PluginDefinition {
    const def = this.add(candidate, source);
    this.assertReferences(def);
    return def;
  }

  /** Registers several definitions, then checks their references, so they may name each other in any order. */
  registerAll(candidates: readonly unknown[], source = 'built-in'): PluginDefinition[] {
    const defs = candidates.map((c) => this.add(c, source));
    defs.forEach((d) => this.assertReferences(d));
    return defs;
  }

  private add(candidate: unknown, source: string): PluginDefinition {
    const def = assertPlugin(candidate, source);
    const key = `${def.kind}:${def.name}`;
    const existing = this.plugins.get(key);
    if (existing) {
      throw new SockscopeError('ERR_PLUGIN_DUPLICATE', `${def.kind} "${def.name}" from ${source} is already registered by ${existing.source}`);
    }
    if (def.coreMajor !== CORE_MAJOR) {
      throw new SockscopeError(
        'ERR_PLUGIN_CORE_MAJOR',
        `${def.kind} "${def.name}" from ${source} was built for @sockscope/core major ${def.coreMajor}, this is major ${CORE_MAJOR}: upgrade the plugin or sockscope`,
      );
    }
    this.plugins.set(key, { def, source });
    return def;
  }

  private assertReferences(def: PluginDefinition): void {
    const refs: [string, PluginKind, string][] = [];
    if (def.kind === 'collector' && def.fallback) refs.push(['falls back to', 'collector', def.fallback]);
    if (def.kind === 'enricher') for (const a of def.after ?? []) refs.push(['runs after', 'enricher', a]);
    for (const [relation, kind, name] of refs) {
      if (this.has(kind, name)) continue;
      this.plugins.delete(`${def.kind}:${def.name}`);
      throw new SockscopeError('ERR_PLUGIN_REFERENCE', `${def.kind} "${def.name}" ${relation} ${kind} "${name}", which is not registered: register "${name}" first, or fix the name`);
    }
    if (def.kind === 'collector' && def.fallback) {
      const target = this.get('collector', def.fallback);
      if (!target.provides.includes('sockets')) {
        this.plugins.delete(`${def.kind}:${def.name}`);
        throw new SockscopeError('ERR_PLUGIN_REFERENCE', `collector "${def.name}" falls back to collector "${target.name}", which provides no sockets`);
      }
    }
  }

  /**
   * The plugins of a kind that are on for a config section: every configured one unless
   * `enabled: false` (refused with ERR_PLUGIN_PLATFORM when it cannot run here), every one the
   * environment turns on, and the defaults that fit this platform. Enrichers come in the order
   * their `after` asks for.
   */
  enabled<K extends PluginKind>(kind: K, entries: Readonly<Record<string, { enabled?: boolean } | undefined>> = {}, byEnv: ReadonlySet<string> = new Set()): Extract<PluginDefinition, { kind: K }>[] {
    const defaults = new Set<PluginDefinition>(this.defaults(kind));
    const on = this.list(kind).filter((d) => {
      const entry = entries[d.name];
      if (entry?.enabled === false) return false;
      if (entry !== undefined || byEnv.has(d.name)) {
        this.assertPlatform(d);
        return true;
      }
      return defaults.has(d);
    });
    return kind === 'enricher' ? (orderByAfter(on as EnricherDefinition[]) as typeof on) : on;
  }

  /** The collector that takes over a collector's sockets when it cannot start, if it has one. */
  fallbackFor(def: CollectorDefinition): CollectorDefinition | undefined {
    return def.fallback ? this.get('collector', def.fallback) : undefined;
  }

  /**
   * What a config asks of the registry that cannot work, as `path: message` lines for
   * `check-config`: a configured plugin that does not run on this platform, and two socket
   * sources on at once (each would stream every socket: the counts would double).
   */
  configErrors(sections: Readonly<Record<PluginKind, Readonly<Record<string, { enabled?: boolean } | undefined>>>>, names: Readonly<Record<PluginKind, string>>): string[] {
    const errors: string[] = [];
    for (const kind of KINDS) {
      for (const [name, entry] of Object.entries(sections[kind])) {
        if (entry?.enabled === false || !this.has(kind, name)) continue;
        const def = this.get(kind, name);
        if (!fitsPlatform(def, this.platform)) {
          errors.push(`${names[kind]}.${name}: runs on ${def.platforms.join(', ')}, not on ${this.platform} (remove it or set enabled: false)`);
        }
      }
    }
    if (errors.length > 0) return errors;
    const sources = this.enabled('collector', sections.collector).filter((d) => d.provides.includes('sockets'));
    if (sources.length > 1) {
      const [first, ...rest] = sources.map((d) => d.name);
      errors.push(`${names.collector}: ${[first, ...rest].join(' and ')} all provide sockets and would count each twice: keep ${first} (its fallback takes over when it cannot start) and set enabled: false on ${rest.join(', ')}`);
    }
    return errors;
  }

  /** Throws ERR_PLUGIN_PLATFORM when the plugin does not run on this platform. */
  assertPlatform(def: PluginDefinition): void {
    if (!fitsPlatform(def, this.platform)) {
      throw new SockscopeError(
        'ERR_PLUGIN_PLATFORM',
        `${def.kind} "${def.name}" runs on ${def.platforms.join(', ')}, not on ${this.platform}: disable it in the config`,
      );
    }
  }

  /** Loads a third-party package whose default export is a plugin (or an array of plugins) and registers it. */
  async load(packageName: string, importer: ModuleImporter): Promise<PluginDefinition[]> {
    let mod: unknown;
    try {
      mod = await importer(packageName);
    } catch (err) {
      throw new SockscopeError('ERR_PLUGIN_LOAD', `plugin package "${packageName}" could not be loaded: ${errorMessage(err)} (is it installed next to sockscope?)`, [], { cause: err });
    }
    const exported = (mod as { default?: unknown } | null)?.default ?? mod;
    const list = Array.isArray(exported) ? exported : [exported];
    return list.map((p) => this.register(p, `package "${packageName}"`));
  }

  /** Looks a plugin up by kind and name; unknown names get a "did you mean". */
  get<K extends PluginKind>(kind: K, name: string): Extract<PluginDefinition, { kind: K }> {
    const entry = this.plugins.get(`${kind}:${name}`);
    if (!entry) {
      const names = this.list(kind).map((d) => d.name);
      const hint = closest(name, names);
      throw new SockscopeError(
        'ERR_PLUGIN_NOT_FOUND',
        `no ${kind} named "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${names.join(', ') || 'none'}`,
      );
    }
    return entry.def as Extract<PluginDefinition, { kind: K }>;
  }

  /** True when a plugin of that kind and name is registered. */
  has(kind: PluginKind, name: string): boolean {
    return this.plugins.has(`${kind}:${name}`);
  }

  /** Every registered plugin of a kind, in registration order. */
  list<K extends PluginKind>(kind: K): Extract<PluginDefinition, { kind: K }>[] {
    return [...this.plugins.values()].filter((e) => e.def.kind === kind).map((e) => e.def as Extract<PluginDefinition, { kind: K }>);
  }

  /** Plugins of a kind that are on by default and fit this platform. */
  defaults<K extends PluginKind>(kind: K): Extract<PluginDefinition, { kind: K }>[] {
    return this.list(kind).filter((d) => d.defaultEnabled && fitsPlatform(d, this.platform));
  }

  /** The platform this registry checks against. */
  get currentPlatform(): NodeJS.Platform {
    return this.platform;
  }
}

/** Orders enrichers so each runs after the ones it names in `after` (when those are on too). */
function orderByAfter(defs: readonly EnricherDefinition[]): EnricherDefinition[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const out: EnricherDefinition[] = [];
  const visiting = new Set<string>();
  const visit = (d: EnricherDefinition) => {
    if (out.includes(d)) return;
    if (visiting.has(d.name)) throw new SockscopeError('ERR_PLUGIN_REFERENCE', `enricher "${d.name}" runs after itself through "after"`);
    visiting.add(d.name);
    for (const dep of d.after ?? []) {
      const target = byName.get(dep);
      if (target) visit(target);
    }
    visiting.delete(d.name);
    out.push(d);
  };
  defs.forEach(visit);
  return out;
}

/** True when a plugin runs on the given platform. */
export function fitsPlatform(def: PluginDefinition, platform: NodeJS.Platform): boolean {
  return def.platforms.includes('any') || (def.platforms as readonly string[]).includes(platform);
}

function assertPlugin(candidate: unknown, source: string): PluginDefinition {
  const c = candidate as Partial<PluginDefinition> | null;
  const problems: string[] = [];
  if (!c || typeof c !== 'object') {
    throw new SockscopeError('ERR_PLUGIN_INVALID', `${source} does not export a sockscope plugin: got ${c === null ? 'null' : typeof c}; export default defineCollector({...}), defineEnricher({...}) or defineSink({...})`);
  }
  if (typeof c.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(c.name)) problems.push('name must be a kebab-case string');
  if (!c.kind || !KINDS.includes(c.kind)) problems.push(`kind must be one of ${KINDS.join(', ')}`);
  if (!Array.isArray(c.platforms) || c.platforms.length === 0) problems.push('platforms must be a non-empty array');
  if (typeof c.coreMajor !== 'number') problems.push('coreMajor must be a number');
  if (!c.configSchema || typeof c.configSchema !== 'object') problems.push('configSchema must be a JSON Schema object');
  if (typeof (c as { create?: unknown }).create !== 'function') problems.push('create must be a function');
  if (c.kind === 'collector' && !Array.isArray((c as { provides?: unknown }).provides)) problems.push('provides must list what the collector gives (sockets, host, families)');
  if (problems.length > 0) {
    const label = typeof c.name === 'string' ? `"${c.name}" from ${source}` : source;
    throw new SockscopeError('ERR_PLUGIN_INVALID', `${label} is not a sockscope plugin: ${problems.join('; ')}`, problems);
  }
  return c as PluginDefinition;
}
