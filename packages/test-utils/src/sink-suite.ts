import { PluginRegistry, createPluginContext, type RenderedSnapshot, type SinkContext, type SinkDefinition } from '@sockscope/core';
import { describe, expect, it, vi } from 'vitest';
import { controlledPipeline, renderedSnapshot, sinkTestContext } from './sink-context.js';

export * from './sink-context.js';

/** Options of the shared sink conformance suite. */
export interface SinkSuiteOptions<C> {
  /** The plugin definition under test. */
  definition: SinkDefinition<C>;
  /**
   * A fresh config per test, validated against the sink's schema with its defaults applied, as the
   * agent does; a push sink should collect every few tens of ms.
   */
  config: () => Partial<C> | Promise<Partial<C>>;
  /** Makes a started sink ask the pipeline for a collection: a scrape for pull sinks; omit for push sinks, whose timer does it. */
  poke?: (ctx: SinkContext<C>) => Promise<unknown>;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/**
 * The suite every sink passes: the registry accepts it and its config keys are snake_case,
 * start()/stop() twice are safe and it starts again after a stop, stop() finishes the collection
 * in flight before resolving, and a pipeline whose collect() rejects neither crashes the sink nor
 * stops it from collecting again.
 */
export function describeSinkConformance<C>(opts: SinkSuiteOptions<C>): void {
  const { definition } = opts;
  const poke = (ctx: SinkContext<C>) => (opts.poke ? opts.poke(ctx).catch(() => undefined) : Promise.resolve());
  const config = async (): Promise<C> => createPluginContext(definition, await opts.config()).config as C;

  describe(`sink conformance: ${definition.name}`, () => {
    it('is accepted by the registry and describes itself', () => {
      const reg = new PluginRegistry(process.platform);
      expect(reg.register(definition).name).toBe(definition.name);
      expect(definition.kind).toBe('sink');
      expect(definition.description.length).toBeGreaterThan(0);
      expect(typeof definition.configSchema).toBe('object');
    });

    it('spells every config key in snake_case', () => {
      const keys = Object.keys((definition.configSchema.properties ?? {}) as Record<string, unknown>);
      expect(keys.filter((k) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(k))).toEqual([]);
    });

    it('survives start() and stop() twice, and starts again after a stop', async () => {
      const pipeline = controlledPipeline();
      const ctx = sinkTestContext(await config(), pipeline);
      const sink = await definition.create(ctx);
      await sink.start();
      await expect(sink.start()).resolves.toBeUndefined();
      await poke(ctx);
      await vi.waitFor(() => expect(pipeline.collects).toBeGreaterThan(0), { timeout: 5000 });
      await sink.stop();
      await expect(sink.stop()).resolves.toBeUndefined();
      const before = pipeline.collects;
      await sink.start();
      await poke(ctx);
      await vi.waitFor(() => expect(pipeline.collects).toBeGreaterThan(before), { timeout: 5000 });
      await sink.stop();
    });

    it('finishes the collection in flight before stop() resolves', async () => {
      let release!: (r: RenderedSnapshot) => void;
      const pipeline = controlledPipeline(() => new Promise<RenderedSnapshot>((resolve) => (release = resolve)));
      const ctx = sinkTestContext(await config(), pipeline);
      const sink = await definition.create(ctx);
      await sink.start();
      const poked = poke(ctx);
      await vi.waitFor(() => expect(pipeline.collects).toBe(1), { timeout: 5000 });
      let stopped = false;
      const stopping = sink.stop().then(() => void (stopped = true));
      await settle();
      expect(stopped).toBe(false);
      release(renderedSnapshot());
      await stopping;
      await poked;
      expect(stopped).toBe(true);
    });

    it('survives a pipeline whose collect() rejects and collects again', async () => {
      const pipeline = controlledPipeline(() => Promise.reject(new Error('conformance: collection failed')));
      const ctx = sinkTestContext(await config(), pipeline);
      const sink = await definition.create(ctx);
      await sink.start();
      try {
        await poke(ctx);
        await vi.waitFor(() => expect(pipeline.collects).toBeGreaterThan(0), { timeout: 5000 });
        const failed = pipeline.collects;
        pipeline.answer(async () => renderedSnapshot());
        await poke(ctx);
        await vi.waitFor(() => expect(pipeline.collects).toBeGreaterThan(failed), { timeout: 5000 });
      } finally {
        await sink.stop();
      }
    });
  });
}
