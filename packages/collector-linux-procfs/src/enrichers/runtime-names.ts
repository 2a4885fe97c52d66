import { closeSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerInfo } from '@sockscope/core';
import {
  findStorageContainer,
  findStorageImageName,
  inferWorkload,
  MAX_RUNTIME_FILE_BYTES,
  parseContainerdBundle,
  parseCrioPodmanConfig,
  parseDockerConfigV2,
  type RuntimeContainer,
  type RuntimeName,
  type RuntimeParseResult,
} from './runtimes/index.js';

// Container names (container, pod, namespace, image) are not in /proc: each runtime keeps them
// in its own state files. This module finds a container id's file under the configured roots,
// reads it once (synchronously: enrich() is synchronous, and this happens once per new id), and
// caches the answer by id until a complete collection no longer sees the id, so memory follows
// the live containers. A miss is retried after a while, since a runtime writes its bundle around
// the time the process starts and the agent may look in between.

/** State roots per runtime, as `enrichers.container.runtime_roots` gives them. */
export interface RuntimeRoots {
  readonly containerd: readonly string[];
  readonly crio: readonly string[];
  readonly podman: readonly string[];
  readonly docker: readonly string[];
}

/** A condition worth one notice: `key` for `reportOnce`, `code` and `message` for the warning. */
export interface RuntimeNotice {
  key: string;
  code: 'ERR_CONTAINER_RUNTIME_ROOT' | 'ERR_CONTAINER_RUNTIME_STATE';
  message: string;
}

/** Cumulative counters of a cache, for the `sockscope_owner_cache_*` families. */
export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
}

/** Options of {@link RuntimeNames}; both exist for tests. */
export interface RuntimeNamesOptions {
  /** Milliseconds before an id with no (readable) state is looked up again; default 30 s. */
  retryMs?: number;
  /** Clock, milliseconds. */
  now?: () => number;
}

/** Distinct per-container notices given before the rest are only counted. */
export const MAX_CONTAINER_NOTICES = 20;

const RUNTIMES: readonly RuntimeName[] = ['containerd', 'cri-o', 'podman', 'docker'];
// the config key of each runtime's roots (`cri-o` is spelled `crio` in config)
const CONFIG_KEY: Readonly<Record<RuntimeName, keyof RuntimeRoots>> = { containerd: 'containerd', 'cri-o': 'crio', podman: 'podman', docker: 'docker' };
const CONTAINERD_TASKS = 'io.containerd.runtime.v2.task';
// CRI's namespace first, then Docker's and nerdctl's: where a container most likely is
const CONTAINERD_NS_ORDER = ['k8s.io', 'moby', 'default'];

interface Entry {
  container: RuntimeContainer | undefined;
  /** When the disk was last read for it (retry clock of a miss). */
  readAt: number;
  /** Collection generation that last asked for it. */
  seen: number;
  /** A notice was given for it (a retry that fails again says nothing new). */
  noticed: boolean;
}

type FileRead = { bytes: Buffer } | { absent: true } | { denied: string } | { reason: string };
type Found = { container: RuntimeContainer } | { reason: string } | undefined;

/**
 * Container id → names from the runtimes' state on disk, cached by id. Call {@link lookup} as
 * owners arrive, {@link endCollection} after each collection, and {@link takeNotices} to get
 * what went wrong (each condition once).
 */
export class RuntimeNames {
  private readonly entries = new Map<string, Entry>();
  private readonly retryMs: number;
  private readonly now: () => number;
  private generation = 0;
  private readonly pending: RuntimeNotice[] = [];
  private readonly rootsNoticed = new Set<string>();
  private containerNotices = 0;
  private suppressed = 0;
  private suppressedPending = 0;
  private readonly counters = { hits: 0, misses: 0, evictions: 0 };

  constructor(
    private readonly roots: RuntimeRoots,
    options: RuntimeNamesOptions = {},
  ) {
    this.retryMs = options.retryMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The names of container `id`, trying the runtime the cgroup named (`hint`) first, then the
   * others. Reads disk only for a new id, or for one that had no state `retryMs` ago.
   */
  lookup(id: string, hint: string | undefined): RuntimeContainer | undefined {
    const now = this.now();
    const entry = this.entries.get(id);
    if (entry) {
      entry.seen = this.generation;
      if (entry.container || now - entry.readAt < this.retryMs) {
        this.counters.hits++;
        return entry.container;
      }
    }
    this.counters.misses++;
    const container = this.read(id, hint, entry?.noticed ?? false);
    if (entry) {
      entry.container = container;
      entry.readAt = now;
      if (!container) entry.noticed = true;
    } else {
      this.entries.set(id, { container, readAt: now, seen: this.generation, noticed: !container });
    }
    return container;
  }

  /**
   * Ends a collection: after a complete one, ids it did not ask for are forgotten (the container
   * is gone). A partial collection forgets nothing, as the ids it missed may still be alive.
   */
  endCollection(complete: boolean): void {
    if (!complete) return;
    for (const [id, e] of this.entries) {
      if (e.seen !== this.generation) {
        this.entries.delete(id);
        this.counters.evictions++;
      }
    }
    this.generation++;
  }

  /** Forgets every answer (the enricher closes); counters and notices given stay. */
  clear(): void {
    this.counters.evictions += this.entries.size;
    this.entries.clear();
  }

  /** Notices raised since the last call, each condition once; per-container ones bounded, the rest summed up. */
  takeNotices(): RuntimeNotice[] {
    const out = this.pending.splice(0);
    if (this.suppressedPending > 0) {
      out.push({
        key: 'runtime-state-more',
        code: 'ERR_CONTAINER_RUNTIME_STATE',
        message: `${this.suppressedPending} more container(s) without readable runtime state (${this.suppressed} in all beyond the first ${MAX_CONTAINER_NOTICES} named); their names are left out`,
      });
      this.suppressedPending = 0;
    }
    return out;
  }

  /** Cumulative hits (cached answers), misses (disk reads), evictions and current entries. */
  stats(): CacheStats {
    return { ...this.counters, entries: this.entries.size };
  }

  private read(id: string, hint: string | undefined, noticed: boolean): RuntimeContainer | undefined {
    const first = RUNTIMES.find((r) => r === hint);
    const order = first ? [first, ...RUNTIMES.filter((r) => r !== first)] : RUNTIMES;
    // runtime_roots.<runtime>: [] turns that runtime's names off, and with them its notices
    if (first !== undefined && this.roots[CONFIG_KEY[first]].length === 0) noticed = true;
    const tried = new Set<string>();
    const unusable: { runtime: RuntimeName; root: string; detail: string }[] = [];
    for (const runtime of order) {
      for (const root of this.roots[CONFIG_KEY[runtime]]) {
        const found = this.readFrom(runtime, root, id, tried, unusable);
        if (found && 'container' in found) return found.container;
        if (found) {
          if (!noticed) this.containerNotice(id, `container ${id}: ${found.reason}; its container, pod and image names are left out (its id, unit and pod UID are still set)`);
          return undefined;
        }
      }
    }
    // a root of the runtime the cgroup named is missing: that is why, and worth saying as such
    const ofHint = noticed ? [] : unusable.filter((u) => u.runtime === first);
    for (const u of ofHint) this.rootNotice(u.runtime, u.root, u.detail, id);
    if (ofHint.length === 0 && !noticed) {
      const where = [...new Set(order.flatMap((r) => this.roots[CONFIG_KEY[r]]))].join(', ') || 'no configured root';
      const missing = unusable.length > 0 ? `; unusable: ${unusable.map((u) => `${u.root} (${u.detail})`).join(', ')}` : '';
      this.containerNotice(id, `container ${id} (${hint ?? 'runtime not named by its cgroup'}): no runtime state found under ${where}${missing}; its names are left out (set enrichers.container.runtime_roots if the runtime keeps its state elsewhere)`);
    }
    return undefined;
  }

  /** One root of one runtime: the container, a reason its file is unusable, or undefined (not there). */
  private readFrom(runtime: RuntimeName, root: string, id: string, tried: Set<string>, unusable: { runtime: RuntimeName; root: string; detail: string }[]): Found {
    const rootProblem = (): void => {
      const detail = rootState(root);
      if (detail) unusable.push({ runtime, root, detail });
    };
    if (runtime === 'containerd') {
      const tasks = join(root, CONTAINERD_TASKS);
      let namespaces: string[];
      try {
        namespaces = readdirSync(tasks);
      } catch (err) {
        if (isAbsent(err)) rootProblem();
        else unusable.push({ runtime, root, detail: `${tasks} unreadable: ${(err as Error).message}` });
        return undefined;
      }
      namespaces.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
      for (const ns of namespaces) {
        const found = this.parseAt(join(tasks, ns, id, 'config.json'), tried, runtime, root, unusable, (b) => parseContainerdBundle(b, id));
        if (found) return found;
      }
      return undefined;
    }
    if (runtime === 'docker') {
      const found = this.parseAt(join(root, id, 'config.v2.json'), tried, runtime, root, unusable, (b) => parseDockerConfigV2(b, id));
      if (!found) rootProblem();
      return found;
    }
    const found = this.parseAt(join(root, 'overlay-containers', id, 'userdata', 'config.json'), tried, runtime, root, unusable, (b) => parseCrioPodmanConfig(b, id));
    if (!found) rootProblem();
    if (found && 'container' in found && found.container.runtime === 'podman') return { container: this.withPodmanStorage(found.container) };
    return found;
  }

  private parseAt(path: string, tried: Set<string>, runtime: RuntimeName, root: string, unusable: { runtime: RuntimeName; root: string; detail: string }[], parse: (b: Buffer) => RuntimeParseResult): Found {
    // CRI-O and Podman share roots and layout: one file is read once per lookup
    if (tried.has(path)) return undefined;
    tried.add(path);
    const read = readBounded(path);
    if ('absent' in read) return undefined;
    if ('denied' in read) {
      unusable.push({ runtime, root, detail: read.denied });
      return undefined;
    }
    if ('reason' in read) return { reason: read.reason };
    const parsed = parse(read.bytes);
    return parsed.container ? { container: parsed.container } : { reason: parsed.reason };
  }

  /** Podman's name and image from containers/storage, which its config.json lacks. */
  private withPodmanStorage(c: RuntimeContainer): RuntimeContainer {
    if (c.name && c.image) return c;
    const out: RuntimeContainer = { ...c };
    let imageId: string | undefined;
    for (const root of this.roots.podman) {
      for (const file of ['containers.json', 'volatile-containers.json']) {
        const read = readBounded(join(root, 'overlay-containers', file));
        if (!('bytes' in read)) continue;
        const found = findStorageContainer(read.bytes, c.id, `${root}/overlay-containers/${file}`).found;
        if (!found) continue;
        if (!out.name && found.name) out.name = found.name;
        if (!out.image && found.imageName) out.image = found.imageName;
        imageId = found.imageId;
        break;
      }
      if (out.name || imageId) break;
    }
    if (!out.image && imageId) {
      for (const root of this.roots.podman) {
        const read = readBounded(join(root, 'overlay-images', 'images.json'));
        const name = 'bytes' in read ? findStorageImageName(read.bytes, imageId, `${root}/overlay-images/images.json`).found : undefined;
        if (name) {
          out.image = name;
          break;
        }
      }
    }
    return out;
  }

  private rootNotice(runtime: RuntimeName, root: string, detail: string, id: string): void {
    const key = `runtime-root:${runtime}:${root}`;
    if (this.rootsNoticed.has(key)) return;
    this.rootsNoticed.add(key);
    this.pending.push({
      key,
      code: 'ERR_CONTAINER_RUNTIME_ROOT',
      message: `${runtime} containers run on this host (e.g. ${id.slice(0, 12)}) but its state root ${root} is ${detail}: their container, pod and image names are left out. Mount ${root} read-only into the agent's container, or set enrichers.container.runtime_roots.${CONFIG_KEY[runtime]} to where ${runtime} keeps its state`,
    });
  }

  private containerNotice(id: string, message: string): void {
    if (this.containerNotices >= MAX_CONTAINER_NOTICES) {
      this.suppressed++;
      this.suppressedPending++;
      return;
    }
    this.containerNotices++;
    this.pending.push({ key: `runtime-state:${id}`, code: 'ERR_CONTAINER_RUNTIME_STATE', message });
  }
}

const rank = (ns: string): number => {
  const i = CONTAINERD_NS_ORDER.indexOf(ns);
  return i < 0 ? CONTAINERD_NS_ORDER.length : i;
};

const isAbsent = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Why a root cannot serve (`missing`, `unreadable (EACCES)`, `not a directory`), or undefined when it is a directory. */
function rootState(root: string): string | undefined {
  try {
    // stat only: listing a root of thousands of containers on every miss would cost; a root we
    // may not read shows up as EACCES on the file itself
    return statSync(root).isDirectory() ? undefined : 'not a directory';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'missing' : `unreadable (${code ?? (err as Error).message})`;
  }
}

/**
 * Reads a state file whole unless fstat says it is over MAX_RUNTIME_FILE_BYTES (then nothing is
 * read: a 50 MB file costs one open and one fstat) or not a regular file.
 */
export function readBounded(path: string): FileRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (isAbsent(err)) return { absent: true };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { denied: `unreadable (${code} on ${path})` };
    return { reason: `${path} cannot be opened: ${(err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { reason: `${path} is not a regular file` };
    if (st.size > MAX_RUNTIME_FILE_BYTES) return { reason: `${path} is ${st.size} bytes, over the ${MAX_RUNTIME_FILE_BYTES}-byte bound; not read` };
    return { bytes: readFileSync(fd) };
  } catch (err) {
    return { reason: `${path} cannot be read: ${(err as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/**
 * The owner's ContainerInfo with the runtime's names added: name, pod, namespace, image, type,
 * Compose project/service, the workload inferred from the pod name, the orchestrator
 * (`kubernetes` with a pod name, `compose` with Compose labels, else the runtime), the pod UID
 * when the cgroup lacked it, and the runtime when the cgroup did not name one.
 */
export function withRuntimeNames(base: ContainerInfo, rc: RuntimeContainer): ContainerInfo {
  const out: ContainerInfo = { ...base };
  if (out.runtime === undefined) out.runtime = rc.runtime;
  if (rc.name !== undefined) out.name = rc.name;
  if (rc.pod !== undefined) out.pod = rc.pod;
  if (rc.namespace !== undefined) out.namespace = rc.namespace;
  if (rc.image !== undefined) out.image = rc.image;
  if (rc.type !== undefined) out.containerType = rc.type;
  if (rc.composeProject !== undefined) out.composeProject = rc.composeProject;
  if (rc.composeService !== undefined) out.composeService = rc.composeService;
  if (out.podUid === undefined && rc.podUid !== undefined) out.podUid = rc.podUid;
  const workload = inferWorkload(rc.pod);
  if (workload) {
    out.workload = workload.name;
    out.workloadKind = workload.kind;
  }
  out.orchestrator = rc.pod !== undefined ? 'kubernetes' : rc.composeProject !== undefined || rc.composeService !== undefined ? 'compose' : rc.runtime;
  return out;
}
