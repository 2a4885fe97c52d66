import { libc, syscallResult, type SyscallResult } from './libc.js';

let fn: ((fd: number, buf: Buffer, len: number, flags: number) => number | bigint) | undefined;

/** send(2): sends one datagram; a netlink socket needs no bind, the kernel assigns the port id. */
export function sysSend(fd: number, buf: Buffer, flags = 0): SyscallResult {
    const call = (fn ??= libc().func('intptr_t send(int fd, const void *buf, size_t len, int flags)'));
  return syscallResult(call(fd, buf, buf.length, flags));
}
