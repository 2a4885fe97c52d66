import type { Collector, CollectorResult, HostStats, MetricFamily, PluginContext } from '@sockscope/core';
import { SockscopeError, errorMessage } from '@sockscope/core';
import { CONFIG_DEFAULTS, type FreebsdSysctlConfig } from './config.js';
import { netstatFamilies, type NetstatInputs } from './collect/families.js';
import { tcpProtocols, udpProtocols } from './collect/host-stats.js';
import { readPcbList } from './collect/pcblist.js';
import { attachProcesses, type ProcessJoinCache } from './collect/processes.js';
import { tcpSocket, udpSocket, type KeyedSocket } from './collect/sockets.js';
import { freebsdArch, pickPlatformLayout, type FreebsdArch, type PlatformLayout } from './parse/layouts.js';
import { parseIfList } from './parse/iflist.js';
import { parseTcpStates, FREEBSD_TCP_STATES } from './parse/tcp-states.js';
import { parseTcpstat } from './parse/tcpstat.js';
import { parseUdpstat } from './parse/udpstat.js';
import { parseXinpcb } from './parse/xinpcb.js';
import { parseXtcpcb } from './parse/xtcpcb.js';
import { kernelSysctlReader, type SysctlReader } from './sysctl-reader.js';

/** NET_RT_IFLISTL: CTL_NET, PF_ROUTE, 0, AF_UNSPEC, NET_RT_IFLISTL, 0. */
const IFLIST_MIB = [4, 17, 0, 0, 5, 0];

/** Builds the collector on the real kernel (FreeBSD only). */
export function createFreebsdSysctlCollector(ctx: PluginContext<FreebsdSysctlConfig>): Collector {
  if (ctx.platform !== 'freebsd') {
    throw new SockscopeError('ERR_COLLECTOR_UNAVAILABLE', `collector "freebsd-sysctl" reads FreeBSD sysctls and cannot run on ${ctx.platform}: disable it in the config`);
  }
  const arch = freebsdArch(process.arch);
  if (!arch) throw new SockscopeError('ERR_COLLECTOR_UNAVAILABLE', `collector "freebsd-sysctl" has record layouts for amd64 and arm64, not ${process.arch}: disable it in the config`);
  const config = { ...CONFIG_DEFAULTS, ...ctx.config };
  return createSysctlCollector(config, kernelSysctlReader({ maxBytes: config.maxBufferBytes, maxAttempts: 8 }), arch);
}

/**
 * The orchestration, over any SysctlReader: tests inject one that serves byte buffers, since
 * FreeBSD cannot run where they run. Each part (sockets, processes, stats, interfaces) fails
 * alone into `warnings`; only an abort rejects.
 */
export function createSysctlCollector(config: Required<FreebsdSysctlConfig>, reader: SysctlReader, arch: FreebsdArch): Collector {
  const joinCache: ProcessJoinCache = {};
  let platform: { layout: PlatformLayout; osMajor?: number } | undefined;

  async function layoutFor(warnings: string[]): Promise<{ layout: PlatformLayout; osMajor?: number }> {
    if (platform) return platform;
    const r = await reader.byName('kern.osreldate');
    if (r.ok && r.buf.length >= 4) {
      const osreldate = r.buf.readInt32LE(0);
      const picked = pickPlatformLayout(osreldate, arch);
      if (!picked.exact) warnings.push(`kern.osreldate ${osreldate}: no layout table for this release, reading with FreeBSD ${picked.layout.major}'s`);
      platform = { layout: picked.layout, osMajor: Math.floor(osreldate / 100000) };
    } else {
      // Not cached: the next cycle tries again.
      warnings.push(`kern.osreldate unreadable (${r.ok ? `${r.buf.length} bytes` : r.message}); reading TCP records with FreeBSD 14's layout`);
      return { layout: pickPlatformLayout(1400000, arch).layout };
    }
    return platform;
  }

  async function collectSockets(signal: AbortSignal, layout: PlatformLayout, result: Required<Pick<CollectorResult, 'warnings'>> & CollectorResult): Promise<KeyedSocket[]> {
    const keyed: KeyedSocket[] = [];
    let invalid = 0;
    if (config.tcp) {
      const read = await readPcbList(reader, 'tcp', config.pcblistRetries, signal);
      result.warnings.push(...read.warnings);
      if (read.inconsistent) result.inconsistent = true;
      for (const rec of read.list?.records ?? []) {
        const parsed = parseXtcpcb(rec, layout.xtcpcb);
        if ('error' in parsed) invalid++;
        else keyed.push(tcpSocket(parsed, layout.major));
      }
    }
    if (config.udp) {
      const read = await readPcbList(reader, 'udp', config.pcblistRetries, signal);
      result.warnings.push(...read.warnings);
      if (read.inconsistent) result.inconsistent = true;
      for (const rec of read.list?.records ?? []) {
        const parsed = parseXinpcb(rec);
        if ('error' in parsed) invalid++;
        else keyed.push(udpSocket(parsed));
      }
    }
    if (invalid > 0) result.warnings.push(`${invalid} pcblist record(s) skipped (invalid inp_vflag or too short)`);
    return keyed;
  }

  /** Reads a sysctl by name and parses it; a failed read or parse is a warning and undefined. */
  async function readParsed<T extends object>(name: string, parse: (buf: Buffer) => T | { error: string }, warnings: string[]): Promise<T | undefined> {
    const r = await reader.byName(name);
    if (!r.ok) {
      warnings.push(r.message);
      return undefined;
    }
    const p = parse(r.buf);
    if ('error' in p) {
      warnings.push(p.error);
      return undefined;
    }
    return p;
  }

  async function collectStats(osMajor: number | undefined, warnings: string[]): Promise<{ host: HostStats; families: MetricFamily[] }> {
    const host: HostStats = {};
    const inputs: NetstatInputs = {};
    const states = await readParsed('net.inet.tcp.states', parseTcpStates, warnings);
    if (states) {
      inputs.states = states.counts;
      host.tcpStates = Object.fromEntries(FREEBSD_TCP_STATES.map((s, i) => [s, states.counts[i] ?? 0]));
    }
    const protocols: Record<string, Record<string, number>> = {};
    const tcp = await readParsed('net.inet.tcp.stats', (buf) => parseTcpstat(buf, osMajor), warnings);
    if (tcp) {
      warnings.push(...tcp.warnings);
      inputs.tcp = tcp.counters;
      Object.assign(protocols, tcpProtocols(tcp.counters, inputs.states));
    }
    const udp = await readParsed('net.inet.udp.stats', parseUdpstat, warnings);
    if (udp) {
      inputs.udp = udp.counters;
      Object.assign(protocols, udpProtocols(udp.counters));
    }
    if (Object.keys(protocols).length > 0) host.protocols = protocols;
    return { host, families: netstatFamilies(inputs) };
  }

  return {
    async collect(signal: AbortSignal): Promise<CollectorResult> {
      const result: CollectorResult & { warnings: string[] } = { warnings: [] };
      const guard = async (part: string, fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          if (signal.aborted) throw err;
          result.warnings.push(`${part}: ${errorMessage(err)}`);
        }
      };
      const host: HostStats = {};
      await guard('sockets', async () => {
        if (!config.tcp && !config.udp) return;
        const { layout } = await layoutFor(result.warnings);
        const keyed = await collectSockets(signal, layout, result);
        if (config.processes && keyed.length > 0) result.warnings.push(...(await attachProcesses(keyed, reader, joinCache, signal)));
        result.sockets = keyed.map((k) => k.record);
      });
      if (config.tcp || config.udp) result.sockets ??= [];
      await guard('stats', async () => {
        if (!config.stats) return;
        signal.throwIfAborted();
        const { osMajor } = await layoutFor(result.warnings);
        const stats = await collectStats(osMajor, result.warnings);
        Object.assign(host, stats.host);
        result.families = stats.families;
      });
      await guard('interfaces', async () => {
        if (!config.interfaces) return;
        signal.throwIfAborted();
        const r = await reader.byMib(IFLIST_MIB);
        if (!r.ok) {
          result.warnings.push(r.message);
          return;
        }
        const parsed = parseIfList(r.buf);
        result.warnings.push(...parsed.warnings);
        host.interfaces = parsed.interfaces;
      });
      result.host = host;
      result.families ??= [];
      return result;
    },
    async close(): Promise<void> {
      // Nothing to release: each read is a single syscall with no handle kept.
    },
  };
}
