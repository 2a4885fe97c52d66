import { compileConfigSchema } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { netlinkConfigSchema } from '../src/index.js';

const validate = compileConfigSchema(netlinkConfigSchema, 'collectors.linux-netlink');

describe('config schema', () => {
  it('fills the defaults: tcp and udp, IPv4 and IPv6, all states, own namespace, destroy events on (8 MiB, 50,000 records)', () => {
    const config: Record<string, unknown> = {};
    expect(validate(config)).toEqual([]);
    expect(config).toEqual({ protocols: ['tcp', 'udp'], families: ['ipv4', 'ipv6'], namespaces: 'own', destroy_events: true, destroy_rcvbuf: 8 * 1024 * 1024, destroy_max_buffered: 50_000 });
  });

  it('accepts `all` and a list of /run/netns names', () => {
    expect(validate({ namespaces: 'all' })).toEqual([]);
    expect(validate({ namespaces: ['blue', 'red'], states: ['ESTABLISHED', 'TIME_WAIT'] })).toEqual([]);
  });

  it('names what is wrong, with the path', () => {
    expect(validate({ protocols: ['sctp'] })).toEqual(['collectors.linux-netlink.protocols[0]: must be one of "tcp", "udp"']);
    expect(validate({ namespace: 'all' })).toEqual(['collectors.linux-netlink.namespace: unknown key (did you mean "namespaces"?)']);
    expect(validate({ namespaces: ['../etc'] })).toEqual(['collectors.linux-netlink.namespaces: must be one of "own", "all"', 'collectors.linux-netlink.namespaces[0]: must match pattern "^[^/\\0]+$"']);
  });
});
