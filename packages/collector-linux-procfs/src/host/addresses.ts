import { readlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { MetricFamily, Sample, Warning } from '@sockscope/core';
import { HOST_NETNS_NAME, readNetnsNamesSync } from '../enrichers/netns-names.js';
import { procfsWarning } from '../errors.js';

// sockscope_host_address_info{address, netns, interface, instance_name} (issue 21, the fleet
// map): every local address of this host, so that an address another agent sees as a remote
// `dst` can be joined to the host (instance_name) that owns it.
//
// Where addresses come from, and why:
// - the agent's own network namespace: os.networkInterfaces(), libuv's getifaddrs(3), which
//   asks the kernel over netlink (RTM_GETADDR) for IPv4 and IPv6 with the interface of each: exact,
//   and no file to parse.
// - another namespace (`addresses.namespaces: all`): getifaddrs cannot be pointed at another
//   namespace without setns(2) on the calling thread, and the main thread must not move. A
//   process's /proc/<pid>/net/ is its namespace's view, read without entering it: if_inet6 lists
//   the IPv6 addresses with their interface; IPv4 has no such file, so the `/32 host LOCAL` leaves
//   of fib_trie give the addresses and the interface is that of the connected route
//   (/proc/<pid>/net/route, no gateway, longest prefix) covering the address; `lo` for 127/8, and
//   empty when no route names one (an address on an interface with a /32 and no subnet route).
//   A namespace no process is in (an `ip netns add`ed one, empty) cannot be read this way.

/** One local address and the interface it is on ('' when not known). */
export interface LocalAddress {
  address: string;
  interface: string;
}

/** The IPv4 addresses a fib_trie dump marks `/32 host LOCAL` (the local table's own addresses), unique, in order. */
export function parseFibTrieLocal(text: string): string[] {
  const out = new Set<string>();
  let leaf: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m) {
      leaf = m[1];
      continue;
    }
    if (leaf !== undefined && /^\s*\/32 host LOCAL\s*$/.test(line)) out.add(leaf);
    else if (!/^\s*\/\d+ /.test(line)) leaf = undefined;
  }
  return [...out];
}

/** IPv6 addresses of /proc/net/if_inet6 (`<32 hex> <ifindex> <prefix> <scope> <flags> <name>`), compressed. */
export function parseIfInet6(text: string): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0] as string)) continue;
    out.push({ address: compressIPv6(f[0] as string), interface: f[5] as string });
  }
  return out;
}

/** Compressed IPv6 text (RFC 5952) of 32 hex digits. */
export function compressIPv6(hex: string): string {
  const groups = (hex.toLowerCase().match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, ''));
  // the longest run (2+) of zero groups, the first on a tie
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** A route of /proc/net/route with no gateway: interface, destination and mask as numbers (host order). */
interface ConnectedRoute {
  iface: string;
  dest: number;
  mask: number;
}

/** The connected routes (no RTF_GATEWAY) of /proc/net/route; its hex fields are little-endian. */
export function parseConnectedRoutes(text: string): ConnectedRoute[] {
  const le = (h: string) => (Buffer.from(h.padStart(8, '0'), 'hex').readUInt32LE(0) >>> 0);
  const out: ConnectedRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3] as string, 16);
    if (Number.isNaN(flags) || (flags & 0x2) !== 0) continue;
    out.push({ iface: f[0] as string, dest: le(f[1] as string), mask: le(f[7] as string) });
  }
  return out;
}

const ipv4Number = (a: string) => a.split('.').reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0);

/** The interface of an IPv4 address: `lo` for 127/8, else the longest connected route covering it, else ''. */
export function ipv4Interface(address: string, routes: readonly ConnectedRoute[]): string {
  const n = ipv4Number(address);
  if (n >>> 24 === 127) return 'lo';
  let best: ConnectedRoute | undefined;
  for (const r of routes) {
    if (((n & r.mask) >>> 0) !== r.dest) continue;
    if (best === undefined || (r.mask >>> 0) > (best.mask >>> 0)) best = r;
  }
  return best?.iface ?? '';
}

/** The addresses of the namespace a process is in, read from its /proc/<pid>/net without entering it. */
export async function readNamespaceAddresses(netDir: string): Promise<LocalAddress[]> {
  const [trie, route, inet6] = await Promise.all(['fib_trie', 'route', 'if_inet6'].map((f) => readFile(join(netDir, f), 'utf8').catch(() => '')));
  const routes = parseConnectedRoutes(route ?? '');
  const v4 = parseFibTrieLocal(trie ?? '').map((address) => ({ address, interface: ipv4Interface(address, routes) }));
  return [...v4, ...parseIfInet6(inet6 ?? '')];
}

/** The agent's own namespace's addresses, from getifaddrs(3) (IPv6 link-local without its %zone). */
export function ownAddresses(): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) out.push({ address: a.address.replace(/%.*$/, ''), interface: name });
  }
  return out;
}

/** Options of the address reader (the `addresses` section of the host collector's config, resolved). */
export interface AddressOptions {
  procfsPath: string;
  instanceName: string;
  /** `own`: the agent's namespace; `all`: every namespace a process is in, too. */
  namespaces: 'own' | 'all';
  netnsRunDir: string;
  maxSeries: number;
}

/** Default instance name: the host's name. */
export const defaultInstanceName = (): string => hostname();

const inodeOf = (link: string): number | undefined => {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
};

/**
 * The network namespace inode of `/proc/<pid>/ns/net`, read synchronously: another user's link
 * needs CAP_SYS_PTRACE, which an agent that raised it from its permitted set at start holds on
 * the main thread, not on libuv's pool (threads started before it; deploy/README.md, "Capabilities").
 */
const netnsInode = (path: string): number | undefined => {
  try {
    return inodeOf(readlinkSync(path));
  } catch {
    return undefined;
  }
};

/**
 * The network namespace inodes of the agent (`<procfs>/self/ns/net`) and of the host
 * (`<procfs>/1/ns/net`), read once and kept by a collector: the agent's main thread never moves
 * to another namespace (see above) and pid 1 does not either. A link that cannot be read (pid 1's
 * without CAP_SYS_PTRACE, in a sandbox) is tried again at most every `retryMs` (a minute), rather
 * than failing, with an exception built each time, on every collection (issue 20).
 */
export class NetnsInodes {
  private ownInode: number | undefined;
  private hostInode: number | undefined;
  private ownTried = -Infinity;
  private hostTried = -Infinity;

  constructor(
    private readonly procfsPath: string,
    private readonly retryMs = 60_000,
  ) {}

  /** The agent's namespace inode, undefined when its link cannot be read. */
  own(now = Date.now()): number | undefined {
    if (this.ownInode === undefined && now - this.ownTried >= this.retryMs) {
      this.ownTried = now;
      this.ownInode = netnsInode(join(this.procfsPath, 'self/ns/net'));
    }
    return this.ownInode;
  }

  /** The host's (pid 1's) namespace inode, undefined when its link cannot be read. */
  host(now = Date.now()): number | undefined {
    if (this.hostInode === undefined && now - this.hostTried >= this.retryMs) {
      this.hostTried = now;
      this.hostInode = netnsInode(join(this.procfsPath, '1/ns/net'));
    }
    return this.hostInode;
  }
}

/**
 * Reads the address family once: the own namespace's addresses, and with `namespaces: all`
 * one process's /proc/<pid>/net of each other namespace (the first pid met per namespace inode).
 * At most `maxSeries` series, sorted (the same ones every time); a warning says how many were left out.
 * `inodes` keeps the agent's and the host's namespace inodes from one call to the next; without
 * it, both links are read on each call.
 */
export async function readHostAddresses(o: AddressOptions, inodes?: NetnsInodes): Promise<{ family: MetricFamily; warnings: Warning[] }> {
  const warnings: Warning[] = [];
  const own = inodes ? inodes.own() : netnsInode(join(o.procfsPath, 'self/ns/net'));
  const host = inodes ? inodes.host() : netnsInode(join(o.procfsPath, '1/ns/net'));
  const names = new Map<number, string>();
  // The `ip netns` names label a namespace other than the host's: not listed when the agent is in
  // the host's own and reads no other (the label is then `system`), the usual case.
  const needNames = o.namespaces === 'all' || (own !== undefined && own !== host);
  try {
    if (needNames) for (const e of readNetnsNamesSync(o.netnsRunDir, o.procfsPath)) if (!names.has(e.inode) || e.name < (names.get(e.inode) as string)) names.set(e.inode, e.name);
  } catch {
    // unnamed namespaces are labelled by inode
  }
  // the host's namespace is `system` (as the container enricher names it); when /proc/1 cannot be
  // read (a sandbox), the agent's own unless `ip netns` names it (an agent `ip netns exec`'d)
  const label = (inode: number | undefined) =>
    inode === undefined ? '' : inode === host ? HOST_NETNS_NAME : names.get(inode) ?? (host === undefined && inode === own ? HOST_NETNS_NAME : String(inode));
  const rows: Array<LocalAddress & { netns: string }> = ownAddresses().map((a) => ({ ...a, netns: label(own) }));
  if (o.namespaces === 'all') {
    const seen = new Set<number>(own === undefined ? [] : [own]);
    let pids: string[] = [];
    try {
      pids = (await readdir(o.procfsPath)).filter((d) => /^\d+$/.test(d));
    } catch (err) {
      warnings.push(procfsWarning('ERR_PROCFS_UNREADABLE', `host addresses: cannot list ${o.procfsPath}: ${(err as Error).message}`));
    }
    for (const pid of pids) {
      const inode = netnsInode(join(o.procfsPath, pid, 'ns/net'));
      if (inode === undefined || seen.has(inode)) continue;
      seen.add(inode);
      for (const a of await readNamespaceAddresses(join(o.procfsPath, pid, 'net'))) rows.push({ ...a, netns: label(inode) });
    }
  }
  const samples = new Map<string, Sample>();
  for (const r of rows) {
    const key = `${r.netns}\0${r.address}\0${r.interface}`;
    samples.set(key, { labels: Object.freeze({ address: r.address, netns: r.netns, interface: r.interface, instance_name: o.instanceName }), value: 1 });
  }
  const keys = [...samples.keys()].sort();
  if (keys.length > o.maxSeries) {
    warnings.push(procfsWarning('ERR_HOST_ADDRESSES_CAPPED', `host addresses: ${keys.length} local addresses, ${keys.length - o.maxSeries} left out over addresses.max_series (${o.maxSeries})`));
  }
  return {
    family: {
      name: 'sockscope_host_address_info',
      help: 'Always 1: each local address of this host (and, with addresses.namespaces: all, of every network namespace a process is in), with its interface and the agent\'s instance_name (join on address).',
      type: 'gauge',
      // a host family: left out with node_* when they are off (the prometheus_ss_exporter profile)
      host: true,
      // no otel mapping: over OTLP it goes out under the derived name, sockscope.host_address_info
      samples: keys.slice(0, o.maxSeries).map((k) => samples.get(k) as Sample),
    },
    warnings,
  };
}
