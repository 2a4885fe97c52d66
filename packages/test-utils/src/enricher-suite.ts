import {
  PluginRegistry,
  createPluginContext,
  defineEnricher,
  enrichRecords,
  isListening,
  type EnrichResult,
  type Enricher,
  type EnricherDefinition,
  type Logger,
  type PluginContext,
  type SocketRecord,
} from '@sockscope/core';
import { describe, expect, it } from 'vitest';

/** Options of the shared enricher conformance suite. */
export interface EnricherSuiteOptions<C> {
  /** The plugin definition under test. */
  definition: EnricherDefinition<C>;
  /** Config as a user writes it; the schema's defaults are applied (`createPluginContext`). Default `{}`. */
  config?: unknown;
  /**
   * LIVE records to enrich: what a real collector read over real sockets (e.g. `listSockets` of
   * the netlink collector while the test holds loopback connections open), already through the
   * enrichers this one runs after. Called once per check; keep it to sockets that stay open for
   * the whole test (the test's own), or the host's churn makes two reads differ.
   */
  records: () => Promise<SocketRecord[]>;
  /** Skip the live parts when the platform cannot run the enricher. */
  live?: boolean;
  /**
   * The enricher sets something on at least one live record (default true), so that comparing
   * the two forms cannot pass on an enricher that does nothing.
   */
  changes?: boolean;
  /**
   * Records the enricher cannot enrich (with the config that makes it so): each must come back
   * as a `{code, message}` warning of the collection, not as a throw.
   */
  unenrichable?: { config?: unknown; records: () => SocketRecord[] | Promise<SocketRecord[]> };
}

/** A logger that drops everything, so the suite prints nothing. */
function silentLogger(): Logger {
  const drop = (): void => {};
  return { debug: drop, info: drop, warn: drop, error: drop };
}

function contextOf<C>(definition: EnricherDefinition<C>, config: unknown): PluginContext<C> {
  return createPluginContext(definition, config ?? {}, { logger: silentLogger(), reportOnce: () => {} });
}

/** Enriches records as the agent streams them: prepare, each record as it arrives (listening sockets first), finish. */
async function enrichOneByOne(enricher: Enricher, records: readonly SocketRecord[], signal: AbortSignal): Promise<EnrichResult> {
  const run = await enricher.prepare(signal);
  const arrive = function* (): Generator<SocketRecord> {
    for (const s of records) if (isListening(s)) yield s;
    for (const s of records) if (!isListening(s)) yield s;
  };
  for (const s of arrive()) {
    // enrich is synchronous: records arrive mid-parse, nothing may wait for it
    expect(run.enrich(s) as unknown).toBeUndefined();
  }
  return run.finish();
}

function expectWellFormedWarnings(result: EnrichResult): void {
  for (const w of result.warnings ?? []) {
    expect(Object.keys(w).sort()).toEqual(['code', 'message']);
    expect(w.code).toMatch(/^ERR_[A-Z0-9_]+$/);
    expect(w.message).toBeTypeOf('string');
    expect(w.message.length).toBeGreaterThan(0);
  }
}

/**
 * The suite every enricher passes: the registry accepts it, the list form core derives
 * (`enrichRecords` over the whole list) and the record-by-record form the agent streams give the
 * same records on live sockets, a warm instance gives them again, close() is safe twice, and a
 * record it cannot enrich is reported in its warnings rather than thrown.
 */
export function describeEnricherConformance<C>(opts: EnricherSuiteOptions<C>): void {
  const { definition } = opts;
  const live = opts.live !== false;
  describe(`enricher conformance: ${definition.name}`, () => {
    it('is accepted by the registry (with stand-ins for the enrichers it runs after)', () => {
      const reg = new PluginRegistry(process.platform);
      const standIns = (definition.after ?? []).map((name) =>
        defineEnricher({
          name,
          description: `stand-in for ${name}`,
          platforms: ['any'],
          configSchema: { type: 'object' },
          create: () => ({ prepare: async () => ({ enrich: () => {}, finish: () => ({}) }), close: async () => {} }),
        }),
      );
      const registered = reg.registerAll([...standIns, definition]);
      expect(registered.at(-1)?.name).toBe(definition.name);
      expect(definition.kind).toBe('enricher');
      expect(definition.description.length).toBeGreaterThan(0);
      if (live) {
        // configured on, it runs after the enrichers it names
        const order = reg.enabled('enricher', Object.fromEntries([...standIns, definition].map((d) => [d.name, {}]))).map((d) => d.name);
        expect(order.at(-1)).toBe(definition.name);
      }
    });

    it.runIf(live)('enriches live records the same as a whole list and one by one as they stream, and again when warm', async () => {
      const input = await opts.records();
      expect(input.length).toBeGreaterThan(0);
      const signal = new AbortController().signal;
      const asList = structuredClone(input);
      const oneByOne = structuredClone(input);
      const again = structuredClone(input);
      const first = await definition.create(contextOf(definition, opts.config));
      const second = await definition.create(contextOf(definition, opts.config));
      try {
        const listed = await enrichRecords(first, asList, signal);
        const streamed = await enrichOneByOne(second, oneByOne, signal);
        expectWellFormedWarnings(listed);
        expectWellFormedWarnings(streamed);
        if (opts.changes !== false) expect(asList).not.toEqual(input);
        expect(oneByOne).toEqual(asList);
        expect(streamed.warnings ?? []).toEqual(listed.warnings ?? []);
        // the same instance's next collection (caches warm) must not change the answer
        const warm = await enrichOneByOne(first, again, signal);
        expect(again).toEqual(asList);
        expect(warm.warnings ?? []).toEqual(listed.warnings ?? []);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('survives close() twice', async () => {
      const e = await definition.create(contextOf(definition, opts.config));
      await e.close();
      await expect(e.close()).resolves.toBeUndefined();
    });

    it.runIf(opts.unenrichable !== undefined)('reports a record it cannot enrich in its warnings instead of throwing', async () => {
      const bad = opts.unenrichable as NonNullable<EnricherSuiteOptions<C>['unenrichable']>;
      const e = await definition.create(contextOf(definition, bad.config ?? opts.config));
      try {
        const records = await bad.records();
        expect(records.length).toBeGreaterThan(0);
        const result = await enrichOneByOne(e, records, new AbortController().signal);
        expect(result.warnings?.length ?? 0).toBeGreaterThan(0);
        expectWellFormedWarnings(result);
      } finally {
        await e.close();
      }
    });
  });
}
