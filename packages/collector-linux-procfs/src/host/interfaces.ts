import type { InterfaceStats, Warning } from '@sockscope/core';
import { procfsWarning } from '../errors.js';
import { parseNetDev } from './parse/net-dev.js';
import { parseSysClassNet, SYS_CLASS_NET_FILES, type SysClassNetFile } from './parse/sys-class-net.js';
import { listInterfaceDirs, OpenAttributeFiles, readAttributesSync, readKernelFile, yieldToEventLoop, type OpenKernelFiles } from './read.js';
import type { ResolvedHostConfig } from './resolve.js';

const YIELD_EVERY = 8;
// Interfaces whose sysfs files stay open between collections: 22 descriptors each, ifindex being
// opened afresh every time (see OpenAttributeFiles).
const OPEN_INTERFACES = 16;

/** The sysfs attribute files of a host collector's interfaces, kept open between its collections. */
export function openInterfaceFiles(): OpenAttributeFiles<SysClassNetFile> {
  return new OpenAttributeFiles(SYS_CLASS_NET_FILES, 'ifindex', OPEN_INTERFACES);
}

/**
 * Reads /proc/net/dev and /sys/class/net/* into one list of interfaces, filtered by the
 * config. Either source may be missing (sysfs not mounted in a container): the other still
 * publishes. Problems go to `warnings`, each naming the file. With `files`, sysfs attributes are
 * read through descriptors it keeps open (and it closes those of interfaces no longer listed);
 * with `kernel`, /proc/net/dev is read through one it keeps open.
 */
export async function readInterfaces(
  cfg: ResolvedHostConfig,
  signal: AbortSignal,
  warnings: Warning[],
  files?: OpenAttributeFiles<SysClassNetFile>,
  kernel?: OpenKernelFiles,
): Promise<InterfaceStats[] | undefined> {
  const byName = new Map<string, InterfaceStats>();
  const entry = (device: string): InterfaceStats => {
    let s = byName.get(device);
    if (!s) byName.set(device, (s = { device, counters: {} }));
    return s;
  };

  const devPath = `${cfg.procfsPath}/net/dev`;
  const dev = await readKernelFile(devPath, signal, kernel);
  if ('text' in dev) {
    const parsed = parseNetDev(dev.text);
    for (const p of parsed.problems) warnings.push(procfsWarning('ERR_PROCFS_MALFORMED', `${devPath} ${p}`));
    for (const row of parsed.value) if (cfg.keepInterface(row.device)) entry(row.device).counters = row.counters;
  } else if ('error' in dev) {
    warnings.push(procfsWarning('ERR_PROCFS_UNREADABLE', dev.error));
  }
  const inNetDev = new Set(byName.keys());

  const classDir = `${cfg.sysfsPath}/class/net`;
  const names = listInterfaceDirs(classDir)?.filter((n) => cfg.keepInterface(n)) ?? [];
  files?.retain(new Set(names.map((n) => `${classDir}/${n}`)));
  for (let i = 0; i < names.length; i++) {
    // Sysfs is read synchronously (see readAttributesSync); give the event loop a turn every few interfaces.
    if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
    signal.throwIfAborted();
    const name = names[i] as string;
    const dir = `${classDir}/${name}`;
    const { value, problems } = parseSysClassNet(files ? files.read(dir) : readAttributesSync(dir, SYS_CLASS_NET_FILES));
    for (const p of problems) warnings.push(procfsWarning('ERR_PROCFS_MALFORMED', `${dir}/${p}`));
    const s = entry(name);
    s.info = value.info;
    // node_exporter's netdev (netlink mode) publishes rx_nohandler with the /proc/net/dev counters.
    if (value.rxNohandler !== undefined && inNetDev.has(name)) s.counters.receive_nohandler = value.rxNohandler;
  }

  if (byName.size === 0 && !('text' in dev)) return undefined;
  return [...byName.values()].sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
}
