import type { HostCollectorConfig } from '../config.js';
import { ProcfsError } from '../errors.js';

/** The config with its regexes compiled. */
export interface ResolvedHostConfig {
  /** procfs mount point, without a trailing slash. */
  procfsPath: string;
  /** sysfs mount point, without a trailing slash. */
  sysfsPath: string;
  /** True when an interface is published. */
  keepInterface(name: string): boolean;
  /** True when a `<Proto>_<Field>` counter is published. */
  keepNetstatField(key: string): boolean;
  /**
   * keepNetstatField of `<proto>_<field>`: the filter the snmp/netstat/snmp6 parsers take, which
   * ask it once per counter name and remember the answer (parse/snmp.ts, parse/snmp6.ts).
   */
  keepProtocolField(proto: string, field: string): boolean;
}

/**
 * Compiles the regexes of a config the schema validated (defaults applied), throwing
 * ERR_CONFIG_INVALID with one `path: message` line per bad regex.
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
  const include = compile('interfaces.include', config.interfaces.include);
  const exclude = compile('interfaces.exclude', config.interfaces.exclude);
  const fields = config.netstat_fields === 'all' ? undefined : compile('netstat_fields', config.netstat_fields);
  if (errors.length > 0) {
    throw new ProcfsError('ERR_CONFIG_INVALID', `collector linux-procfs: ${errors.length} invalid regular expression${errors.length > 1 ? 's' : ''}`, errors);
  }
  const keepNetstatField = (key: string) => !fields || fields.test(key);
  return {
    procfsPath: trimSlash(config.procfs_path),
    sysfsPath: trimSlash(config.sysfs_path),
    keepInterface: (name) => (!include || include.test(name)) && !exclude?.test(name),
    keepNetstatField,
    keepProtocolField: (proto, field) => keepNetstatField(`${proto}_${field}`),
  };
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}
