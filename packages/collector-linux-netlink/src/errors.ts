import { SockscopeError } from '@sockscope/core';

/** Problems this collector reports in its warnings, one code each (`ERR_NETLINK_<WHAT>`). */
export const NetlinkProblems = {
  ERR_NETLINK_DUMP: 'the kernel ended a socket dump with an error',
  ERR_NETLINK_RECV: 'reading the netlink socket failed',
  ERR_NETLINK_SEND: 'sending the dump request failed',
  ERR_NETLINK_MALFORMED: 'a dump datagram was malformed or truncated',
  ERR_NETLINK_INCONSISTENT: 'the socket table kept changing during the dump',
  ERR_NETLINK_NAMESPACE: 'a network namespace could not be entered',
} as const;

/** A code from {@link NetlinkProblems}. */
export type NetlinkProblem = keyof typeof NetlinkProblems;

/** Formats a warning line: the code, what happened, and what to do about it. */
export function problemLine(code: NetlinkProblem, detail: string): string {
  return `${code}: ${detail}`;
}

/** The error create() throws when NETLINK_SOCK_DIAG cannot be used, so the registry falls back. */
export function unavailableError(step: string, errno: string): SockscopeError {
  return new SockscopeError(
    'ERR_COLLECTOR_UNAVAILABLE',
    `NETLINK_SOCK_DIAG is unavailable: ${step} failed with ${errno}. ` +
      'A seccomp profile, a missing sock_diag/inet_diag module or an old kernel can cause this; ' +
      'the procfs socket collector (linux-procfs-sockets) takes over.',
  );
}
