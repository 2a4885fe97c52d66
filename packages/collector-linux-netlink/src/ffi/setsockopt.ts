import { libc, syscallResult, type SyscallResult } from './libc.js';

let setFn: ((fd: number, level: number, name: number, value: Buffer, len: number) => number) | undefined;
let getFn: ((fd: number, level: number, name: number, value: Buffer, len: Buffer) => number) | undefined;

/** setsockopt(2) with an int value (SO_RCVBUF, NETLINK_ADD_MEMBERSHIP…). */
export function sysSetsockoptInt(fd: number, level: number, name: number, value: number): SyscallResult {
  const call = (setFn ??= libc().func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'));
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value, 0);
  return syscallResult(call(fd, level, name, buf, 4));
}

/** getsockopt(2) of an int option: `value` is the option's value when `errno` is 0. */
export function sysGetsockoptInt(fd: number, level: number, name: number): SyscallResult {
  const call = (getFn ??= libc().func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ void *len)'));
  const buf = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(4, 0);
  const r = syscallResult(call(fd, level, name, buf, len));
  return r.errno ? r : { value: buf.readInt32LE(0), errno: 0 };
}
