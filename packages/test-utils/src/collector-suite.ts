import { createPluginContext, defineCollector, listSockets, PluginRegistry, type CollectorDefinition, type Logger, type PluginContext, type SocketRecord } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { socketRecordProblems } from './validate-record.js';

/** A logger that records what it was told, for assertions; its children write to the same lines. */
export function memoryLogger(): Logger & { lines: string[]; child(fields?: Record<string, unknown>): Logger } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string) => void lines.push(`${level}: ${msg}`);
  const logger = { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

/** Builds a plugin context around a config, for tests; the config is used as given (no schema defaults). */
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
  /** Config to create it with, validated against the plugin's schema, which fills in its defaults. */
  config: Partial<C>;
  /** Skip the live parts (reading the kernel) when the platform cannot run the collector. */
  live?: boolean;
  /** Config that makes the collector face malformed input; it must report, not throw. */
  brokenConfig?: Partial<C>;
}

const listening = (s: SocketRecord): boolean => s.state === 'LISTEN' || (s.protocol === 'udp' && s.state === 'CLOSE');

/**
 * The context the suite creates a collector with: the config validated and completed by the
 * plugin's schema (as the agent does), a memory logger, and notices kept.
 */
function suiteContext<C>(definition: CollectorDefinition<C>, config: Partial<C>): PluginContext<C> {
  const notices: string[] = [];
  return createPluginContext(definition, config, { logger: memoryLogger(), reportOnce: (_key, message) => void notices.push(message) });
}

/**
 * The suite every collector passes: the registry accepts it, one stream() gives the declared
 * shape (a socket collector visits well-formed records, each socket once, listening sockets
 * first; the others visit none), close() is safe twice, and bad input is reported rather than
 * thrown.
 */
export function describeCollectorConformance<C>(opts: CollectorSuiteOptions<C>): void {
  const { definition } = opts;
  const sockets = definition.provides.includes('sockets');
  describe(`collector conformance: ${definition.name}`, () => {
    it('is accepted by the registry and declares what it provides', () => {
      const reg = new PluginRegistry(process.platform);
      // The collector it falls back to is another package's: a stand-in socket source takes its name.
      if (definition.fallback) {
        reg.register(defineCollector({ name: definition.fallback, description: 'stand-in fallback', platforms: definition.platforms, provides: ['sockets'], configSchema: {}, create: () => ({ stream: async () => ({}), close: async () => {} }) }));
      }
      expect(reg.register(definition).name).toBe(definition.name);
      expect(definition.provides.length).toBeGreaterThan(0);
      expect(definition.description.length).toBeGreaterThan(0);
    });

    it.runIf(opts.live !== false)('streams a result of the declared shape', async () => {
      const c = await definition.create(suiteContext(definition, opts.config));
      try {
        const r = await listSockets(c);
        if (sockets) {
          const bad = r.sockets.map((s) => socketRecordProblems(s)).filter((p) => p.length > 0);
          expect(bad.slice(0, 3)).toEqual([]);
        } else {
          // host and families collectors never call visit
          expect(r.sockets).toEqual([]);
        }
        if (definition.provides.includes('host')) expect(r.host).toBeTypeOf('object');
        if (definition.provides.includes('families')) expect(Array.isArray(r.families)).toBe(true);
      } finally {
        await c.close();
      }
    });

    if (sockets) it.runIf(opts.live !== false)('streams well-formed records, each socket once, listening sockets first', async () => {
      const c = await definition.create(suiteContext(definition, opts.config));
      try {
        const { sockets: all } = await listSockets(c);
        // a collector may end its stream with closed sockets (closedAt: after every live one, a
        // cookie possibly again); the promises are the live records'
        const firstClosed = all.findIndex((s) => s.closedAt !== undefined);
        const seen = firstClosed < 0 ? all : all.slice(0, firstClosed);
        expect(all.slice(seen.length).every((s) => s.closedAt !== undefined)).toBe(true);
        expect(seen.length).toBeGreaterThan(0);
        const ids = seen.filter((s) => s.cookie !== undefined).map((s) => s.cookie);
        expect(new Set(ids).size).toBe(ids.length);
        // a visited record is the consumer's to keep: a collector must not hand one object over twice
        expect(new Set(all).size).toBe(all.length);
        const firstOther = seen.findIndex((s) => !listening(s));
        if (firstOther >= 0) expect(seen.slice(firstOther).filter(listening)).toEqual([]);
      } finally {
        await c.close();
      }
    });

    it.runIf(opts.live !== false)('survives close() twice', async () => {
      const c = await definition.create(suiteContext(definition, opts.config));
      await c.close();
      await expect(c.close()).resolves.toBeUndefined();
    });

    it.runIf(opts.brokenConfig !== undefined)('reports bad input instead of throwing', async () => {
      const c = await definition.create(suiteContext(definition, opts.brokenConfig ?? {}));
      try {
        const r = await listSockets(c);
        expect((r.warnings ?? []).length + (r.inconsistent ? 1 : 0)).toBeGreaterThan(0);
        for (const w of r.warnings ?? []) expect(w).toEqual({ code: expect.stringMatching(/^ERR_[A-Z0-9_]+$/), message: expect.any(String) });
      } finally {
        await c.close();
      }
    });
  });
}
