import type { ConfigOf, JSONSchemaType } from '@sockscope/core';

// The config schemas of every plugin of this package. Each schema is the single source of its
// plugin's defaults: the agent and createPluginContext() apply them before create() runs.

/** node_exporter 1.5's default `--collector.netstat.fields`: the counters dashboards use. */
export const NODE_EXPORTER_NETSTAT_FIELDS =
  '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

/** Schema of the `linux-procfs` host collector. */
export const hostConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    procfs_path: { type: 'string', minLength: 1, default: '/proc', description: 'procfs mount point' },
    sysfs_path: { type: 'string', minLength: 1, default: '/sys', description: 'sysfs mount point' },
    interfaces: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        include: { type: 'string', description: 'regex: publish only interfaces whose name matches' },
        exclude: { type: 'string', description: 'regex: drop interfaces whose name matches, e.g. ^(lo|veth.*|br-.*|docker.*)$' },
      },
    },
    netstat_fields: {
      type: 'string',
      default: NODE_EXPORTER_NETSTAT_FIELDS,
      description: 'regex on <Proto>_<Field>, or "all"; the default is node_exporter\'s',
    },
    // issue 21: sockscope_host_address_info, the fleet map's address → host table
    addresses: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true, description: 'publish sockscope_host_address_info (one series per local address)' },
        instance_name: { type: 'string', minLength: 1, description: 'the instance_name label: this host\'s name in the fleet map (default: the hostname)' },
        namespaces: { enum: ['own', 'all'], default: 'own', description: 'own: the agent\'s network namespace; all: every namespace a process is in, read from /proc/<pid>/net' },
        netns_run_dir: { type: 'string', minLength: 1, default: '/run/netns', description: 'where `ip netns` names namespaces (the netns label)' },
        max_series: { type: 'integer', minimum: 1, maximum: 1000000, default: 10000, description: 'most series; the rest is left out with a warning' },
      },
    },
  },
} as const satisfies JSONSchemaType;

/** Config of the `linux-procfs` host collector, defaults applied. */
export type HostCollectorConfig = ConfigOf<typeof hostConfigSchema>;

/**
 * What the host collector's schema cannot check, for its `validateConfig`: every regular
 * expression compiles. Paths are relative to the plugin's section
 * (`interfaces.exclude: invalid regular expression: /(/: Unterminated group`).
 */
export function hostConfigProblems(config: Readonly<HostCollectorConfig>): string[] {
  const problems: string[] = [];
  const check = (path: string, source: string | undefined) => {
    if (source === undefined) return;
    try {
      new RegExp(source);
    } catch (err) {
      problems.push(`${path}: invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
  };
  check('interfaces.include', config.interfaces.include);
  check('interfaces.exclude', config.interfaces.exclude);
  if (config.netstat_fields !== 'all') check('netstat_fields', config.netstat_fields);
  return problems;
}

/** The /proc/net socket tables the `linux-procfs-sockets` collector can read. */
export const SOCKET_TABLES = ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6', 'unix'] as const;

/** A /proc/net socket table the collector can read. */
export type SocketTable = (typeof SOCKET_TABLES)[number];

/** Schema of the `linux-procfs-sockets` collector. */
export const socketsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    procfs_path: { type: 'string', default: '/proc', description: 'Mount point of procfs.' },
    tables: {
      type: 'array',
      items: { enum: SOCKET_TABLES },
      uniqueItems: true,
      default: ['tcp', 'tcp6', 'udp', 'udp6'],
      description: 'Tables under <procfs_path>/net/ to read.',
    },
  },
} as const satisfies JSONSchemaType;

/** Config of the `linux-procfs-sockets` collector, defaults applied. */
export type LinuxProcfsSocketsConfig = ConfigOf<typeof socketsConfigSchema>;

/** Schema both procfs enrichers take: where procfs is, and their (pid, start time) cache size. */
const procfsEnricherSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    procfs_path: { type: 'string', default: '/proc', description: 'Mount point of procfs.' },
    cache_size: { type: 'integer', minimum: 1, default: 8192, description: 'Processes kept in the (pid, start time) cache.' },
  },
} as const satisfies JSONSchemaType;

/** Schema of the `process` enricher. */
export const processConfigSchema = procfsEnricherSchema;

/** Config of the `process` enricher, defaults applied. */
export type ProcessEnricherConfig = ConfigOf<typeof processConfigSchema>;

/** Directory lists of one runtime's state roots: where its per-container files are looked for, in order. */
const rootList = (def: readonly string[], what: string) =>
  ({ type: 'array', items: { type: 'string', minLength: 1 }, default: def, description: `${what}; [] turns this runtime's names off.` }) as const;

/**
 * Schema of the `container` enricher: the procfs part shared with `process`, plus where each
 * container runtime keeps its per-container state (read-only, once per new container id) and
 * where iproute2 names network namespaces.
 */
export const containerConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...procfsEnricherSchema.properties,
    runtime_roots: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'State directories of each container runtime, read for container, pod, namespace and image names.',
      properties: {
        containerd: rootList(['/run/containerd'], 'containerd state roots (<root>/io.containerd.runtime.v2.task/<namespace>/<id>/config.json)'),
        crio: rootList(['/run/containers/storage'], 'CRI-O storage roots (<root>/overlay-containers/<id>/userdata/config.json)'),
        podman: rootList(['/run/containers/storage', '/var/lib/containers/storage'], 'Podman storage roots (userdata/config.json, overlay-containers/containers.json, overlay-images/images.json)'),
        docker: rootList(['/var/lib/docker/containers'], 'Docker container directories (<root>/<id>/config.v2.json)'),
      },
    },
    netns_run_dir: { type: 'string', minLength: 1, default: '/run/netns', description: 'Where `ip netns` names network namespaces.' },
  },
} as const satisfies JSONSchemaType;

/** Config of the `container` enricher, defaults applied. */
export type ContainerEnricherConfig = ConfigOf<typeof containerConfigSchema>;
