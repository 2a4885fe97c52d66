import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../catalog/catalog.js';
import { isSockscopeError, type SockscopeError } from '../errors.js';
import { MAX_SERIES_LIMIT, defaultDurationBuckets, defaultRttBuckets, flowsConfigSchema, resolveFlowsConfig, validateFlowsConfig } from './schema.js';

const errorsOf = (cfg: unknown): readonly string[] => {
  try {
    resolveFlowsConfig(cfg);
  } catch (err) {
    if (isSockscopeError(err)) return (err as SockscopeError).details;
    throw err;
  }
  return [];
};

describe('flowsConfigSchema', () => {
  it('fills every default', () => {
    const cfg = resolveFlowsConfig({});
    expect(cfg).toEqual({
      families: Object.fromEntries(metricCatalog.map((e) => [e.id, e.defaultOn])),
      folding: 'service',
      label_style: 'separate',
      max_series: 10000,
      top_k: 'rtt',
      max_idle_series: 10000,
      histogram_buckets: [...defaultRttBuckets],
      // issue 18
      rtt_histogram_by: 'none',
      histogram_interval: '10s',
      duration_buckets: [...defaultDurationBuckets],
      state_label: false,
      compat: 'none',
      selection: { include: {}, exclude: {}, host_ttl: '5m' },
    });
  });

  it('fills nested defaults around what is given', () => {
    const cfg = resolveFlowsConfig({ families: { tcp_rtt: false }, selection: { include: { ports: [443] } } });
    expect(cfg.families.tcp_rtt).toBe(false);
    expect(cfg.families.tcp_cwnd).toBe(true);
    expect(cfg.selection).toEqual({ include: { ports: [443] }, exclude: {}, host_ttl: '5m' });
  });

  it('is draft-07 with additionalProperties false on every object', () => {
    expect(flowsConfigSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const walk = (node: unknown, path: string): string[] => {
      if (!node || typeof node !== 'object') return [];
      const n = node as Record<string, unknown>;
      const bad = n.type === 'object' && n.additionalProperties !== false ? [path] : [];
      return [...bad, ...Object.entries(n).flatMap(([k, v]) => (k === 'default' ? [] : walk(v, `${path}/${k}`)))];
    };
    expect(walk(flowsConfigSchema, '')).toEqual([]);
  });
});

describe('config errors name the path', () => {
  it('for what the schema checks', () => {
    expect(errorsOf({ folding: 'per_socket', max_series: 0, famlies: {} })).toEqual([
      'flows.famlies: unknown key (did you mean "families"?)',
      'flows.folding: must be one of "raw_endpoint", "pid_condensed", "peer", "service", "process", "container"',
      'flows.max_series: must be >= 1',
    ]);
    expect(errorsOf({ families: { tcp_rt: true } })).toEqual(['flows.families.tcp_rt: unknown key (did you mean "tcp_rtt"?)']);
    expect(errorsOf({ selection: { include: { protocol: ['tcp'] } } })).toEqual([
      'flows.selection.include.protocol: unknown key (did you mean "protocols"?)',
    ]);
  });

  it('for CIDR, port ranges, regexes, host names and bucket order', () => {
    expect(
      errorsOf({
        histogram_buckets: [0.1, 0.05],
        selection: {
          include: { networks: ['10.0.0.0/8', '10.0.0.0/40', 'fe80::/200'], ports: ['80-443', '9000-80'], cmdline: ['(unclosed'] },
          exclude: { local_ports: ['x'], addresses: ['10.0.0.0/8'], hosts: ['bad host'] },
        },
      }),
    ).toEqual([
      'flows.selection.include.networks[1]: invalid CIDR network: "10.0.0.0/40" has an invalid prefix length (0 to 32)',
      'flows.selection.include.networks[2]: invalid CIDR network: "fe80::/200" has an invalid prefix length (0 to 128)',
      'flows.selection.include.ports[1]: invalid port range: "9000-80": the lower port 9000 is above the upper port 80',
      expect.stringMatching(/^flows\.selection\.include\.cmdline\[0\]: invalid regular expression: /),
      'flows.selection.exclude.addresses[0]: "10.0.0.0/8" is not an IPv4 or IPv6 address (networks go under networks)',
      'flows.selection.exclude.local_ports[0]: invalid port range: "x" is not a port or a port range (use 443 or "8000-9000")',
      'flows.selection.exclude.hosts[0]: "bad host" is not a host name',
      'flows.histogram_buckets[1]: bounds must be strictly ascending (0.05 follows 0.1)',
    ]);
  });

  it('checks the lifecycle and histogram options of issue 18, each in one line', () => {
    const err = (() => {
      try {
        resolveFlowsConfig({ duration_buckets: [1, 0.5], histogram_interval: '10 parsecs', rtt_histogram_by: 'service', state_label: 'yes' } as never);
      } catch (e) {
        return e as SockscopeError;
      }
      throw new Error('resolveFlowsConfig accepted a broken section');
    })();
    expect(err.details).toEqual(
      expect.arrayContaining([
        'flows.duration_buckets[1]: bounds must be strictly ascending (0.5 follows 1)',
        expect.stringMatching(/^flows\.histogram_interval: /),
        expect.stringMatching(/^flows\.rtt_histogram_by: .*none.*strategy/),
        expect.stringMatching(/^flows\.state_label: /),
      ]),
    );
    expect(resolveFlowsConfig({ histogram_interval: 0, rtt_histogram_by: 'strategy', duration_buckets: [0.5, 1] })).toMatchObject({ histogram_interval: 0, rtt_histogram_by: 'strategy', duration_buckets: [0.5, 1] });
  });

  it('validateFlowsConfig takes the path prefix of the caller', () => {
    expect(validateFlowsConfig({ selection: { include: { networks: ['nope'] }, exclude: {}, host_ttl: '5m' } }, 'profiles.edge.flows')).toEqual([
      'profiles.edge.flows.selection.include.networks[0]: invalid CIDR network: "nope" is not an IPv4 or IPv6 address or network',
    ]);
  });

  it('max_series out of range is refused (issue 15: check-config passed 100000000000)', () => {
    expect(errorsOf({ max_series: 100_000_000_000, max_idle_series: 2_000_000 })).toEqual([
      `flows.max_series: must be <= ${MAX_SERIES_LIMIT}`,
      `flows.max_idle_series: must be <= ${MAX_SERIES_LIMIT}`,
    ]);
    expect(errorsOf({ max_series: MAX_SERIES_LIMIT, max_idle_series: 0 })).toEqual([]);
    expect(errorsOf({ histogram_buckets: Array.from({ length: 101 }, (_, i) => i + 1) })).toEqual(['flows.histogram_buckets: must NOT have more than 100 items']);
  });

  it('schema errors and semantic errors (CIDRs, regexes) come together, not the semantic ones hidden until the schema passes (issue 15)', () => {
    expect(
      errorsOf({
        max_series: 0,
        selection: { include: { networks: ['10.0.0.0/33'], ports: 'eighty', cmdline: ['('] }, host_ttl: '1000h' },
      }),
    ).toEqual([
      'flows.max_series: must be >= 1',
      'flows.selection.include.ports: must be array',
      'flows.selection.host_ttl: must be at most 596h, the longest a timer can wait (got "1000h")',
      'flows.selection.include.networks[0]: invalid CIDR network: "10.0.0.0/33" has an invalid prefix length (0 to 32)',
      expect.stringMatching(/^flows\.selection\.include\.cmdline\[0\]: invalid regular expression: /),
    ]);
  });
});
