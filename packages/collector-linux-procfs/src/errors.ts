import { SockscopeError, type Warning } from '@sockscope/core';

/**
 * Every code this package raises: thrown by create() (the first two, core's codes, which the
 * agent knows) or reported as a warning of one collection (the rest).
 */
export const ProcfsErrorCodes = {
  ERR_COLLECTOR_UNAVAILABLE: '<procfs_path>/net cannot be read: procfs is not mounted where procfs_path says',
  ERR_CONFIG_INVALID: 'a regular expression of the host collector config (interfaces.include/exclude, netstat_fields) does not compile',
  ERR_PROCFS_UNREADABLE: 'a kernel file exists but could not be read; the part it feeds is left out',
  ERR_PROCFS_MALFORMED: 'a line or value of a kernel file did not parse; it is skipped and the rest is published',
  ERR_PROCFS_PARSER_FAILED: 'a parser threw on a kernel file (a bug: please report it); the part it feeds is left out',
  ERR_PROCFS_ABORTED: 'the host collection was aborted (timeout or shutdown) before it finished',
  ERR_PROCFS_CLOSED: 'the collector was asked to read after close()',
  ERR_HOST_ADDRESSES_CAPPED: 'more local addresses than collectors.linux-procfs.addresses.max_series: the rest of sockscope_host_address_info is left out (raise the cap, or read namespaces: own)',
  ERR_PROCESS_UNREADABLE: "the process enricher could not read a socket owner's /proc/<pid> files; its sockets have no process this time",
  ERR_CONTAINER_UNREADABLE: "the container enricher could not read a socket owner's /proc/<pid>/cgroup; its sockets have no container this time",
  ERR_CONTAINER_RUNTIME_ROOT: "a container runtime's state root is missing or unreadable while containers of that runtime run: they get ids but no names (mount the root read-only, or set enrichers.container.runtime_roots)",
  ERR_CONTAINER_RUNTIME_STATE: "a container's runtime state file is truncated, binary, too big or nowhere to be found: that container gets no names, the rest of its labels are set",
  ERR_NETNS_NAMES_UNREADABLE: 'the container enricher could not list netns_run_dir (/run/netns): network namespaces are named only system or by their container',
} as const;

/** A code from {@link ProcfsErrorCodes}. */
export type ProcfsErrorCode = keyof typeof ProcfsErrorCodes;

/** An error of this package with a stable code (recognised by core's `isSockscopeError`). */
export class ProcfsError extends SockscopeError<ProcfsErrorCode> {}

/** A warning with one of this package's codes. */
export function procfsWarning(code: ProcfsErrorCode, message: string): Warning {
  return { code, message };
}
