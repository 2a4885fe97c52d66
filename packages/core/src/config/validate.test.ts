import { describe, expect, it } from 'vitest';
import { compileConfigSchema, deepFreeze } from './validate.js';
import { MAX_DURATION_MS, durationSchema, parseDuration, positiveDurationSchema } from './duration.js';
import { closest } from './did-you-mean.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen_address: { type: 'string', default: ':8020' },
    timeout: { type: 'integer', minimum: 1 },
    mode: { enum: ['a', 'b'] },
    nested: { type: 'object', additionalProperties: false, properties: { ports: { type: 'array', items: { type: 'integer' } } } },
  },
};

describe('compileConfigSchema', () => {
  it('applies defaults in place', () => {
    const v = compileConfigSchema(schema);
    const cfg: Record<string, unknown> = {};
    expect(v(cfg)).toEqual([]);
    expect(cfg.listen_address).toBe(':8020');
  });

  it('reports every error at once as path: message, with did-you-mean for unknown keys', () => {
    const v = compileConfigSchema(schema, 'sinks.prometheus');
    const errors = v({ listen_adress: ':1', timeout: 0, mode: 'c', nested: { ports: [1, 'x'] } });
    expect(errors).toEqual([
      'sinks.prometheus.listen_adress: unknown key (did you mean "listen_address"?)',
      'sinks.prometheus.timeout: must be >= 1',
      'sinks.prometheus.mode: must be one of "a", "b"',
      'sinks.prometheus.nested.ports[1]: must be integer',
    ]);
  });

  it('lists known keys when nothing is close', () => {
    expect(compileConfigSchema(schema)({ zzzzzzzz: 1 })).toEqual(['zzzzzzzz: unknown key (known keys: listen_address, timeout, mode, nested)']);
  });

  it('deep-freezes a config', () => {
    const cfg = deepFreeze({ a: { b: [1] } });
    expect(Object.isFrozen(cfg.a.b)).toBe(true);
  });
});

describe('parseDuration', () => {
  it('parses Prometheus-style durations and seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration(2)).toBe(2000);
  });
  it('rejects what it cannot read, saying the expected form', () => {
    expect(() => parseDuration('5 seconds')).toThrow(/use a number with a unit, e.g. 500ms/);
    expect(() => parseDuration('')).toThrow(/invalid duration/);
  });
});

describe('closest', () => {
  it('finds likely typos only', () => {
    expect(closest('colectors', ['collectors', 'sinks'])).toBe('collectors');
    expect(closest('xyz', ['collectors', 'sinks'])).toBeUndefined();
  });
});

describe('durations of 2^31 ms or more silently become 1 ms (issue 15): the schema refuses them', () => {
  const schema = {
    type: 'object',
    properties: {
      interval: { ...durationSchema, default: '1s' },
      timeout: { ...positiveDurationSchema, default: '5s' },
      nested: { type: 'object', properties: { ttl: durationSchema } },
      list: { type: 'array', items: durationSchema },
      // a plugin built with an older durationSchema: the anyOf alone
      legacy: { anyOf: durationSchema.anyOf },
    },
  };
  const v = compileConfigSchema(schema, 'sinks.x');

  it('refuses a duration longer than 596h at any depth, with its path, never clamping', () => {
    expect(v({ interval: '1000h', nested: { ttl: 2_147_484 }, list: ['1s', '597h'], legacy: '9999999h' })).toEqual([
      'sinks.x.interval: must be at most 596h, the longest a timer can wait (got "1000h")',
      'sinks.x.nested.ttl: must be at most 596h, the longest a timer can wait (got 2147484)',
      'sinks.x.list[1]: must be at most 596h, the longest a timer can wait (got "597h")',
      'sinks.x.legacy: must be at most 596h, the longest a timer can wait (got "9999999h")',
    ]);
    const cfg: Record<string, unknown> = { interval: '596h' };
    expect(v(cfg)).toEqual([]);
    expect(parseDuration(cfg.interval as string)).toBe(MAX_DURATION_MS);
    expect(MAX_DURATION_MS).toBeLessThan(2 ** 31);
  });

  it('refuses zero where a positive duration is asked for, and nowhere else', () => {
    expect(v({ timeout: '0s' })).toEqual(['sinks.x.timeout: must be longer than zero (got "0s")']);
    expect(v({ timeout: 0 })).toEqual(['sinks.x.timeout: must be longer than zero (got 0)']);
    expect(v({ interval: '0s', timeout: '1ms' })).toEqual([]);
  });

  it('says in one line what a duration looks like, or that it cannot be negative', () => {
    expect(v({ interval: 'soon', timeout: -1, legacy: true })).toEqual([
      'sinks.x.interval: must be a duration such as 500ms, 5s or 1m30s, or a number of seconds (got "soon")',
      'sinks.x.timeout: a duration cannot be negative (got -1)',
      'sinks.x.legacy: must be a duration such as 500ms, 5s or 1m30s, or a number of seconds (got true)',
    ]);
  });
});
