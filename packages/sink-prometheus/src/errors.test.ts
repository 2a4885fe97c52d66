import { isSockscopeError } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { PrometheusErrorCodes, listenError } from './errors.js';

const sysError = (code: string, message = `listen ${code}`): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('listenError', () => {
  it('gives each listen failure its own code and the one line operators read, keeping the system error as cause', () => {
    const cases: [string, string, string][] = [
      ['EADDRINUSE', 'ERR_PROMETHEUS_LISTEN_IN_USE', 'cannot listen on *:8020: the port is already in use (pick another with --web.listen-address)'],
      ['EACCES', 'ERR_PROMETHEUS_LISTEN_PERMISSION', 'cannot listen on *:8020: permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)'],
      ['EADDRNOTAVAIL', 'ERR_PROMETHEUS_LISTEN_ADDRESS', 'cannot listen on *:8020: no such local address'],
      ['ENOTFOUND', 'ERR_PROMETHEUS_LISTEN_ADDRESS', 'cannot listen on *:8020: no such local address'],
      ['EMFILE', 'ERR_PROMETHEUS_LISTEN', 'cannot listen on *:8020: listen EMFILE'],
    ];
    for (const [sys, code, message] of cases) {
      const cause = sysError(sys);
      const err = listenError(cause, '*:8020');
      expect(isSockscopeError(err), sys).toBe(true);
      expect([err.code, err.message]).toEqual([code, message]);
      expect(err.cause).toBe(cause);
    }
  });

  it('raises only codes it declares, and declares only codes it raises', () => {
    const raised = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EMFILE'].map((c) => listenError(sysError(c), 'x:1').code));
    raised.add('ERR_PROMETHEUS_LISTEN_ADDRESS_INVALID'); // parseListenAddress, see listen-address.test.ts
    expect([...raised].sort()).toEqual(Object.keys(PrometheusErrorCodes).sort());
  });
});
