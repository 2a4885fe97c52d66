import { libc, syscallResult, type SyscallResult } from './libc.js';

let fn: ((fd: number, nstype: number) => number) | undefined;

/**
 * setns(2) for the calling thread. Always a synchronous call: it must move the JS main thread
 * itself, never one of koffi's pool threads (whose namespace would leak into later calls).
 */
export function sysSetns(fd: number, nstype: number): SyscallResult {
    const call = (fn ??= libc().func('int setns(int fd, int nstype)'));
  return syscallResult(call(fd, nstype));
}
