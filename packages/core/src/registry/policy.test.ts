import { describe, expect, it } from 'vitest';
import { defineCollector, defineEnricher } from '../index.js';
import { createPluginContext } from '../contracts/context.js';
import { renameDeprecatedKeys } from '../config/deprecated-keys.js';
import { PluginRegistry } from './registry.js';

const collector = (name: string, extra: Record<string, unknown> = {}) =>
  defineCollector({ name, description: 'test', platforms: ['linux'], provides: ['sockets'], configSchema: { type: 'object' }, create: () => ({ stream: async () => ({}), close: async () => {} }), ...extra });
const enricher = (name: string, after: string[] = [], extra: Record<string, unknown> = {}) =>
  defineEnricher({ name, description: 'test', platforms: ['any'], after, defaultEnabled: true, configSchema: { type: 'object' }, create: () => ({ prepare: async () => ({ enrich: () => {}, finish: () => ({}) }), close: async () => {} }), ...extra });
const sections = (collectors: Record<string, { enabled?: boolean }> = {}) => ({ collector: collectors, enricher: {}, sink: {} });
const NAMES = { collector: 'collectors', enricher: 'enrichers', sink: 'sinks' } as const;

describe('registry plugin policy', () => {
  it('refuses a fallback or an after-plugin that is not registered, naming both plugins', () => {
    const reg = new PluginRegistry('linux');
    expect(() => reg.register(collector('primary', { fallback: 'procfs' }))).toThrowError(
      expect.objectContaining({ code: 'ERR_PLUGIN_REFERENCE', message: expect.stringContaining('collector "primary" falls back to collector "procfs", which is not registered') }),
    );
    expect(reg.has('collector', 'primary')).toBe(false);
    expect(() => reg.register(enricher('container', ['proces']))).toThrowError(
      expect.objectContaining({ code: 'ERR_PLUGIN_REFERENCE', message: expect.stringContaining('enricher "container" runs after enricher "proces"') }),
    );
  });

  it('refuses a fallback that provides no sockets', () => {
    const reg = new PluginRegistry('linux');
    reg.register(collector('host', { provides: ['host'] }));
    expect(() => reg.register(collector('primary', { fallback: 'host' }))).toThrowError(expect.objectContaining({ code: 'ERR_PLUGIN_REFERENCE', message: expect.stringContaining('provides no sockets') }));
  });

  it('registerAll lets plugins name each other in any order and answers the fallback', () => {
    const reg = new PluginRegistry('linux');
    reg.registerAll([collector('primary', { fallback: 'procfs', defaultEnabled: true }), collector('procfs'), enricher('direction', ['process']), enricher('process')]);
    expect(reg.fallbackFor(reg.get('collector', 'primary'))?.name).toBe('procfs');
    expect(reg.fallbackFor(reg.get('collector', 'procfs'))).toBeUndefined();
  });

  it('enables configured, environment and default plugins, enrichers in their after order', () => {
    const reg = new PluginRegistry('linux');
    reg.registerAll([enricher('direction', ['container', 'process']), enricher('container', ['process']), enricher('process'), enricher('off'), enricher('extra', [], { defaultEnabled: false })]);
    expect(reg.enabled('enricher', { off: { enabled: false } }).map((d) => d.name)).toEqual(['process', 'container', 'direction']);
    expect(reg.enabled('enricher', {}, new Set(['extra'])).map((d) => d.name)).toContain('extra');
    const bsd = new PluginRegistry('linux');
    bsd.register(collector('bsd', { platforms: ['freebsd'] }));
    expect(() => bsd.enabled('collector', { bsd: {} })).toThrowError(expect.objectContaining({ code: 'ERR_PLUGIN_PLATFORM' }));
    expect(bsd.enabled('collector', {})).toEqual([]);
  });

  it('config errors: a plugin for another platform, and two socket sources on at once', () => {
    const reg = new PluginRegistry('linux');
    reg.registerAll([collector('primary', { fallback: 'procfs', defaultEnabled: true }), collector('procfs'), collector('bsd', { platforms: ['freebsd'] })]);
    expect(reg.configErrors(sections({ bsd: {} }), NAMES)).toEqual(['collectors.bsd: runs on freebsd, not on linux (remove it or set enabled: false)']);
    expect(reg.configErrors(sections({ bsd: { enabled: false } }), NAMES)).toEqual([]);
    expect(reg.configErrors(sections({ procfs: {} }), NAMES)).toEqual([
      'collectors: primary and procfs all provide sockets and would count each twice: keep primary (its fallback takes over when it cannot start) and set enabled: false on procfs',
    ]);
    expect(reg.configErrors(sections({ procfs: {}, primary: { enabled: false } }), NAMES)).toEqual([]);
  });
});

describe('plugin config', () => {
  const schema = { type: 'object', additionalProperties: false, properties: { pcblist_retries: { type: 'integer', default: 5 }, max_buffer_bytes: { type: 'integer', default: 1024 } } } as const;
  const def = collector('bsd', { configSchema: schema });

  it('accepts an old camelCase key with a warning that names the new key', () => {
    const section: Record<string, unknown> = { pcblistRetries: 2, maxBufferBytes: 9, max_buffer_bytes: 10 };
    expect(renameDeprecatedKeys(section, schema, 'collectors.bsd')).toEqual([
      'collectors.bsd.pcblistRetries is deprecated: use collectors.bsd.pcblist_retries',
      'collectors.bsd.maxBufferBytes is deprecated and ignored: collectors.bsd.max_buffer_bytes is also set',
    ]);
    expect(section).toEqual({ pcblist_retries: 2, max_buffer_bytes: 10 });
  });

  it('createPluginContext applies the schema defaults, renames old keys, freezes, and refuses a bad config', () => {
    const warned: string[] = [];
    const ctx = createPluginContext(def, { pcblistRetries: 1 }, { logger: { debug() {}, info() {}, warn: (m) => void warned.push(m), error() {} } });
    expect(ctx.config).toEqual({ pcblist_retries: 1, max_buffer_bytes: 1024 });
    expect(Object.isFrozen(ctx.config)).toBe(true);
    expect(warned).toEqual(['bsd.pcblistRetries is deprecated: use bsd.pcblist_retries']);
    expect(() => createPluginContext(def, { pcblist_retries: 'x' })).toThrowError(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID', details: ['bsd.pcblist_retries: must be integer'] }),
    );
  });
});
