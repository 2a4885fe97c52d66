import { Ajv } from 'ajv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileConfigSchema } from './validate.js';

// Start-up: every compileConfigSchema made a new Ajv, which compiled the JSON Schema meta-schema
// again to check the schema it was given, half of the agent's start (0.5 s of 1 s on the release
// bundle, --cpu-prof). One Ajv is shared now, and a schema object is compiled once.
describe('compileConfigSchema shares one Ajv', () => {
  afterEach(() => vi.restoreAllMocks());

  // _compileMetaSchema is Ajv's (core.js), run once per instance that checks a schema against the meta-schema
  const proto = (name: string) => {
    let p: object | null = Ajv.prototype;
    while (p && !Object.prototype.hasOwnProperty.call(p, name)) p = Object.getPrototypeOf(p) as object | null;
    if (!p) throw new Error(`Ajv has no ${name}: update this test for the Ajv in use`);
    return p as Record<string, (...args: unknown[]) => unknown>;
  };

  it('compiles the meta-schema at most once for many schemas', () => {
    const spy = vi.spyOn(proto('_compileMetaSchema'), '_compileMetaSchema');
    for (let i = 0; i < 5; i++) compileConfigSchema({ type: 'object', properties: { [`k${i}`]: { type: 'string', default: 'x' } } } as never);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('compiles a schema object once, and each validator keeps its own root and defaults', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', default: 3 } }, additionalProperties: false } as const;
    const spy = vi.spyOn(proto('compile'), 'compile');
    const a = compileConfigSchema(schema as never, 'a');
    const b = compileConfigSchema(schema as never, 'b');
    expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
    const value: Record<string, unknown> = {};
    expect(a(value)).toEqual([]);
    expect(value).toEqual({ n: 3 });
    expect(a({ n: 'x' })).toEqual(['a.n: must be integer']);
    expect(b({ m: 1 })).toEqual(['b.m: unknown key (did you mean "n"?)']);
  });

  it('compiles two schemas with the same $id (a reload composes a new one) without "already exists"', () => {
    const make = () => ({ $id: 'https://sockscope.dev/schemas/test.json', type: 'object', properties: { a: { type: 'string' } } });
    expect(compileConfigSchema(make() as never)({ a: 'x' })).toEqual([]);
    expect(compileConfigSchema(make() as never)({ a: 1 })).toEqual(['a: must be string']);
  });
});
