import type { JSONSchemaType } from './schema.js';

/** Major version of this core; plugins built for another major are refused. */
export const CORE_MAJOR = 0;

/** Operating systems a plugin may run on, as `process.platform` names them. */
export type Platform = 'linux' | 'freebsd' | 'darwin' | 'win32' | 'any';

/** Plugin kinds the registry knows. */
export type PluginKind = 'collector' | 'enricher' | 'sink';

/** Structured logger handed to plugins. */
export interface Logger {
  /** Debug detail, hidden by default. */
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** Normal operation. */
  info(msg: string, fields?: Record<string, unknown>): void;
  /** Something is degraded but running. */
  warn(msg: string, fields?: Record<string, unknown>): void;
  /** Something failed. */
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What every plugin's `create` receives. */
export interface PluginContext<C> {
  /** The plugin's validated, frozen config (defaults applied). */
  config: Readonly<C>;
  /** Logger scoped to the plugin. */
  logger: Logger;
  /** The platform the agent runs on. */
  platform: NodeJS.Platform;
  /** Reports a condition once per process lifetime (warn log + /health), e.g. a missing capability. */
  reportOnce(key: string, message: string): void;
}

/** Fields every plugin definition carries. */
export interface PluginDefinitionBase<C> {
  /** What the plugin is. */
  kind: PluginKind;
  /** Unique name used in config (`collectors.<name>`), kebab-case. */
  name: string;
  /** One-line description shown by `sockscope --help` and the index page. */
  description: string;
  /** Platforms the plugin runs on; `any` for portable plugins. */
  platforms: readonly Platform[];
  /** Major version of @sockscope/core the plugin was built against. */
  coreMajor: number;
  /** JSON Schema of the plugin's config object; defaults in it are applied. */
  configSchema: JSONSchemaType;
  /** True when the plugin is on in the embedded default config of a fitting platform. */
  defaultEnabled?: boolean;
  /**
   * Checks what the schema cannot (a regular expression compiles, two keys agree) on the config
   * with defaults applied, and returns every problem as `path: message` with paths relative to the
   * plugin's section (`interfaces.exclude: invalid regular expression: …`). `check-config` and the
   * agent call it before `create()`; `create()` may assume a config that passed.
   */
  validateConfig?(config: C): string[];
  /** Phantom slot carrying the config type; never set at run time. */
  readonly __config?: C;
}
