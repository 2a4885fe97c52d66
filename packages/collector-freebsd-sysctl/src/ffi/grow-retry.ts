import { Errno, type FreebsdSysctlErrorCode } from '../errors.js';

/** What one raw sysctl call returned: rc 0 or -1, errno when -1, and the length the kernel reported. */
export interface RawSysctlCall {
  /** 0 on success, -1 on failure. */
  rc: number;
  /** errno after a failed call. */
  errno: number;
  /** *oldlenp after the call: bytes copied, or the size estimate when probing with no buffer. */
  oldlen: number;
}

/** Why a sysctl read failed: the call failed (READ), or it still answered ENOMEM at the buffer bound (TOO_LARGE). */
export type SysctlFailureCode = Extract<FreebsdSysctlErrorCode, 'ERR_FREEBSD_SYSCTL_READ' | 'ERR_FREEBSD_SYSCTL_TOO_LARGE'>;

/** A sysctl read: the bytes, or the code, errno and a message naming the sysctl. */
export type SysctlResult = { ok: true; buf: Buffer } | { ok: false; code: SysctlFailureCode; errno: number; message: string };

/** Bounds on the grow-and-retry loop. */
export interface GrowBounds {
  /** Largest buffer to try, bytes. */
  maxBytes: number;
  /** Most reads after the size probe. */
  maxAttempts: number;
}

/**
 * Reads a sysctl whose size may change between calls: probe the size with no buffer, read
 * into the estimate plus 1/8 slack, and on ENOMEM (short buffer: the kernel copied what fit)
 * double and retry, up to the bounds. Never passes a new value: sysctls are only read.
 */
export function readGrowing(label: string, call: (old: Buffer | null, oldlen: number) => RawSysctlCall, bounds: GrowBounds): SysctlResult {
  const probe = call(null, 0);
  if (probe.rc !== 0) return { ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: probe.errno, message: `${label}: size probe failed with errno ${probe.errno}` };
  let size = Math.min(bounds.maxBytes, Math.max(64, probe.oldlen + Math.ceil(probe.oldlen / 8)));
  for (let attempt = 1; attempt <= bounds.maxAttempts; attempt++) {
    const buf = Buffer.alloc(size);
    const r = call(buf, size);
    if (r.rc === 0) return { ok: true, buf: buf.subarray(0, Math.min(r.oldlen, size)) };
    if (r.errno !== Errno.ENOMEM) return { ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: r.errno, message: `${label}: read failed with errno ${r.errno}` };
    if (size >= bounds.maxBytes) break;
    size = Math.min(bounds.maxBytes, size * 2);
  }
  return {
    ok: false,
    code: 'ERR_FREEBSD_SYSCTL_TOO_LARGE',
    errno: Errno.ENOMEM,
    message: `${label}: still ENOMEM (buffer too short) at ${size} bytes after at most ${bounds.maxAttempts} reads; bound reached, raise max_buffer_bytes if the table is really that large`,
  };
}
