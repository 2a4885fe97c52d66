import { describe, expect, it } from 'vitest';
import { compileConfigSchema, deepFreeze } from './validate.js';
import { parseDuration } from './duration.js';
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
