import { SockscopeError } from '@sockscope/core';

/** Every error code the CLI itself raises (config and plugin errors are core's). */
export const ExporterErrorCodes = {
  ERR_EXPORTER_USAGE: 'a command-line mistake: an unknown flag or command, or a flag without its value',
} as const;

/** A code from {@link ExporterErrorCodes}. */
export type ExporterErrorCode = keyof typeof ExporterErrorCodes;

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends SockscopeError<ExporterErrorCode> {
  constructor(message: string) {
    super('ERR_EXPORTER_USAGE', message);
  }
}
