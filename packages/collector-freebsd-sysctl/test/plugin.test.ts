import { PluginRegistry, compileConfigSchema } from '@sockscope/core';
import { describeCollectorConformance, testContext } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { freebsdSysctlCollector } from '../src/index.js';
import { CONFIG_DEFAULTS } from '../src/config.js';

// live: false — collect() needs a FreeBSD kernel; the orchestration is covered by collector.test.ts.
describeCollectorConformance({ definition: freebsdSysctlCollector, config: {}, live: false });

describe('freebsd-sysctl plugin definition', () => {
  it('declares what it is', () => {
    expect(freebsdSysctlCollector).toMatchObject({ kind: 'collector', name: 'freebsd-sysctl', platforms: ['freebsd'], provides: ['sockets', 'host', 'families'], defaultEnabled: true });
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

  it('create() off FreeBSD fails with a coded error, and koffi\'s native module is never loaded', () => {
    expect(() => freebsdSysctlCollector.create(testContext({}, 'linux'))).toThrow(expect.objectContaining({ code: 'ERR_COLLECTOR_UNAVAILABLE', message: expect.stringMatching(/cannot run on linux/) }));
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
    expect(config).toEqual(CONFIG_DEFAULTS);
    const errors = validate({ pcblistRetries: -1, tpc: true });
    expect(errors.join('\n')).toMatch(/pcblistRetries/);
    expect(errors.join('\n')).toMatch(/tpc/);
  });
});
