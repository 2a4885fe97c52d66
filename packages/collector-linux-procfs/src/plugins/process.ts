import { defineEnricher } from '@sockscope/core';
import { processConfigSchema, type ProcessEnricherConfig } from '../config.js';
import { createProcessEnricher } from '../enrichers/process.js';

/**
 * Sets `record.process` (pid, ppid, comm, cmdline, uid, start time) from one pass over
 * /proc/*\/fd per collection; process files are read only for pids that own a socket.
 */
export const processEnricher = defineEnricher<ProcessEnricherConfig>({
  name: 'process',
  description: 'Owning process of each socket (pid, comm, cmdline, uid) from /proc/<pid>/fd',
  platforms: ['linux'],
  defaultEnabled: true,
  configSchema: processConfigSchema,
  create: createProcessEnricher,
});
