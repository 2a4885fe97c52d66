import { createPluginContext, type PluginContext } from '@sockscope/core';
import { memoryLogger } from '@sockscope/test-utils';
import { linuxNetlinkCollector, type NetlinkCollectorConfig } from '../src/index.js';

/**
 * The context the agent would give the collector: `config` validated by the plugin's schema,
 * which fills in its defaults; what the collector reports once is kept in `notices`.
 */
export function netlinkContext(config: Partial<NetlinkCollectorConfig> = {}, platform: NodeJS.Platform = process.platform): PluginContext<NetlinkCollectorConfig> & { notices: string[] } {
  const notices: string[] = [];
  const ctx = createPluginContext(linuxNetlinkCollector, config, { platform, logger: memoryLogger(), reportOnce: (_key, message) => void notices.push(message) });
  return { ...ctx, notices };
}
