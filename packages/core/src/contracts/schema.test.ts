import { describe, expectTypeOf, it, expect } from 'vitest';
import { createPluginContext } from './context.js';
import { defineCollector } from './collector.js';
import type { ConfigOf } from './schema.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string' },
    retries: { type: 'integer', default: 5 },
    mode: { enum: ['auto', 'off'], default: 'auto' },
    tables: { type: 'array', items: { enum: ['tcp', 'udp'] }, default: ['tcp'] },
    limit: { type: 'number' },
    nested: { type: 'object', default: {}, properties: { on: { type: 'boolean', default: true } } },
  },
} as const;
type Config = ConfigOf<typeof schema>;

describe('ConfigOf', () => {
  // checked by tsc in `pnpm typecheck`: a wrong derivation fails the build, not just this test
  it('derives the config type from the schema: defaults and required keys present, the rest optional', () => {
    expectTypeOf<Config>().toEqualTypeOf<{
      readonly name: string;
      readonly retries: number;
      readonly mode: 'auto' | 'off';
      readonly tables: readonly ('tcp' | 'udp')[];
      readonly nested: { readonly on: boolean };
      readonly limit?: number;
    }>();
    const def = defineCollector<Config>({ name: 'typed', description: 't', platforms: ['any'], provides: ['host'], configSchema: schema, create: () => ({ stream: async () => ({}), close: async () => {} }) });
    // and the values match at run time, defaults filled from the same schema
    expect(createPluginContext(def, { name: 'x' }).config).toEqual({ name: 'x', retries: 5, mode: 'auto', tables: ['tcp'], nested: { on: true } });
  });
});
