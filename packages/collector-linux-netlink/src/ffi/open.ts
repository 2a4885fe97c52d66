import { libc, syscallResult, type SyscallResult } from './libc.js';

let fn: ((path: string, flags: number) => number) | undefined;

/** open(2) of a path read-only with O_CLOEXEC, e.g. a namespace file for setns. */
export function sysOpenReadOnly(path: string): SyscallResult {
  const O_RDONLY = 0;
  const O_CLOEXEC = 0o2000000;
  const call = (fn ??= libc().func('int open(const char *path, int flags)'));
  return syscallResult(call(path, O_RDONLY | O_CLOEXEC));
}
