import { TimeSlice, type Collector, type CollectorResult, type PluginContext, type Protocol, type SocketVisitor, type Warning } from '@sockscope/core';
import type { NetlinkCollectorConfig } from './config.js';
import { CookieSet } from './cookie-set.js';
import { DiagSocket, openDiagSocket, type FfiModule } from './diag-socket.js';
import { requestName, runDumpConsistent, visitOnce, type DumpOptions, type DumpRequest } from './dump.js';
import { netlinkWarning, unavailableError } from './errors.js';
import { createLifecycle, type Lifecycle } from './lifecycle.js';
import { ownNamespace, resolveNamespaces, type NamespaceTarget } from './namespaces.js';
import { statesMask } from './request.js';

/** Loads the unsafe layer; only here, so importing the package never loads koffi. */
async function loadFfi(): Promise<FfiModule> {
  try {
    return await import('./ffi/index.js');
  } catch (err) {
    throw unavailableError('loading koffi', err instanceof Error ? err.message : String(err));
  }
}

/**
 * One request per configured protocol and family, with the state mask `maskOf` gives (none when
 * 0); TCP of both families is one request (`both`: one walk of the kernel's TCP tables, see
 * encodeDumpRequest), split by {@link splitBoth} when the kernel refuses it.
 */
function dumpRequests(config: NetlinkCollectorConfig, maskOf: (protocol: Protocol) => number): DumpRequest[] {
  const out: DumpRequest[] = [];
  for (const protocol of config.protocols) {
    const stateMask = maskOf(protocol);
    if (stateMask === 0) continue;
    if (protocol === 'tcp' && config.families.includes('ipv4') && config.families.includes('ipv6')) out.push({ protocol, family: 'both', stateMask });
    else for (const family of config.families) out.push({ protocol, family, stateMask });
  }
  return out;
}

/** A `both` request as one request per family. */
function splitBoth(req: DumpRequest): DumpRequest[] {
  return [
    { ...req, family: 'ipv4' },
    { ...req, family: 'ipv6' },
  ];
}

/** Errnos a kernel without the TCPDIAG_GETSOCK request answers it with (no handler, unknown type). */
const BOTH_REFUSED = new Set(['EINVAL', 'ENOENT', 'EOPNOTSUPP']);

/**
 * Creates a running collector (its config with the schema's defaults applied): fails with
 * ERR_COLLECTOR_UNAVAILABLE when koffi or netlink is refused, so the agent falls back.
 */
export async function createNetlinkCollector(
  ctx: PluginContext<NetlinkCollectorConfig>,
  dumpOptions: DumpOptions = {},
  loadFfiModule: () => Promise<FfiModule> = loadFfi,
): Promise<Collector> {
  if (ctx.platform !== 'linux') throw unavailableError('platform check', `platform ${ctx.platform} is not linux`);
  const ffi = await loadFfiModule();
  const own = ownNamespace();
  const first = openDiagSocket(ffi);
  if (!(first instanceof DiagSocket)) throw unavailableError(first.step, first.errnoName);
  const { config } = ctx;
  const sockets = new Map<number, DiagSocket>([[own.inode, first]]);
  const mask = statesMask(config.states);
  // Listening sockets are TCP LISTEN and unconnected (CLOSE) UDP; each phase asks only for its
  // states, so every listening socket of every namespace is visited before any other socket.
  const listening = (p: Protocol) => statesMask([p === 'tcp' ? 'LISTEN' : 'CLOSE']);
  const phases = [dumpRequests(config, (p) => mask & listening(p)), dumpRequests(config, (p) => mask & ~listening(p))];
  let closed = false;
  let permissionReported = false;
  /** The kernel refused a `both` request: TCP is dumped per family from then on. */
  let bothRefused = false;
  // Destroy events: listening starts now, so the sockets closed before the first collection count too.
  let lifecycle: Lifecycle | undefined;
  if (config.destroy_events) {
    try {
      lifecycle = await createLifecycle(resolveNamespaces(config.namespaces).targets, { rcvbuf: config.destroy_rcvbuf, maxBuffered: config.destroy_max_buffered }, ctx, loadFfiModule);
    } catch (err) {
      ctx.reportOnce('destroy-events:start', `linux-netlink: destroy events are off, their source could not start (${err instanceof Error ? err.message : String(err)}); live sockets only`);
    }
  }
  // One collection at a time: a dump owns its socket until DONE, and a timed-out collection
  // may still be unwinding when the next one starts.
  let queue: Promise<unknown> = Promise.resolve();

  /**
   * The socket for a namespace, opened on first use (entering it with setns) and then reused;
   * `denied` when entering it needs a capability the agent lacks.
   */
  function socketFor(ns: NamespaceTarget, warnings: Warning[]): DiagSocket | 'denied' | undefined {
    const cached = sockets.get(ns.inode);
    if (cached && !cached.broken) return cached;
    cached?.close();
    sockets.delete(ns.inode);
    const opened = openDiagSocket(ffi, ns.path);
    if (opened instanceof DiagSocket) {
      sockets.set(ns.inode, opened);
      return opened;
    }
    const label = ns.name ?? ns.path ?? 'own';
    if (opened.errnoName === 'EPERM') {
      if (permissionReported) return 'denied';
      permissionReported = true;
      ctx.reportOnce(
        'netns-permission',
        `linux-netlink: cannot enter network namespace ${label} (${opened.step}: EPERM); ` +
          'grant CAP_SYS_ADMIN to see other namespaces. Dumping the agent\'s own namespace only.',
      );
      return 'denied';
    } else if (opened.errnoName !== 'ENOENT' || ns.name) {
      // A process that exits between the /proc walk and open() is normal; a named namespace is not.
      warnings.push(netlinkWarning('ERR_NETLINK_NAMESPACE', `namespace ${label}: ${opened.step} failed with ${opened.errnoName}`));
    }
    return undefined;
  }

  /** Runs `reqs` in one namespace, handing each record to `visit` tagged with the namespace. */
  async function dumpNamespace(ns: NamespaceTarget, sock: DiagSocket, reqs: readonly DumpRequest[], result: CollectorResult, warnings: Warning[], signal: AbortSignal, visit: SocketVisitor): Promise<void> {
    // the records carry ns.inode from their parse (dumpOptions' netns); a name is added after
    const named = ns.name;
    const tagged: SocketVisitor = named
      ? (r) => {
          r.netnsName = named;
          visit(r);
        }
      : visit;
    const opts: DumpOptions = { ...dumpOptions, netns: ns.inode };
    // a `both` request the kernel refuses (now or before) is replaced, in place, by its two halves
    const pending = [...reqs];
    for (let req = pending.shift(); req !== undefined; req = pending.shift()) {
      if (sock.broken) {
        // a dump abandoned on this socket: the requests after it were never sent
        result.inconsistent = true;
        break;
      }
      if (req.family === 'both' && bothRefused) {
        pending.unshift(...splitBoth(req));
        continue;
      }
      const outcome = await runDumpConsistent(sock, req, tagged, signal, opts);
      if (req.family === 'both' && outcome.errno !== 0 && BOTH_REFUSED.has(ffi.errnoName(outcome.errno))) {
        // answered with an error before any socket: this kernel has no TCPDIAG_GETSOCK
        bothRefused = true;
        ctx.logger.debug('linux-netlink: the kernel refused TCPDIAG_GETSOCK, dumping TCP per family', { errno: ffi.errnoName(outcome.errno) });
        pending.unshift(...splitBoth(req));
        continue;
      }
      // A dump abandoned part-way (recv failed, the kernel went silent) read only some sockets:
      // the collection must not count as complete, or the metric fold would take the sockets it
      // missed for closed ones.
      if (!outcome.finished) result.inconsistent = true;
      if (outcome.interrupted) {
        result.inconsistent = true;
        warnings.push(netlinkWarning('ERR_NETLINK_INCONSISTENT', `${requestName(req)} dump${ns.name ? ` in ${ns.name}` : ''} was interrupted twice by socket churn; published as is`));
      }
      for (const w of outcome.warnings) warnings.push(w);
    }
  }

  const idleCookieSets: CookieSet[] = [];

  async function collectOnce(signal: AbortSignal, visit: SocketVisitor): Promise<CollectorResult> {
    // Each socket once, told apart by cookie: an interrupted dump's retry, or a socket that
    // changed state between the two phases, is not visited twice. The cookie tables are kept
    // for the next collections (one each when collections overlap).
    const seen = idleCookieSets.pop() ?? new CookieSet();
    seen.clear();
    const once = visitOnce(visit, seen);
    try {
      return await collectWith(signal, visit, once);
    } finally {
      idleCookieSets.push(seen);
    }
  }

  async function collectWith(signal: AbortSignal, visit: SocketVisitor, once: SocketVisitor): Promise<CollectorResult> {
    const result: CollectorResult = {};
    const warnings: Warning[] = [];
    const { targets, missing } = resolveNamespaces(config.namespaces);
    for (const name of missing) warnings.push(netlinkWarning('ERR_NETLINK_NAMESPACE', `namespace ${name} not found under /run/netns (create it with ip netns add, or fix the name)`));
    const live = new Map<number, { ns: NamespaceTarget; sock: DiagSocket }>();
    let denied = false;
    for (const ns of targets) {
      const sock = socketFor(ns, warnings);
      if (sock === 'denied') denied = true;
      if (sock instanceof DiagSocket) live.set(ns.inode, { ns, sock });
    }
    // Without CAP_SYS_ADMIN the agent's own sockets are still worth showing.
    if (denied && !live.has(own.inode)) {
      const sock = socketFor(own, warnings);
      if (sock instanceof DiagSocket) live.set(own.inode, { ns: own, sock });
    }
    // Listeners first: every namespace's listening sockets, then the rest.
    for (const reqs of phases) {
      for (const { ns, sock } of live.values()) await dumpNamespace(ns, sock, reqs, result, warnings, signal, once);
    }
    // An open netlink socket pins its namespace: let go of namespaces that are gone.
    for (const [ino, sock] of sockets) {
      if (ino !== own.inode && !live.has(ino) && !targets.some((t) => t.inode === ino)) {
        sock.close();
        sockets.delete(ino);
      }
    }
    if (lifecycle) await visitClosed(lifecycle, [...live.values()].map((l) => l.ns), result, warnings, signal, visit);
    if (warnings.length > 0) result.warnings = warnings;
    return result;
  }

  /**
   * After the live sockets, the ones closed since the previous collection (core's contract: a
   * closed record comes after the live ones of its collection, and wins over a live sighting of
   * the same cookie in it). Not through `visitOnce`: a socket seen alive earlier in this
   * collection that closed meanwhile must still be handed over closed. An aborted collection
   * leaves them buffered for the next one.
   */
  async function visitClosed(lc: Lifecycle, read: NamespaceTarget[], result: CollectorResult, warnings: Warning[], signal: AbortSignal, visit: SocketVisitor): Promise<void> {
    if (signal.aborted) return;
    await lc.follow(read);
    const { records, warnings: w } = lc.drain();
    for (const x of w) warnings.push(x);
    // Under churn thousands of sockets close between two collections, and every one goes through
    // the enrichers and folds as it is visited: yield every slice, as the dump does, so the agent
    // keeps answering (handed over in one loop, 4,000 closed records blocked it for up to 53 ms).
    const slice = new TimeSlice(dumpOptions.sliceMs ?? 4);
    for (const r of records) {
      visit(r);
      if (slice.due()) await slice.next();
    }
    result.families = lc.families();
  }

  return {
    /** Runs one collection after the previous one has finished. */
    stream(signal, visit): Promise<CollectorResult> {
      if (closed) return Promise.resolve({ warnings: [netlinkWarning('ERR_NETLINK_CLOSED', 'linux-netlink: stream() after close()')] });
      const run = queue.then(() => collectOnce(signal, visit));
      queue = run.catch(() => undefined);
      return run;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue;
      await lifecycle?.close();
      for (const sock of sockets.values()) sock.close();
      sockets.clear();
    },
  };
}
