import type { KoffiFunc } from 'koffi';
import { libc, syscallResult, type SyscallResult } from './libc.js';

type RecvFn = KoffiFunc<(fd: number, buf: Buffer, len: number, flags: number) => number | bigint>;

let fn: RecvFn | undefined;

function recvFn(): RecvFn {
  fn ??= libc().func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)') as RecvFn;
  return fn;
}

/**
 * recv(2) into `buf`, synchronously on the calling thread. With MSG_TRUNC in `flags` the value
 * is the datagram's real length, which exceeds `buf.length` when it did not fit.
 */
export function sysRecv(fd: number, buf: Buffer, flags: number): SyscallResult {
  return syscallResult(recvFn()(fd, buf, buf.length, flags));
}

/** recv(2) on koffi's worker pool; `buf` must not be touched until the promise settles. */
export function sysRecvAsync(fd: number, buf: Buffer, flags: number): Promise<SyscallResult> {
  return new Promise((resolve, reject) => {
    recvFn().async(fd, buf, buf.length, flags, (err: unknown, value: number | bigint) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(syscallResult(value));
    });
  });
}
