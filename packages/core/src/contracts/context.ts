import { compileConfigSchema, deepFreeze } from '../config/validate.js';
import { renameDeprecatedKeys } from '../config/deprecated-keys.js';
import { SockscopeError } from '../errors.js';
import type { Logger, PluginContext, PluginDefinitionBase } from './plugin.js';

/** Options of {@link createPluginContext}. */
export interface PluginContextOptions {
  /** Logger scoped to the plugin; default drops everything but warnings and errors, which go to stderr. */
  logger?: Logger;
  /** Platform the plugin runs on; default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Called the first time each condition is reported; default logs it as a warning. */
  reportOnce?: (key: string, message: string) => void;
}

const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: (msg) => void process.stderr.write(`warn: ${msg}\n`),
  error: (msg) => void process.stderr.write(`error: ${msg}\n`),
};

/**
 * The context a plugin's `create` receives, for a library user or the agent: the config is
 * validated against the plugin's schema (ERR_CONFIG_INVALID listing every `path: message`), its
 * defaults applied from the schema (the one place they live), and frozen.
 */
export function createPluginContext<C>(def: PluginDefinitionBase<C>, config: unknown = {}, options: PluginContextOptions = {}): PluginContext<C> {
  const value = structuredClone(config ?? {}) as Record<string, unknown>;
  const logger = options.logger ?? quiet;
  for (const w of renameDeprecatedKeys(value, def.configSchema, def.name)) logger.warn(w);
  const errors = compileConfigSchema(def.configSchema, def.name)(value);
  if (errors.length > 0) throw new SockscopeError('ERR_CONFIG_INVALID', `config of ${def.kind} ${def.name} is invalid`, errors);
  const seen = new Set<string>();
  return {
    config: deepFreeze(value) as unknown as C,
    logger,
    platform: options.platform ?? process.platform,
    reportOnce(key, message) {
      if (seen.has(key)) return;
      seen.add(key);
      if (options.reportOnce) options.reportOnce(key, message);
      else logger.warn(message);
    },
  };
}
