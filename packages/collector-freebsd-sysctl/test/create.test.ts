// Its own file (own worker): this test makes koffi load, which plugin.test.ts checks never happens off FreeBSD.
import { createPluginContext } from '@sockscope/core';
import { testContext } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { freebsdSysctlCollector } from '../src/index.js';

const config = createPluginContext(freebsdSysctlCollector, {}, { platform: 'freebsd' }).config;

describe('create() loads koffi and libc.so.7, not the first cycle', () => {
  it.runIf(process.arch === 'x64' || process.arch === 'arm64')('fails with ERR_FREEBSD_SYSCTL_LOAD when libc.so.7 cannot be loaded (told it is FreeBSD, on Linux)', async () => {
    await expect(freebsdSysctlCollector.create(testContext(config, 'freebsd'))).rejects.toMatchObject({
      code: 'ERR_FREEBSD_SYSCTL_LOAD',
      message: expect.stringMatching(/could not load koffi or libc.so.7: .*\(is koffi's FreeBSD prebuild installed\?\)/),
    });
  });

  it('fails with ERR_FREEBSD_SYSCTL_PLATFORM on an architecture without layouts', async () => {
    const arch = Object.getOwnPropertyDescriptor(process, 'arch')!;
    Object.defineProperty(process, 'arch', { value: 'riscv64', configurable: true });
    try {
      await expect(freebsdSysctlCollector.create(testContext(config, 'freebsd'))).rejects.toMatchObject({ code: 'ERR_FREEBSD_SYSCTL_PLATFORM', message: expect.stringMatching(/amd64 and arm64, not riscv64/) });
    } finally {
      Object.defineProperty(process, 'arch', arch);
    }
  });
});
