/** Every error code core raises, one per failure. */
export const ErrorCodes = {
  ERR_PLUGIN_DUPLICATE: 'a plugin with this name is already registered',
  ERR_PLUGIN_PLATFORM: 'the plugin does not run on this platform',
  ERR_PLUGIN_CORE_MAJOR: 'the plugin was built for another major version of @sockscope/core',
  ERR_PLUGIN_INVALID: 'the export is not a sockscope plugin',
  ERR_PLUGIN_NOT_FOUND: 'no plugin with this name is registered',
  ERR_PLUGIN_LOAD: 'the plugin package could not be loaded',
  ERR_PLUGIN_CREATE: 'the plugin failed to start',
  ERR_PLUGIN_REFERENCE: 'a plugin names a fallback or an after-plugin that is not registered',
  ERR_CONFIG_INVALID: 'the configuration is invalid',
  ERR_COLLECTOR_TIMEOUT: 'the collector did not finish in time',
  ERR_COLLECTOR_UNAVAILABLE: 'the kernel interface the collector reads is unavailable',
  ERR_PIPELINE_UNKNOWN_COLLECTOR: 'a scrape asked for a collector the pipeline does not run',
  ERR_QUERY_INVALID: 'a connections query has a parameter that is unknown or has a bad value',
} as const;

/** A code from {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * An error with a stable code, safe to show to an operator as one line. Core raises the codes of
 * {@link ErrorCodes}; a package with codes of its own extends it with its code type.
 */
export class SockscopeError<C extends string = ErrorCode> extends Error {
  /** Stable machine-readable code. */
  readonly code: C;
  /** Extra lines (e.g. every config error as `path: message`). */
  readonly details: readonly string[];

  constructor(code: C, message: string, details: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    // a package's subclass needs no constructor of its own: its class name is the error's name
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** True for errors raised with a sockscope code. */
export function isSockscopeError(err: unknown): err is SockscopeError {
  if (err instanceof SockscopeError) return true;
  // duck-typed too, for an error from another copy of core (a plugin's own node_modules); Node's
  // own errors also carry ERR_ codes but no details, and are not ours
  const e = err as { code?: unknown; details?: unknown } | null;
  return err instanceof Error && typeof e?.code === 'string' && e.code.startsWith('ERR_') && Array.isArray(e.details);
}

/** A one-line message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
