import { SockscopeError } from '@sockscope/core';

/** Every error code the web package raises, one per failure. */
export const WebErrorCodes = {
  ERR_WEB_ASSETS_MISSING: 'the page assets are not built (dist/assets is missing or incomplete)',
} as const;

/** A code from {@link WebErrorCodes}. */
export type WebErrorCode = keyof typeof WebErrorCodes;

/** A web package error with a stable `ERR_WEB_*` code (recognised by core's `isSockscopeError`). */
export class WebError extends SockscopeError<WebErrorCode> {}
