import { PluginRegistry, type CollectorDefinition, type Logger, type PluginContext, type SocketRecord } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { socketRecordProblems } from './validate-record.js';

/** A logger that records what it was told, for assertions; its children write to the same lines. */
export function memoryLogger(): Logger & { lines: string[]; child(fields?: Record<string, unknown>): Logger } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string) => void lines.push(`${level}: ${msg}`);
  const logger = { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

/** Builds a plugin context around a config, for tests. */
export function testContext<C>(config: C, platform: NodeJS.Platform = process.platform): PluginContext<C> & { notices: string[] } {
  const notices: string[] = [];
  return {
    config,
    logger: memoryLogger(),
    platform,
    notices,
    reportOnce: (_key, message) => void notices.push(message),
  };
}

/** Options of the shared collector conformance suite. */
export interface CollectorSuiteOptions<C> {
  /** The plugin definition under test. */
  definition: CollectorDefinition<C>;
  /** Config to create it with (schema defaults are not applied for you). */
  config: C;
  /** Skip the live parts (collect) when the platform cannot run the collector. */
  live?: boolean;
  /** Config that makes the collector face malformed input; it must report, not throw. */
  brokenConfig?: C;
  /** The collector implements stream(): check its promises (shape, each socket once, listeners first). */
  streams?: boolean;
}

/**
 * The suite every collector passes: the registry accepts it, collect() returns the declared
 * shape, close() is safe twice, and bad input is reported rather than thrown.
 */
export function describeCollectorConformance<C>(opts: CollectorSuiteOptions<C>): void {
  const { definition } = opts;
  describe(`collector conformance: ${definition.name}`, () => {
    it('is accepted by the registry and declares what it provides', () => {
      const reg = new PluginRegistry(process.platform);
      expect(reg.register(definition).name).toBe(definition.name);
      expect(definition.provides.length).toBeGreaterThan(0);
      expect(definition.description.length).toBeGreaterThan(0);
    });

    it.runIf(opts.live !== false)('collects a result of the declared shape', async () => {
      const c = await definition.create(testContext(opts.config));
      try {
        const r = await c.collect(new AbortController().signal);
        if (definition.provides.includes('sockets')) {
          expect(Array.isArray(r.sockets)).toBe(true);
          const bad = (r.sockets ?? []).map((s) => socketRecordProblems(s)).filter((p) => p.length > 0);
          expect(bad.slice(0, 3)).toEqual([]);
        }
        if (definition.provides.includes('host')) expect(r.host).toBeTypeOf('object');
        if (definition.provides.includes('families')) expect(Array.isArray(r.families)).toBe(true);
      } finally {
        await c.close();
      }
    });

    // only for collectors that declare stream(): the others have nothing to show here
    if (opts.streams === true) it.runIf(opts.live !== false)('streams well-formed records, each socket once, listening sockets first, keeping none', async () => {
      const c = await definition.create(testContext(opts.config));
      try {
        expect(c.stream).toBeTypeOf('function');
        const seen: SocketRecord[] = [];
        const r = await c.stream?.(new AbortController().signal, (s) => void seen.push(s));
        expect(r?.sockets).toBeUndefined();
        expect(seen.length).toBeGreaterThan(0);
        const bad = seen.map((s) => socketRecordProblems(s)).filter((p) => p.length > 0);
        expect(bad.slice(0, 3)).toEqual([]);
        const ids = seen.filter((s) => s.cookie !== undefined).map((s) => s.cookie);
        expect(new Set(ids).size).toBe(ids.length);
        const listening = (s: SocketRecord) => s.state === 'LISTEN' || (s.protocol === 'udp' && s.state === 'CLOSE');
        const firstOther = seen.findIndex((s) => !listening(s));
        if (firstOther >= 0) expect(seen.slice(firstOther).filter(listening)).toEqual([]);
      } finally {
        await c.close();
      }
    });

    it.runIf(opts.live !== false)('survives close() twice', async () => {
      const c = await definition.create(testContext(opts.config));
      await c.close();
      await expect(c.close()).resolves.toBeUndefined();
    });

    it.runIf(opts.brokenConfig !== undefined)('reports bad input instead of throwing', async () => {
      const c = await definition.create(testContext(opts.brokenConfig as C));
      try {
        const r = await c.collect(new AbortController().signal);
        expect((r.warnings ?? []).length + (r.inconsistent ? 1 : 0)).toBeGreaterThan(0);
      } finally {
        await c.close();
      }
    });
  });
}
