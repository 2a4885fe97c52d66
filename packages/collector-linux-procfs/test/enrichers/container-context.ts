import { createPluginContext } from '@sockscope/core';
import { testContext } from '@sockscope/test-utils';
import type { ContainerEnricherConfig } from '../../src/config.js';
import { containerEnricher } from '../../src/plugins/container.js';

/**
 * A container enricher context as the agent builds it (the schema's defaults applied, so
 * runtime_roots and netns_run_dir are there) that also keeps the notices it was given.
 */
export function containerContext(config: Record<string, unknown> = {}) {
  return testContext<ContainerEnricherConfig>(createPluginContext(containerEnricher, config).config);
}

/** Every runtime's names turned off: for tests of what the cgroup alone gives. */
export const NO_RUNTIMES = { containerd: [], crio: [], podman: [], docker: [] };
