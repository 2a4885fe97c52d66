import { parseDuration } from '../config/duration.js';
import type { Direction, SocketRecord } from '../types/socket.js';
import { createHostWatcher, resolveNothing, type HostWatcher, type ResolveHost } from './hosts.js';
import { inNetwork, parseCidr, parseIp, type IpNetwork } from './ip.js';
import { addressSpace, type AddressSpace } from '../net/address-space.js';
import { GlobSet } from './glob.js';
import { compilePortSet } from './ports.js';
import type { SelectionConfig, SelectionCriteria } from './schema.js';

/** One compiled criteria group: true when the socket matches it. */
type GroupTest = (s: SocketRecord, dir: Direction | undefined) => boolean;

/** Options of {@link compileSelection}. */
export interface SelectionDeps {
  /** Resolves peer host names; the default resolves nothing. */
  resolveHost?: ResolveHost;
  /** Clock for the host TTL, ms. */
  now?: () => number;
}

/** A selection compiled into predicates. */
export interface CompiledSelection {
  /** True when the socket is kept; `dir` is its direction (enriched or inferred). */
  matches(s: SocketRecord, dir: Direction | undefined): boolean;
  /** True when nothing is selected away (every socket matches): lets callers skip the call. */
  readonly all: boolean;
  /** Starts a background host refresh when due; never blocks. */
  tick(): void;
  /** Resolves when the host refresh in flight has finished. */
  settled(): Promise<void>;
}

/** Compiles a selection once: sets, port bitmaps, numeric networks, globs; memoized regex, glob and peer matches. */
export function compileSelection(sel: Partial<SelectionConfig> | undefined, deps: SelectionDeps = {}): CompiledSelection {
  const now = deps.now ?? Date.now;
  const resolve = deps.resolveHost ?? resolveNothing;
  const ttl = parseDuration(sel?.host_ttl ?? '5m');
  const watchers: HostWatcher[] = [];
  const side = (c: SelectionCriteria | undefined): GroupTest[] => {
    if (!c) return [];
    const hosts = c.hosts?.length ? createHostWatcher(c.hosts, resolve, ttl, now) : undefined;
    if (hosts) watchers.push(hosts);
    return compileGroups(c, hosts);
  };
  const include = side(sel?.include);
  const exclude = side(sel?.exclude);
  const all = include.length === 0 && exclude.length === 0;

  return {
    all,
    matches(s, dir) {
      for (let i = 0; i < exclude.length; i++) if ((exclude[i] as GroupTest)(s, dir)) return false;
      for (let i = 0; i < include.length; i++) if (!(include[i] as GroupTest)(s, dir)) return false;
      return true;
    },
    tick: () => watchers.forEach((w) => w.tick()),
    settled: () => Promise.all(watchers.map((w) => w.settled())).then(() => undefined),
  };
}

function compileGroups(c: SelectionCriteria, hosts: HostWatcher | undefined): GroupTest[] {
  const groups: GroupTest[] = [];
  const any = (tests: Array<GroupTest | undefined>) => {
    const t = tests.filter((x): x is GroupTest => x !== undefined);
    if (t.length === 1) groups.push(t[0] as GroupTest);
    else if (t.length > 1) groups.push((s, d) => t.some((f) => f(s, d)));
  };

  any([
    setTest(c.pids, (s) => s.process?.pid),
    setTest(c.commands, (s) => s.process?.comm),
    cmdlineTest(c.cmdline),
  ]);
  any([setTest(c.users, (s) => s.uid)]);
  any([peerTest(c.addresses, c.networks, hosts)]);
  any([
    portTest(c.local_ports, (s) => s.local.port),
    portTest(c.remote_ports, (s) => s.remote.port),
    c.ports?.length ? eitherPortTest(compilePortSet(c.ports)) : undefined,
  ]);
  any([setTest(c.protocols, (s) => s.protocol)]);
  any([setTest(c.families, (s) => s.family)]);
  any([setTest(c.states, (s) => s.state)]);
  any([c.directions?.length ? ((set) => (_s: SocketRecord, d: Direction | undefined) => d !== undefined && set.has(d))(new Set(c.directions)) : undefined]);
  any([
    containerTest(c.containers),
    setTest(c.units, (s) => s.container?.systemdUnit),
    podTest(c.pods),
    globTest(c.namespaces, (s) => s.container?.namespace),
    globTest(c.images, (s) => s.container?.image),
  ]);
  any([remoteSpaceTest(c.remote_spaces)]);
  if (c.netns?.length) {
    const nums = new Set(c.netns.filter((n): n is number => typeof n === 'number'));
    const names = new Set(c.netns.filter((n): n is string => typeof n === 'string'));
    groups.push((s) => (s.netns !== undefined && nums.has(s.netns)) || (s.netnsName !== undefined && names.has(s.netnsName)));
  }
  return groups;
}

function setTest<T>(values: readonly T[] | undefined, get: (s: SocketRecord) => T | undefined): GroupTest | undefined {
  if (!values?.length) return undefined;
  const set = new Set(values);
  return (s) => {
    const v = get(s);
    return v !== undefined && set.has(v);
  };
}

function portTest(specs: readonly (number | string)[] | undefined, get: (s: SocketRecord) => number): GroupTest | undefined {
  if (!specs?.length) return undefined;
  const set = compilePortSet(specs);
  return (s) => set[get(s)] === 1;
}

function eitherPortTest(set: Uint8Array): GroupTest {
  return (s) => set[s.local.port] === 1 || set[s.remote.port] === 1;
}

/** Regexes run once per distinct command line, not once per socket (a process owns many sockets). */
function cmdlineTest(patterns: readonly string[] | undefined): GroupTest | undefined {
  if (!patterns?.length) return undefined;
  const res = patterns.map((p) => new RegExp(p));
  const memo = new Map<string, boolean>();
  return (s) => {
    const line = s.process?.cmdline;
    if (line === undefined) return false;
    let hit = memo.get(line);
    if (hit === undefined) {
      if (memo.size > 8192) memo.clear();
      hit = res.some((re) => re.test(line));
      memo.set(line, hit);
    }
    return hit;
  };
}

/** Hex characters only: a value that could be a container id (or its prefix). */
const HEX = /^[0-9a-f]+$/;

/**
 * Containers by id (exact, or a prefix of 12+ hex characters like `docker ps` short ids) or by
 * name glob. A value is tried both ways (a name may look like hex); globs run once per name.
 */
function containerTest(values: readonly string[] | undefined): GroupTest | undefined {
  if (!values?.length) return undefined;
  const lower = values.map((i) => i.toLowerCase());
  const prefixes = lower.filter((v) => v.length >= 12 && HEX.test(v));
  const ids = new Set(lower);
  const names = new GlobSet(values);
  return (s) => {
    const c = s.container;
    if (c === undefined) return false;
    const id = c.id;
    if (id !== undefined) {
      if (ids.has(id)) return true;
      for (const p of prefixes) if (id.startsWith(p)) return true;
    }
    return c.name !== undefined && names.matches(c.name);
  };
}

/** Pods by UID (exact), by pod name glob, or by `namespace/pod` glob (a value with a `/`). */
function podTest(values: readonly string[] | undefined): GroupTest | undefined {
  if (!values?.length) return undefined;
  const uids = new Set(values);
  const names = new GlobSet(values.filter((v) => !v.includes('/')));
  const qualified = new GlobSet(values.filter((v) => v.includes('/')));
  // `namespace/pod` is built once per ContainerInfo object (an owner's sockets share one)
  const full = new WeakMap<object, string>();
  return (s) => {
    const c = s.container;
    if (c === undefined) return false;
    if (c.podUid !== undefined && uids.has(c.podUid)) return true;
    if (c.pod === undefined) return false;
    if (names.matches(c.pod)) return true;
    let q = full.get(c);
    if (q === undefined) full.set(c, (q = `${c.namespace ?? ''}/${c.pod}`));
    return qualified.matches(q);
  };
}

/** A name field matched against globs (memoized per distinct name). */
function globTest(globs: readonly string[] | undefined, get: (s: SocketRecord) => string | undefined): GroupTest | undefined {
  if (!globs?.length) return undefined;
  const set = new GlobSet(globs);
  return (s) => {
    const v = get(s);
    return v !== undefined && set.matches(v);
  };
}

/**
 * The remote address's space: the direction enricher's `remoteSpace`, else classified here from
 * the address text (memoized per text, for a fold with no direction enricher before it).
 */
function remoteSpaceTest(spaces: readonly AddressSpace[] | undefined): GroupTest | undefined {
  if (!spaces?.length) return undefined;
  const want = new Set(spaces);
  const memo = new Map<string, AddressSpace>();
  return (s) => {
    let space = s.remoteSpace;
    if (space === undefined) {
      const text = s.remote.address;
      space = memo.get(text);
      if (space === undefined) {
        if (memo.size >= 65536) memo.clear();
        memo.set(text, (space = addressSpace(text)));
      }
    }
    return want.has(space);
  };
}

/** Peer match memoized per remote address text: parsing and network walks happen once per address. */
function peerTest(addresses: readonly string[] | undefined, networks: readonly string[] | undefined, hosts: HostWatcher | undefined): GroupTest | undefined {
  const fixed: IpNetwork[] = [];
  for (const t of [...(addresses ?? []), ...(networks ?? [])]) {
    const n = parseCidr(t);
    if (typeof n !== 'string') fixed.push(n);
  }
  if (fixed.length === 0 && !hosts && !addresses?.length && !networks?.length) return undefined;
  const memo = new Map<string, boolean>();
  let seenVersion = hosts?.version() ?? 0;
  return (s) => {
    if (hosts && hosts.version() !== seenVersion) {
      seenVersion = hosts.version();
      memo.clear();
    }
    const text = s.remote.address;
    let hit = memo.get(text);
    if (hit === undefined) {
      if (memo.size > 65536) memo.clear();
      const ip = parseIp(text);
      hit = ip !== undefined && (fixed.some((n) => inNetwork(ip, n)) || (hosts?.networks().some((n) => inNetwork(ip, n)) ?? false));
      memo.set(text, hit);
    }
    return hit;
  };
}
