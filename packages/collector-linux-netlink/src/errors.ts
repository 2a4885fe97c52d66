import { SockscopeError, warning, type ErrorCode, type Warning } from '@sockscope/core';

/**
 * Every code this collector raises, one per failure: the warnings of a collection (the rest of
 * the result is still good) and the errors that end one.
 */
export const NetlinkErrorCodes = {
  ERR_NETLINK_DUMP: 'the kernel ended a socket dump with an error',
  ERR_NETLINK_RECV: 'reading the netlink socket failed',
  ERR_NETLINK_SEND: 'sending the dump request failed',
  ERR_NETLINK_MALFORMED: 'a dump datagram was malformed or truncated',
  ERR_NETLINK_INCONSISTENT: 'the socket table kept changing during the dump',
  ERR_NETLINK_NAMESPACE: 'a network namespace could not be found or entered',
  ERR_NETLINK_NAMESPACE_RETURN: 'the main thread could not return to the agent\'s own network namespace after a setns',
  ERR_NETLINK_CLOSED: 'the collector was asked to read after close()',
  ERR_NETLINK_EVENTS_LOST: 'the kernel dropped socket destroy events (ENOBUFS: the receive buffer was full)',
  ERR_NETLINK_EVENTS_DROPPED: 'destroy events were dropped because the source\'s buffer was full',
  ERR_NETLINK_EVENTS_SUBSCRIBE: 'the kernel refused the sock_diag destroy-event subscription',
  ERR_NETLINK_EVENTS_READER: 'the destroy-event reader thread failed',
} as const;

/** A code from {@link NetlinkErrorCodes}. */
export type NetlinkErrorCode = keyof typeof NetlinkErrorCodes;

/** A collection warning with one of this package's codes (core's `warning`, narrowed to them). */
export const netlinkWarning: (code: NetlinkErrorCode, message: string) => Warning = warning;

/**
 * The codes a {@link NetlinkCollectorError} carries: this package's, and core's
 * ERR_COLLECTOR_UNAVAILABLE, on which the agent starts the fallback collector.
 */
export type NetlinkCollectorErrorCode = NetlinkErrorCode | Extract<ErrorCode, 'ERR_COLLECTOR_UNAVAILABLE'>;

/** A linux-netlink error with a stable code (recognised by core's `isSockscopeError`). */
export class NetlinkCollectorError extends SockscopeError<NetlinkCollectorErrorCode> {}

/** The error create() throws when NETLINK_SOCK_DIAG cannot be used, so the agent falls back to procfs. */
export function unavailableError(step: string, errno: string): NetlinkCollectorError {
  return new NetlinkCollectorError(
    'ERR_COLLECTOR_UNAVAILABLE',
    `NETLINK_SOCK_DIAG is unavailable: ${step} failed with ${errno}. ` +
      'A seccomp profile, a missing sock_diag/inet_diag module or an old kernel can cause this; ' +
      'the procfs socket collector (linux-procfs-sockets) takes over.',
  );
}
