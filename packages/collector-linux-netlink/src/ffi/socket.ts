import { libc, syscallResult, type SyscallResult } from './libc.js';

let fn: ((domain: number, type: number, protocol: number) => number) | undefined;

/** socket(2): creates a socket in the calling thread's current network namespace. */
export function sysSocket(domain: number, type: number, protocol: number): SyscallResult {
    const call = (fn ??= libc().func('int socket(int domain, int type, int protocol)'));
  return syscallResult(call(domain, type, protocol));
}
