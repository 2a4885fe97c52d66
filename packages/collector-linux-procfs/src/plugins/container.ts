import { defineEnricher } from '@sockscope/core';
import { containerConfigSchema, type ContainerEnricherConfig } from '../config.js';
import { createContainerEnricher } from '../enrichers/container.js';

/**
 * Sets `record.container` from the owning process: ids, systemd unit (with its kind and human
 * name), Kubernetes pod UID and QoS class from /proc/<pid>/cgroup, and the names (container, pod,
 * namespace, image, Compose project/service, inferred workload, orchestrator) from the container
 * runtime's state on disk (`runtime_roots`, read once per new container id). Sets `record.netns`
 * when the record has none (the owner's /proc/<pid>/ns/net, or for sockets without a known owner
 * the agent's own namespace, what an absent netns means) and `record.netnsName` (`system`, the
 * `ip netns` name, or the owning container's `namespace/pod` or name). Publishes the
 * `sockscope_owner_cache_*{cache}` counters of its two caches.
 */
export const containerEnricher = defineEnricher<ContainerEnricherConfig>({
  name: 'container',
  description: 'Container, pod, image and systemd unit names and the network namespace of each socket owner, from /proc/<pid>/cgroup, ns/net and the container runtimes\' state on disk',
  platforms: ['linux'],
  defaultEnabled: true,
  after: ['process'],
  configSchema: containerConfigSchema,
  create: createContainerEnricher,
});
