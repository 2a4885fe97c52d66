import { describe, expect, it } from 'vitest';
import { parseListenAddress } from './listen-address.js';

describe('parseListenAddress', () => {
  it('accepts the forms exporters accept', () => {
    expect(parseListenAddress(':8020')).toEqual({ host: undefined, port: 8020 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseListenAddress('8020')).toEqual({ host: undefined, port: 8020 });
  });
  it('rejects what it cannot use, naming the expected form', () => {
    for (const bad of ['localhost', ':99999', '::1:80', '[::1]80', 'host:port']) {
      expect(() => parseListenAddress(bad)).toThrow(/use host:port, :port or \[ipv6\]:port/);
      expect(() => parseListenAddress(bad)).toThrow(expect.objectContaining({ code: 'ERR_PROMETHEUS_LISTEN_ADDRESS_INVALID' }));
    }
  });
});
