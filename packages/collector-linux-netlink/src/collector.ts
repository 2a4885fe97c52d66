import type { Collector, CollectorResult, PluginContext, Protocol, SocketRecord, SocketVisitor } from '@sockscope/core';
import type { NetlinkCollectorConfig } from './config.js';
import { DiagSocket, openDiagSocket, type FfiModule } from './diag-socket.js';
import { runDumpConsistent, visitOnce, type DumpOptions, type DumpRequest } from './dump.js';
import { problemLine, unavailableError } from './errors.js';
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

/** One request per configured protocol and family, with the state mask `maskOf` gives (none when 0). */
function dumpRequests(config: NetlinkCollectorConfig, maskOf: (protocol: Protocol) => number): DumpRequest[] {
  const out: DumpRequest[] = [];
  for (const protocol of config.protocols ?? ['tcp', 'udp']) {
    const stateMask = maskOf(protocol);
    if (stateMask === 0) continue;
    for (const family of config.families ?? ['ipv4', 'ipv6']) out.push({ protocol, family, stateMask });
  }
  return out;
}

/** Creates a running collector: fails with ERR_COLLECTOR_UNAVAILABLE when netlink is refused. */
export async function createNetlinkCollector(ctx: PluginContext<NetlinkCollectorConfig>, dumpOptions: DumpOptions = {}): Promise<Collector> {
  if (ctx.platform !== 'linux') throw unavailableError('platform check', `platform ${ctx.platform} is not linux`);
  const ffi = await loadFfi();
  const own = ownNamespace();
  const first = openDiagSocket(ffi);
  if (!(first instanceof DiagSocket)) throw unavailableError(first.step, first.errnoName);
  const { config } = ctx;
  const sockets = new Map<number, DiagSocket>([[own.inode, first]]);
  const mask = statesMask(config.states);
  const requests = dumpRequests(config, () => mask);
  // Listening sockets are TCP LISTEN and unconnected (CLOSE) UDP; each phase asks only for its states.
  const listening = (p: Protocol) => statesMask([p === 'tcp' ? 'LISTEN' : 'CLOSE']);
  const streamPhases = [dumpRequests(config, (p) => mask & listening(p)), dumpRequests(config, (p) => mask & ~listening(p))];
  let closed = false;
  let permissionReported = false;
  // One collection at a time: a dump owns its socket until DONE, and a timed-out collection
  // may still be unwinding when the next one starts.
  let queue: Promise<unknown> = Promise.resolve();

  /**
   * The socket for a namespace, opened on first use (entering it with setns) and then reused;
   * `denied` when entering it needs a capability the agent lacks.
   */
  function socketFor(ns: NamespaceTarget, warnings: string[]): DiagSocket | 'denied' | undefined {
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
      warnings.push(problemLine('ERR_NETLINK_NAMESPACE', `namespace ${label}: ${opened.step} failed with ${opened.errnoName}`));
    }
    return undefined;
  }

  /**
   * Runs `reqs` in one namespace, tagging each record with the namespace: into an array
   * (collect) or straight to a visitor (stream).
   */
  async function dumpNamespace(ns: NamespaceTarget, sock: DiagSocket, reqs: readonly DumpRequest[], result: CollectorResult & { warnings: string[] }, signal: AbortSignal, sink: SocketRecord[] | SocketVisitor): Promise<void> {
    const tag = (r: SocketRecord): void => {
      r.netns = ns.inode;
      if (ns.name) r.netnsName = ns.name;
    };
    // an array is filled in place and its new records tagged at the end
    const from = Array.isArray(sink) ? sink.length : 0;
    const into: SocketRecord[] | SocketVisitor =
      typeof sink === 'function'
        ? (r) => {
            tag(r);
            sink(r);
          }
        : sink;
    for (const req of reqs) {
      if (sock.broken) break;
      const outcome = await runDumpConsistent(sock, req, into, signal, dumpOptions);
      if (outcome.interrupted) {
        result.inconsistent = true;
        result.warnings.push(problemLine('ERR_NETLINK_INCONSISTENT', `${req.protocol}/${req.family} dump${ns.name ? ` in ${ns.name}` : ''} was interrupted twice by socket churn; published as is`));
      }
      for (const p of outcome.problems) result.warnings.push(p);
    }
    if (Array.isArray(sink)) for (let i = from; i < sink.length; i++) tag(sink[i] as SocketRecord);
  }

  async function collectOnce(signal: AbortSignal, visit?: SocketVisitor): Promise<CollectorResult> {
    const result: CollectorResult & { warnings: string[] } = { warnings: [] };
    const sink: SocketRecord[] | SocketVisitor = visit ? visitOnce(visit) : (result.sockets = []);
    const { targets, missing } = resolveNamespaces(config.namespaces ?? 'own');
    for (const name of missing) result.warnings.push(problemLine('ERR_NETLINK_NAMESPACE', `namespace ${name} not found under /run/netns (create it with ip netns add, or fix the name)`));
    const live = new Map<number, { ns: NamespaceTarget; sock: DiagSocket }>();
    let denied = false;
    for (const ns of targets) {
      const sock = socketFor(ns, result.warnings);
      if (sock === 'denied') denied = true;
      if (sock instanceof DiagSocket) live.set(ns.inode, { ns, sock });
    }
    // Without CAP_SYS_ADMIN the agent's own sockets are still worth showing.
    if (denied && !live.has(own.inode)) {
      const sock = socketFor(own, result.warnings);
      if (sock instanceof DiagSocket) live.set(own.inode, { ns: own, sock });
    }
    // Streaming promises listeners first: every namespace's listening sockets, then the rest.
    for (const reqs of visit ? streamPhases : [requests]) {
      for (const { ns, sock } of live.values()) await dumpNamespace(ns, sock, reqs, result, signal, sink);
    }
    // An open netlink socket pins its namespace: let go of namespaces that are gone.
    for (const [ino, sock] of sockets) {
      if (ino !== own.inode && !live.has(ino) && !targets.some((t) => t.inode === ino)) {
        sock.close();
        sockets.delete(ino);
      }
    }
    if (result.warnings.length === 0) delete (result as CollectorResult).warnings;
    return result;
  }

  /** Runs one collection after the previous one has finished. */
  function queued(signal: AbortSignal, visit?: SocketVisitor): Promise<CollectorResult> {
    if (closed) return Promise.resolve({ ...(visit ? {} : { sockets: [] }), warnings: [`linux-netlink: ${visit ? 'stream' : 'collect'}() after close()`] });
    const run = queue.then(() => collectOnce(signal, visit));
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    collect: (signal) => queued(signal),
    stream: (signal, visit) => queued(signal, visit),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue;
      for (const sock of sockets.values()) sock.close();
      sockets.clear();
    },
  };
}
