import { SockscopeError, warning, type Warning } from '@sockscope/core';

/**
 * Every code this package raises, one per failure: the errors create() throws and the warnings
 * of a collection (the rest of the result is still good).
 */
export const FreebsdSysctlErrorCodes = {
  ERR_FREEBSD_SYSCTL_PLATFORM: 'the collector runs on FreeBSD amd64 and arm64 only',
  ERR_FREEBSD_SYSCTL_LOAD: 'koffi or libc.so.7 could not be loaded',
  ERR_FREEBSD_SYSCTL_READ: 'a sysctl read failed',
  ERR_FREEBSD_SYSCTL_TOO_LARGE: 'a sysctl kept answering ENOMEM up to the buffer bound (max_buffer_bytes)',
  ERR_FREEBSD_SYSCTL_DECODE: 'a sysctl answered bytes this collector cannot decode; that part is skipped',
  ERR_FREEBSD_SYSCTL_LAYOUT: 'the kernel\'s structure size or release has no layout table here; read with the nearest one',
  ERR_FREEBSD_SYSCTL_INCONSISTENT: 'a pcblist changed during every read or was cut short; the sockets may be inconsistent',
} as const;

/** A code from {@link FreebsdSysctlErrorCodes}. */
export type FreebsdSysctlErrorCode = keyof typeof FreebsdSysctlErrorCodes;

/** A collection warning with one of this package's codes (core's `warning`, narrowed to them). */
export const freebsdWarning: (code: FreebsdSysctlErrorCode, message: string) => Warning = warning;

/** A freebsd-sysctl error with a stable code (recognised by core's `isSockscopeError`). */
export class FreebsdSysctlError extends SockscopeError<FreebsdSysctlErrorCode> {}

/** True when `code` is one of this package's codes. */
export function isFreebsdSysctlCode(code: unknown): code is FreebsdSysctlErrorCode {
  return typeof code === 'string' && Object.hasOwn(FreebsdSysctlErrorCodes, code);
}

/** errno numbers this package reacts to (FreeBSD <sys/errno.h>; the same values as Linux for these). */
export const Errno = { ENOENT: 2, ESRCH: 3, ENOMEM: 12, EACCES: 13, EPERM: 1 } as const;
