import { createPluginContext } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { linuxProcfsHostCollector } from '../../src/index.js';

/** The plugin's validateConfig on a config as the agent hands it: the schema's defaults applied. */
const problems = (config: Record<string, unknown>) => linuxProcfsHostCollector.validateConfig?.(createPluginContext(linuxProcfsHostCollector, config).config) ?? ['no validateConfig'];

describe('linux-procfs validateConfig (check-config sees what create() would refuse)', () => {
  it('names every regex that does not compile by its path in the section', () => {
    expect(problems({ interfaces: { include: '[a-', exclude: '(' }, netstat_fields: '*Tcp' })).toEqual([
      'interfaces.include: invalid regular expression: /[a-/: Unterminated character class',
      'interfaces.exclude: invalid regular expression: /(/: Unterminated group',
      'netstat_fields: invalid regular expression: /*Tcp/: Nothing to repeat',
    ]);
  });

  it('accepts the defaults (node_exporter netstat filter), netstat_fields: all, and good regexes', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ netstat_fields: 'all', interfaces: { exclude: '^(lo|veth.*)$' } })).toEqual([]);
  });
});
