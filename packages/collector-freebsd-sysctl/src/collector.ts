import type { Collector, CollectorResult, HostStats, PluginContext, SocketVisitor, Warning } from '@sockscope/core';
import { errorMessage, isSockscopeError } from '@sockscope/core';
import type { FreebsdSysctlConfig } from './config.js';
import { FreebsdSysctlError, freebsdWarning, isFreebsdSysctlCode } from './errors.js';
import { tcpPackets, tcpProtocols, udpPackets, udpProtocols } from './collect/host-stats.js';
import { readPcbList } from './collect/pcblist.js';
import { processOf, readSocketOwners, type ProcessJoinCache, type SocketOwners } from './collect/processes.js';
import { isTcpListener, isUdpUnconnected, tcpSocket, udpSocket, type KeyedSocket } from './collect/sockets.js';
import { loadLibc } from './ffi/libc.js';
import { freebsdArch, pickPlatformLayout, type FreebsdArch, type PlatformLayout } from './parse/layouts.js';
import { parseIfList } from './parse/iflist.js';
import { parseTcpStates, FREEBSD_TCP_STATES } from './parse/tcp-states.js';
import { parseTcpstat } from './parse/tcpstat.js';
import { parseUdpstat } from './parse/udpstat.js';
import { parseXinpcb } from './parse/xinpcb.js';
import { pcbSocketAddress, walkPcbList, type PcbKind } from './parse/xinpgen.js';
import { parseXtcpcb } from './parse/xtcpcb.js';
import { kernelSysctlReader, type SysctlReader } from './sysctl-reader.js';

/** NET_RT_IFLISTL: CTL_NET, PF_ROUTE, 0, AF_UNSPEC, NET_RT_IFLISTL, 0. */
const IFLIST_MIB = [4, 17, 0, 0, 5, 0];
/** Most reads of one sysctl after its size probe (each doubling the buffer on ENOMEM). */
const MAX_GROW_READS = 8;

/**
 * Builds the collector on the real kernel: FreeBSD amd64/arm64 only, with koffi and libc.so.7
 * loaded and the sysctl functions bound here, so a missing one fails create() with
 * ERR_FREEBSD_SYSCTL_PLATFORM or ERR_FREEBSD_SYSCTL_LOAD instead of every cycle.
 */
export async function createFreebsdSysctlCollector(ctx: PluginContext<FreebsdSysctlConfig>): Promise<Collector> {
  if (ctx.platform !== 'freebsd') {
    throw new FreebsdSysctlError('ERR_FREEBSD_SYSCTL_PLATFORM', `collector "freebsd-sysctl" reads FreeBSD sysctls and cannot run on ${ctx.platform}: disable it in the config`);
  }
  const arch = freebsdArch(process.arch);
  if (!arch) throw new FreebsdSysctlError('ERR_FREEBSD_SYSCTL_PLATFORM', `collector "freebsd-sysctl" has record layouts for amd64 and arm64, not ${process.arch}: disable it in the config`);
  const libc = await loadLibc(ctx.platform);
  return createSysctlCollector(ctx.config, kernelSysctlReader(libc, { maxBytes: ctx.config.max_buffer_bytes, maxAttempts: MAX_GROW_READS }), arch);
}

/** A pcblist read this cycle, framing checked, records still in the buffer. */
interface PcbBuffer {
  kind: PcbKind;
  buf: Buffer;
}

/**
 * The orchestration, over any SysctlReader: tests inject one that serves byte buffers, since
 * FreeBSD cannot run where they run. Sockets are streamed to `visit` as each pcblist record is
 * parsed, none kept: the framing is checked first (generation retries), the process owners are
 * read, then every buffer is walked twice, listeners first. Each part (sockets, stats,
 * interfaces) fails alone into `warnings`; only an abort rejects.
 */
export function createSysctlCollector(config: FreebsdSysctlConfig, reader: SysctlReader, arch: FreebsdArch): Collector {
  const joinCache: ProcessJoinCache = {};
  let platform: { layout: PlatformLayout; osMajor?: number } | undefined;

  async function layoutFor(warnings: Warning[]): Promise<{ layout: PlatformLayout; osMajor?: number }> {
    if (platform) return platform;
    const r = await reader.byName('kern.osreldate');
    if (r.ok && r.buf.length >= 4) {
      const osreldate = r.buf.readInt32LE(0);
      const picked = pickPlatformLayout(osreldate, arch);
      if (!picked.exact) warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_LAYOUT', `kern.osreldate ${osreldate}: no layout table for this release, reading with FreeBSD ${picked.layout.major}'s`));
      platform = { layout: picked.layout, osMajor: Math.floor(osreldate / 100000) };
      return platform;
    }
    // Not cached: the next cycle tries again.
    const code = r.ok ? 'ERR_FREEBSD_SYSCTL_DECODE' : r.code;
    warnings.push(freebsdWarning(code, `kern.osreldate unreadable (${r.ok ? `${r.buf.length} bytes` : r.message}); reading TCP records with FreeBSD 14's layout`));
    return { layout: pickPlatformLayout(1400000, arch).layout };
  }

  /**
   * Walks every buffer once, handing `listeners` (TCP LISTEN, unconnected UDP) or the other
   * sockets to `visit`. Returns how many records did not parse.
   */
  function visitPass(lists: readonly PcbBuffer[], layout: PlatformLayout, owners: SocketOwners | undefined, listeners: boolean, visit: SocketVisitor): number {
    let invalid = 0;
    const emit = (keyed: KeyedSocket) => {
      const proc = processOf(owners, keyed.so);
      if (proc) keyed.record.process = proc;
      visit(keyed.record);
    };
    for (const { kind, buf } of lists) {
      walkPcbList(buf, kind, (rec) => {
        if (kind === 'tcp') {
          const parsed = parseXtcpcb(rec, layout.xtcpcb);
          if ('error' in parsed) invalid++;
          else if (isTcpListener(parsed) === listeners) emit(tcpSocket(parsed, layout.major));
        } else {
          const parsed = parseXinpcb(rec);
          if ('error' in parsed) invalid++;
          else if (isUdpUnconnected(parsed) === listeners) emit(udpSocket(parsed));
        }
      });
    }
    return invalid;
  }

  async function streamSockets(signal: AbortSignal, visit: SocketVisitor, result: CollectorResult & { warnings: Warning[] }): Promise<void> {
    const { layout } = await layoutFor(result.warnings);
    const lists: PcbBuffer[] = [];
    for (const kind of ['tcp', 'udp'] as const) {
      if (!config[kind]) continue;
      const read = await readPcbList(reader, kind, config.pcblist_retries, signal);
      result.warnings.push(...read.warnings);
      if (read.inconsistent) result.inconsistent = true;
      if (read.buf && (read.frame?.kept ?? 0) > 0) lists.push({ kind, buf: read.buf });
    }
    if (lists.length === 0) return;
    let owners: SocketOwners | undefined;
    if (config.processes) {
      const eachSocket = (add: (so: bigint) => void) => {
        for (const { kind, buf } of lists) walkPcbList(buf, kind, (rec) => add(pcbSocketAddress(rec, kind)));
      };
      owners = await readSocketOwners(eachSocket, reader, joinCache, signal, result.warnings);
    }
    signal.throwIfAborted();
    const invalid = visitPass(lists, layout, owners, true, visit);
    signal.throwIfAborted();
    visitPass(lists, layout, owners, false, visit);
    if (invalid > 0) result.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', `${invalid} pcblist record(s) skipped (invalid inp_vflag or too short)`));
  }

  /** Reads a sysctl by name and parses it; a failed read or parse is a warning and undefined. */
  async function readParsed<T extends object>(name: string, parse: (buf: Buffer) => T | { error: string }, warnings: Warning[]): Promise<T | undefined> {
    const r = await reader.byName(name);
    if (!r.ok) {
      warnings.push(freebsdWarning(r.code, r.message));
      return undefined;
    }
    const p = parse(r.buf);
    if ('error' in p) {
      warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', p.error));
      return undefined;
    }
    return p;
  }

  async function collectStats(osMajor: number | undefined, warnings: Warning[]): Promise<HostStats> {
    const host: HostStats = {};
    const states = await readParsed('net.inet.tcp.states', parseTcpStates, warnings);
    if (states) host.tcpStates = Object.fromEntries(FREEBSD_TCP_STATES.map((s, i) => [s, states.counts[i] ?? 0]));
    const protocols: Record<string, Record<string, number>> = {};
    const tcp = await readParsed('net.inet.tcp.stats', (buf) => parseTcpstat(buf, osMajor), warnings);
    if (tcp) {
      warnings.push(...tcp.warnings);
      Object.assign(protocols, tcpProtocols(tcp.counters, states?.counts));
      host.transportPackets = { tcp: tcpPackets(tcp.counters) };
    }
    const udp = await readParsed('net.inet.udp.stats', parseUdpstat, warnings);
    if (udp) {
      Object.assign(protocols, udpProtocols(udp.counters));
      host.transportPackets = { ...host.transportPackets, udp: udpPackets(udp.counters) };
    }
    if (Object.keys(protocols).length > 0) host.protocols = protocols;
    return host;
  }

  return {
    async stream(signal: AbortSignal, visit: SocketVisitor): Promise<CollectorResult> {
      const result: CollectorResult & { warnings: Warning[] } = { warnings: [] };
      const guard = async (part: string, fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          if (signal.aborted) throw err;
          // Parsers never throw; what lands here is a bug, reported with the part it broke.
          const code = isSockscopeError(err) && isFreebsdSysctlCode(err.code) ? err.code : 'ERR_FREEBSD_SYSCTL_DECODE';
          result.warnings.push(freebsdWarning(code, `${part}: ${errorMessage(err)}`));
        }
      };
      const host: HostStats = {};
      await guard('sockets', async () => {
        if (!config.tcp && !config.udp) return;
        await streamSockets(signal, visit, result);
      });
      await guard('stats', async () => {
        if (!config.stats) return;
        signal.throwIfAborted();
        const { osMajor } = await layoutFor(result.warnings);
        Object.assign(host, await collectStats(osMajor, result.warnings));
      });
      await guard('interfaces', async () => {
        if (!config.interfaces) return;
        signal.throwIfAborted();
        const r = await reader.byMib(IFLIST_MIB);
        if (!r.ok) {
          result.warnings.push(freebsdWarning(r.code, r.message));
          return;
        }
        const parsed = parseIfList(r.buf);
        result.warnings.push(...parsed.warnings);
        host.interfaces = parsed.interfaces;
      });
      result.host = host;
      return result;
    },
    async close(): Promise<void> {
      // Nothing to release: each read is a single syscall with no handle kept.
    },
  };
}
