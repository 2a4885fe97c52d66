import { libc, syscallResult, type SyscallResult } from './libc.js';

let fn: ((fd: number, addr: Buffer, len: number) => number) | undefined;

/** bind(2) with a raw sockaddr (e.g. a 12-byte sockaddr_nl). */
export function sysBind(fd: number, addr: Buffer): SyscallResult {
  const call = (fn ??= libc().func('int bind(int fd, const void *addr, uint32_t len)'));
  return syscallResult(call(fd, addr, addr.length));
}
