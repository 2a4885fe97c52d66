export { main, type MainIo } from './main.js';
export { startAgent, type Agent, type AgentOptions } from './agent.js';
export { builtinRegistry } from './builtins.js';
export { validateConfig, readConfigFile, type ConfigTranslator, type ValidatedConfig } from './config/load.js';
export { composeConfigSchema } from './config/schema.js';
export type { AgentConfig, PluginEntry } from './config/types.js';
export { createLogger } from './logger.js';
export { parseArgs, UsageError, type CliArgs } from './args.js';
export { CLI_NODE_FLAGS, shebangNodeFlags } from './node-flags.js';
