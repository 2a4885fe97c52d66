import { PluginRegistry, compileConfigSchema, createPluginContext } from '@sockscope/core';
import { describeCollectorConformance, testContext } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { freebsdSysctlCollector } from '../src/index.js';

const DEFAULTS = { tcp: true, udp: true, processes: true, stats: true, interfaces: true, pcblist_retries: 5, max_buffer_bytes: 268435456 };

// live: false — stream() needs a FreeBSD kernel; the orchestration is covered by collector.test.ts.
describeCollectorConformance({ definition: freebsdSysctlCollector, config: createPluginContext(freebsdSysctlCollector, {}, { platform: 'freebsd' }).config, live: false });

describe('freebsd-sysctl plugin definition', () => {
  it('declares what it is (host counters only besides sockets: core renders its families)', () => {
    expect(freebsdSysctlCollector).toMatchObject({ kind: 'collector', name: 'freebsd-sysctl', platforms: ['freebsd'], provides: ['sockets', 'host'], defaultEnabled: true });
  });

  it('is refused on linux by platform, with a message naming the plugin', () => {
    const reg = new PluginRegistry('linux');
    const def = reg.register(freebsdSysctlCollector);
    expect(() => reg.assertPlatform(def)).toThrow(expect.objectContaining({ code: 'ERR_PLUGIN_PLATFORM', message: expect.stringContaining('"freebsd-sysctl" runs on freebsd, not on linux') }));
    expect(reg.defaults('collector')).toEqual([]);
  });

  it('is a default collector on freebsd', () => {
    const reg = new PluginRegistry('freebsd');
    reg.register(freebsdSysctlCollector);
    expect(reg.defaults('collector').map((d) => d.name)).toEqual(['freebsd-sysctl']);
  });

  it('create() off FreeBSD fails with a coded error, and koffi\'s native module is never loaded', async () => {
    await expect(freebsdSysctlCollector.create(testContext(DEFAULTS, 'linux'))).rejects.toMatchObject({ code: 'ERR_FREEBSD_SYSCTL_PLATFORM', message: expect.stringMatching(/cannot run on linux/) });
    const report = process.report.getReport() as unknown as { sharedObjects: string[] };
    expect(report.sharedObjects.length).toBeGreaterThan(0);
    expect(report.sharedObjects.filter((so) => so.includes('koffi'))).toEqual([]);
  });
});

describe('config schema', () => {
  it('applies the documented defaults and names bad keys as path: message', () => {
    const validate = compileConfigSchema(freebsdSysctlCollector.configSchema, 'collectors.freebsd-sysctl');
    const config: Record<string, unknown> = {};
    expect(validate(config)).toEqual([]);
    expect(config).toEqual(DEFAULTS);
    const errors = validate({ pcblist_retries: -1, tpc: true });
    expect(errors.join('\n')).toMatch(/pcblist_retries/);
    expect(errors.join('\n')).toMatch(/tpc/);
  });

  it('accepts the old camelCase keys with a deprecation warning naming the snake_case key', () => {
    const warned: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (m: string) => void warned.push(m), error: () => {} };
    const ctx = createPluginContext(freebsdSysctlCollector, { pcblistRetries: 2, maxBufferBytes: 1048576 }, { platform: 'freebsd', logger });
    expect(ctx.config).toEqual({ ...DEFAULTS, pcblist_retries: 2, max_buffer_bytes: 1048576 });
    expect(warned).toEqual([
      expect.stringMatching(/pcblistRetries is deprecated: use .*pcblist_retries/),
      expect.stringMatching(/maxBufferBytes is deprecated: use .*max_buffer_bytes/),
    ]);
  });
});
