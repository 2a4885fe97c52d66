import { SockscopeError, type JSONSchemaType } from '@sockscope/core';

/** node_exporter 1.5's default `--collector.netstat.fields`: the counters dashboards use. */
export const NODE_EXPORTER_NETSTAT_FIELDS =
  '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

/** Config of the linux-procfs host collector, as written by the user. */
export interface HostCollectorConfig {
  /** Where procfs is mounted (`/host/proc` in a container). */
  procfs_path?: string;
  /** Where sysfs is mounted. */
  sysfs_path?: string;
  /** Regexes on the interface name; an interface is kept when it matches include and not exclude. */
  interfaces?: { include?: string; exclude?: string };
  /** Which `<Proto>_<Field>` netstat counters to publish: a regex, or `all`. */
  netstat_fields?: string;
}

/** JSON Schema of {@link HostCollectorConfig}; ajv fills the defaults. */
export const hostConfigSchema: JSONSchemaType = {
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
  },
};

/** The config with defaults applied and regexes compiled. */
export interface ResolvedHostConfig {
  /** procfs mount point, without a trailing slash. */
  procfsPath: string;
  /** sysfs mount point, without a trailing slash. */
  sysfsPath: string;
  /** True when an interface is published. */
  keepInterface(name: string): boolean;
  /** True when a `<Proto>_<Field>` counter is published. */
  keepNetstatField(key: string): boolean;
}

/**
 * Applies defaults (create() may get a config that ajv never saw) and compiles the regexes,
 * throwing ERR_CONFIG_INVALID with one `path: message` line per bad regex.
 */
export function resolveHostConfig(config: Readonly<HostCollectorConfig>, root = 'collectors.linux-procfs'): ResolvedHostConfig {
  const errors: string[] = [];
  const compile = (path: string, source: string | undefined): RegExp | undefined => {
    if (source === undefined) return undefined;
    try {
      return new RegExp(source);
    } catch (err) {
      errors.push(`${root}.${path}: invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const include = compile('interfaces.include', config.interfaces?.include);
  const exclude = compile('interfaces.exclude', config.interfaces?.exclude);
  const fieldsSource = config.netstat_fields ?? NODE_EXPORTER_NETSTAT_FIELDS;
  const fields = fieldsSource === 'all' ? undefined : compile('netstat_fields', fieldsSource);
  if (errors.length > 0) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `collector linux-procfs: ${errors.length} invalid regular expression${errors.length > 1 ? 's' : ''}`, errors);
  }
  return {
    procfsPath: trimSlash(config.procfs_path ?? '/proc'),
    sysfsPath: trimSlash(config.sysfs_path ?? '/sys'),
    keepInterface: (name) => (!include || include.test(name)) && !exclude?.test(name),
    keepNetstatField: (key) => !fields || fields.test(key),
  };
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}
