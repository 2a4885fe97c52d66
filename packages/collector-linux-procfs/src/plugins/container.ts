import { defineEnricher } from '@sockscope/core';
import { containerConfigSchema, type ContainerEnricherConfig } from '../config.js';
import { createContainerEnricher } from '../enrichers/container.js';

/**
 * Sets `record.container` (container id and runtime, systemd unit, Kubernetes pod UID and QoS
 * class) from /proc/<pid>/cgroup of the owning process, and `record.netns` when the record has
 * none: the owner's /proc/<pid>/ns/net, or for sockets without a known owner the agent's own
 * namespace (what an absent netns means), so every record can be compared by namespace.
 */
export const containerEnricher = defineEnricher<ContainerEnricherConfig>({
  name: 'container',
  description: 'Container, Kubernetes pod, systemd unit and network namespace of each socket owner from /proc/<pid>/cgroup and ns/net',
  platforms: ['linux'],
  defaultEnabled: true,
  after: ['process'],
  configSchema: containerConfigSchema,
  create: createContainerEnricher,
});
