import type { Collector, CollectorResult, PluginContext, SocketVisitor } from '@sockscope/core';
import type { HostCollectorConfig } from '../config.js';
import { procfsWarning } from '../errors.js';
import { defaultInstanceName, NetnsInodes, readHostAddresses, type AddressOptions } from './addresses.js';
import { readHost } from './collect.js';
import { openInterfaceFiles } from './interfaces.js';
import { kernelPageSize } from './page-size.js';
import { OpenKernelFiles } from './read.js';
import { resolveHostConfig } from './resolve.js';

/**
 * The host collector instance: every host file read once per call, returned as host stats. It
 * reads no sockets, so it never calls the visitor. Throws ERR_CONFIG_INVALID for a bad regex.
 */
export function createHostCollector(ctx: PluginContext<HostCollectorConfig>): Collector {
  const cfg = resolveHostConfig(ctx.config);
  const pageSize = kernelPageSize();
  const a = ctx.config.addresses;
  const addresses: AddressOptions | undefined = a.enabled
    ? { procfsPath: cfg.procfsPath, instanceName: a.instance_name ?? defaultInstanceName(), namespaces: a.namespaces, netnsRunDir: a.netns_run_dir, maxSeries: a.max_series }
    : undefined;
  // the agent's and the host's network namespace inodes, read once (see NetnsInodes)
  const inodes = addresses ? new NetnsInodes(addresses.procfsPath) : undefined;
  // the interfaces' sysfs attribute files, open from one collection to the next; closed by close()
  const files = openInterfaceFiles();
  // its procfs files (net/snmp, net/dev, the conntrack sysctls…), open likewise; closed by close()
  const kernel = new OpenKernelFiles();
  let closed = false;
  return {
    async stream(signal: AbortSignal, _visit: SocketVisitor): Promise<CollectorResult> {
      if (closed) return { host: {}, warnings: [procfsWarning('ERR_PROCFS_CLOSED', 'collector linux-procfs is closed')] };
      try {
        const [{ host, warnings }, own] = await Promise.all([
          readHost(cfg, pageSize, signal, files, kernel),
          addresses ? readHostAddresses(addresses, inodes) : undefined,
        ]);
        if (own) warnings.push(...own.warnings);
        const families = own ? { families: [own.family] } : {};
        return warnings.length > 0 ? { host, ...families, warnings } : { host, ...families };
      } catch (err) {
        // Only an abort (timeout or shutdown) gets here; report it instead of throwing.
        return { host: {}, warnings: [procfsWarning('ERR_PROCFS_ABORTED', `collection stopped: ${signal.aborted ? 'aborted' : (err as Error).message}`)] };
      }
    },
    async close(): Promise<void> {
      closed = true;
      files.close();
      kernel.close();
    },
  };
}
