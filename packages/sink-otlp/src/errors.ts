import { SockscopeError } from '@sockscope/core';

/** Every error code the OTLP sink raises, one per failure. */
export const OtlpErrorCodes = {
  ERR_OTLP_PROTOCOL_UNSUPPORTED: 'the OTLP protocol asked for is not one this sink speaks',
  ERR_OTLP_ENDPOINT_INVALID: 'the OTLP endpoint is not an http(s) URL',
  ERR_OTLP_CONFIG_INVALID: 'an OTLP setting (config key or OTEL_* variable) has a value that cannot be used',
} as const;

/** A code from {@link OtlpErrorCodes}. */
export type OtlpErrorCode = keyof typeof OtlpErrorCodes;

/** An OTLP sink error with a stable `ERR_OTLP_*` code (recognised by core's `isSockscopeError`). */
export class OtlpSinkError extends SockscopeError<OtlpErrorCode> {}
