import { describe, expect, it } from 'vitest';
import { defineCollector, defineSink } from '../index.js';
import { PluginRegistry } from './registry.js';

const collector = (name: string, extra: Record<string, unknown> = {}) =>
  defineCollector({
    name,
    description: 'test',
    platforms: ['linux'],
    provides: ['host'],
    configSchema: { type: 'object' },
    create: () => ({ stream: async () => ({}), close: async () => {} }),
    ...extra,
  });

describe('PluginRegistry', () => {
  it('registers a plugin and finds it by kind and name', () => {
    const reg = new PluginRegistry('linux');
    reg.register(collector('a'));
    expect(reg.get('collector', 'a').name).toBe('a');
    expect(reg.has('sink', 'a')).toBe(false);
  });

  it('refuses a duplicate name with a coded error naming both sources', () => {
    const reg = new PluginRegistry('linux');
    reg.register(collector('dup'));
    expect(() => reg.register(collector('dup'), 'package "x"')).toThrowError(
      expect.objectContaining({ code: 'ERR_PLUGIN_DUPLICATE', message: expect.stringContaining('collector "dup" from package "x" is already registered by built-in') }),
    );
  });

  it('allows the same name for different kinds', () => {
    const reg = new PluginRegistry('linux');
    reg.register(collector('same'));
    const sink = defineSink({ name: 'same', description: 's', platforms: ['any'], configSchema: {}, create: () => ({ start: async () => {}, stop: async () => {} }) });
    expect(reg.register(sink).kind).toBe('sink');
  });

  it('refuses a plugin for another platform when it is asserted', () => {
    const reg = new PluginRegistry('freebsd');
    const def = reg.register(collector('linux-only'));
    expect(() => reg.assertPlatform(def)).toThrowError(
      expect.objectContaining({ code: 'ERR_PLUGIN_PLATFORM', message: expect.stringContaining('"linux-only" runs on linux, not on freebsd') }),
    );
    expect(reg.defaults('collector')).toEqual([]);
  });

  it('refuses a plugin built for another core major', () => {
    const reg = new PluginRegistry('linux');
    expect(() => reg.register({ ...collector('old'), coreMajor: 7 })).toThrowError(expect.objectContaining({ code: 'ERR_PLUGIN_CORE_MAJOR', message: expect.stringContaining('"old"') }));
  });

  it('refuses an export that is not a plugin, saying what is missing', () => {
    const reg = new PluginRegistry('linux');
    expect(() => reg.register({ name: 'half', kind: 'collector' }, 'package "half-plugin"')).toThrowError(
      expect.objectContaining({ code: 'ERR_PLUGIN_INVALID', message: expect.stringMatching(/"half" from package "half-plugin" is not a sockscope plugin: .*platforms.*create must be a function/) }),
    );
    expect(() => reg.register(42, 'package "n"')).toThrowError(expect.objectContaining({ code: 'ERR_PLUGIN_INVALID' }));
  });

  it('loads a package by name through the importer, default export or array', async () => {
    const reg = new PluginRegistry('linux');
    const defs = await reg.load('pkg-a', async () => ({ default: [collector('p1'), collector('p2')] }));
    expect(defs.map((d) => d.name)).toEqual(['p1', 'p2']);
    await expect(reg.load('missing', async () => Promise.reject(new Error('Cannot find package')))).rejects.toMatchObject({
      code: 'ERR_PLUGIN_LOAD',
      message: expect.stringContaining('"missing"'),
    });
    await expect(reg.load('not-plugin', async () => ({ default: { hello: 1 } }))).rejects.toMatchObject({ code: 'ERR_PLUGIN_INVALID' });
  });

  it('suggests the closest name for an unknown plugin', () => {
    const reg = new PluginRegistry('linux');
    reg.register(collector('linux-netlink'));
    expect(() => reg.get('collector', 'linux-netlnk')).toThrowError(/did you mean "linux-netlink"/);
  });
});
