/** Every error code this package raises, one per failure. */
export const FreebsdSysctlErrorCodes = {
  ERR_FREEBSD_SYSCTL_PLATFORM: 'the sysctl bindings only load on FreeBSD',
  ERR_FREEBSD_SYSCTL_LOAD: 'koffi or libc.so.7 could not be loaded',
  ERR_FREEBSD_SYSCTL_READ: 'a sysctl read failed',
  ERR_FREEBSD_SYSCTL_TOO_LARGE: 'a sysctl kept answering ENOMEM up to the buffer bound',
} as const;

/** A code from {@link FreebsdSysctlErrorCodes}. */
export type FreebsdSysctlErrorCode = keyof typeof FreebsdSysctlErrorCodes;

/** An error with a stable code, safe to show to an operator as one line. */
export class FreebsdSysctlError extends Error {
  /** Stable machine-readable code. */
  readonly code: FreebsdSysctlErrorCode;

  constructor(code: FreebsdSysctlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FreebsdSysctlError';
    this.code = code;
  }
}

/** errno numbers this package reacts to (FreeBSD <sys/errno.h>; the same values as Linux for these). */
export const Errno = { ENOENT: 2, ESRCH: 3, ENOMEM: 12, EACCES: 13, EPERM: 1 } as const;
