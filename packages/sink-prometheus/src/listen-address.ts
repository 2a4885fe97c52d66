import { PrometheusSinkError } from './errors.js';

/** A parsed `--web.listen-address`. */
export interface ListenAddress {
  /** Host to bind; undefined binds every address (IPv6 and IPv4). */
  host: string | undefined;
  /** TCP port; 0 picks a free one. */
  port: number;
}

/**
 * Parses `host:port`, `:port`, `[v6]:port` or a bare port, as Prometheus exporters accept them.
 * Throws a one-line `ERR_PROMETHEUS_LISTEN_ADDRESS_INVALID` error that says what form is expected.
 */
export function parseListenAddress(value: string): ListenAddress {
  const bad = () =>
    new PrometheusSinkError(
      'ERR_PROMETHEUS_LISTEN_ADDRESS_INVALID',
      `invalid listen address "${value}": use host:port, :port or [ipv6]:port, e.g. :8020 or 127.0.0.1:8020`,
    );
  let host: string;
  let portText: string;
  if (/^\d+$/.test(value)) {
    host = '';
    portText = value;
  } else if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0 || value[end + 1] !== ':') throw bad();
    host = value.slice(1, end);
    portText = value.slice(end + 2);
  } else {
    const i = value.lastIndexOf(':');
    if (i < 0 || value.indexOf(':') !== i) throw bad();
    host = value.slice(0, i);
    portText = value.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw bad();
  return { host: host === '' ? undefined : host, port };
}
