import { libc, syscallResult, type SyscallResult } from './libc.js';

let fn: ((fd: number) => number) | undefined;

/** close(2). */
export function sysClose(fd: number): SyscallResult {
    const call = (fn ??= libc().func('int close(int fd)'));
  return syscallResult(call(fd));
}
