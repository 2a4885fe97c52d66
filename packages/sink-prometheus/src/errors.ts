import { SockscopeError } from '@sockscope/core';

/** Every error code the Prometheus sink raises, one per failure. */
export const PrometheusErrorCodes = {
  ERR_PROMETHEUS_LISTEN_ADDRESS_INVALID: 'the listen address is not host:port, :port or [ipv6]:port',
  ERR_PROMETHEUS_LISTEN_IN_USE: 'the listen port is already in use',
  ERR_PROMETHEUS_LISTEN_PERMISSION: 'binding the listen port was denied (a port below 1024 without CAP_NET_BIND_SERVICE)',
  ERR_PROMETHEUS_LISTEN_ADDRESS: 'the listen host is not an address of this machine',
  ERR_PROMETHEUS_LISTEN: 'the server could not listen for another reason',
} as const;

/** A code from {@link PrometheusErrorCodes}. */
export type PrometheusErrorCode = keyof typeof PrometheusErrorCodes;

/** A Prometheus sink error with a stable `ERR_PROMETHEUS_*` code (recognised by core's `isSockscopeError`). */
export class PrometheusSinkError extends SockscopeError<PrometheusErrorCode> {}

/** The coded error for a failed `listen()` on `where` (`host:port`), keeping the system error as its cause. */
export function listenError(err: NodeJS.ErrnoException, where: string): PrometheusSinkError {
  const cause = { cause: err };
  switch (err.code) {
    case 'EADDRINUSE':
      return new PrometheusSinkError('ERR_PROMETHEUS_LISTEN_IN_USE', `cannot listen on ${where}: the port is already in use (pick another with --web.listen-address)`, [], cause);
    case 'EACCES':
      return new PrometheusSinkError('ERR_PROMETHEUS_LISTEN_PERMISSION', `cannot listen on ${where}: permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)`, [], cause);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new PrometheusSinkError('ERR_PROMETHEUS_LISTEN_ADDRESS', `cannot listen on ${where}: no such local address`, [], cause);
    default:
      return new PrometheusSinkError('ERR_PROMETHEUS_LISTEN', `cannot listen on ${where}: ${err.message}`, [], cause);
  }
}
