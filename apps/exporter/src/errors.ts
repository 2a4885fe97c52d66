import { SockscopeError } from '@sockscope/core';

/** Every error code the CLI itself raises (config and plugin errors are core's). */
export const ExporterErrorCodes = {
  ERR_EXPORTER_USAGE: 'a command-line mistake: an unknown flag or command, or a flag without its value',
  ERR_EXPORTER_AGENT_READ: '`sockscope connections --from`: the agent could not be read (refused, wrong URL, 401, TLS) or refused the query',
} as const;

/** A code from {@link ExporterErrorCodes}. */
export type ExporterErrorCode = keyof typeof ExporterErrorCodes;

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends SockscopeError<ExporterErrorCode> {
  constructor(message: string) {
    super('ERR_EXPORTER_USAGE', message);
  }
}

/**
 * `sockscope connections --from` could not read the agent: one line, exit 1; `usage` (a bad
 * `--from` or `--ca-file`, or the agent refusing a filter with 400) exits 2.
 */
export class SourceError extends SockscopeError<ExporterErrorCode> {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super('ERR_EXPORTER_AGENT_READ', message);
  }
}
