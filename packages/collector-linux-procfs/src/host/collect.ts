import type { HostStats, Warning } from '@sockscope/core';
import { procfsWarning } from '../errors.js';
import { readInterfaces } from './interfaces.js';
import type { SysClassNetFile } from './parse/sys-class-net.js';
import { parseConntrackStat, parseSingleValue } from './parse/conntrack.js';
import { parseSnmp, type ProtocolCounters } from './parse/snmp.js';
import { parseSnmp6 } from './parse/snmp6.js';
import { parseSockstat, type SockstatCounts } from './parse/sockstat.js';
import { parseSoftnet } from './parse/softnet.js';
import type { Parsed } from './parse/text.js';
import { readKernelFile, type OpenAttributeFiles, type OpenKernelFiles } from './read.js';
import type { ResolvedHostConfig } from './resolve.js';

/** Host counters of one collection, and what was wrong on the way. */
export interface HostReading {
  /** What could be read; parts whose files are absent or unreadable are left out. */
  host: HostStats;
  /** One warning per problem, its message naming the file (and line) it came from. */
  warnings: Warning[];
}

/**
 * Reads every host file once. Each file is independent: an absent file leaves its part out,
 * a malformed one adds a warning and publishes the rows that did parse, and nothing throws
 * except an abort. `files` keeps the interfaces' sysfs files open between calls (see readInterfaces),
 * `kernel` the procfs files (see OpenKernelFiles).
 */
export async function readHost(
  cfg: ResolvedHostConfig,
  pageSize: number,
  signal: AbortSignal,
  files?: OpenAttributeFiles<SysClassNetFile>,
  kernel?: OpenKernelFiles,
): Promise<HostReading> {
  const warnings: Warning[] = [];
  const proc = cfg.procfsPath;
  const read = async <T>(rel: string, parse: (text: string) => Parsed<T>): Promise<T | undefined> => {
    const path = `${proc}/${rel}`;
    const out = await readKernelFile(path, signal, kernel);
    if ('absent' in out) return undefined;
    if ('error' in out) {
      warnings.push(procfsWarning('ERR_PROCFS_UNREADABLE', out.error));
      return undefined;
    }
    try {
      const parsed = parse(out.text);
      for (const p of parsed.problems) warnings.push(procfsWarning('ERR_PROCFS_MALFORMED', `${path} ${p}`));
      return parsed.value;
    } catch (err) {
      warnings.push(procfsWarning('ERR_PROCFS_PARSER_FAILED', `${path}: parser failed: ${(err as Error).message}`));
      return undefined;
    }
  };

  // One after the other: each read is synchronous but for the rest of a file over 64 KiB (see
  // readKernelFile), so running them side by side would gain nothing.
  const interfaces = await readInterfaces(cfg, signal, warnings, files, kernel);
  // netstat_fields applied as they are parsed: the counters left out are never stored
  const keep = cfg.keepProtocolField;
  const snmp = await read('net/snmp', (text) => parseSnmp(text, keep));
  const netstat = await read('net/netstat', (text) => parseSnmp(text, keep));
  const snmp6 = await read('net/snmp6', (text) => parseSnmp6(text, keep));
  const sockstat = await read('net/sockstat', parseSockstat);
  const sockstat6 = await read('net/sockstat6', parseSockstat);
  const count = await read('sys/net/netfilter/nf_conntrack_count', parseSingleValue);
  const max = await read('sys/net/netfilter/nf_conntrack_max', parseSingleValue);
  const ctStat = await read('net/stat/nf_conntrack', parseConntrackStat);
  const softnet = await read('net/softnet_stat', parseSoftnet);

  const host: HostStats = {};
  if (interfaces) host.interfaces = interfaces;
  const protocols = mergeProtocols([netstat, snmp, snmp6]);
  if (protocols) host.protocols = protocols;
  const socks = withMemBytes([sockstat, sockstat6], pageSize);
  if (socks) host.sockstat = socks;
  // node_exporter's conntrack collector publishes nothing unless both sysctls read (the module is
  // loaded in this namespace); the per-CPU statistics come only with them.
  if (count !== undefined && max !== undefined) {
    host.conntrack = { entries: count, limit: max };
    if (ctStat !== undefined) host.conntrack.stats = ctStat;
  }
  if (softnet) host.softnet = softnet;
  return { host, warnings };
}

/** The parsed files' counters (already filtered) as one table; a protocol in two files (none today) gets both rows' fields, the later file's winning. */
function mergeProtocols(parts: ReadonlyArray<ProtocolCounters | undefined>): ProtocolCounters | undefined {
  let out: ProtocolCounters | undefined;
  for (const part of parts) {
    if (!part) continue;
    out ??= {};
    for (const proto in part) {
      const row = part[proto] as Record<string, number>;
      const prior = out[proto];
      out[proto] = prior ? Object.assign(prior, row) : row;
    }
  }
  return out;
}

// node_exporter publishes `<PROTO>_mem_bytes` = pages × page size beside every `mem`.
function withMemBytes(parts: ReadonlyArray<SockstatCounts | undefined>, pageSize: number): SockstatCounts | undefined {
  let out: SockstatCounts | undefined;
  for (const part of parts) {
    if (!part) continue;
    out ??= {};
    for (const [proto, row] of Object.entries(part)) {
      const copy = { ...row };
      if (copy.mem !== undefined) copy.mem_bytes = copy.mem * pageSize;
      out[proto] = { ...out[proto], ...copy };
    }
  }
  return out;
}
