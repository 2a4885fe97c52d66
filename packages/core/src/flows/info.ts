import type { MetricCatalogEntry } from '../catalog/types.js';
import type { MetricFamily, Sample } from '../types/family.js';
import type { ContainerInfo, SocketRecord } from '../types/socket.js';
import { addressSpace } from '../net/address-space.js';

/**
 * The info gauges: `sockscope_container_info{container_id, container, pod, namespace, image,
 * runtime, workload}` and `sockscope_process_info{pid, process, unit, container_id}`, each 1,
 * join tables in the manner of kube-state-metrics' `kube_pod_info`. One series per distinct
 * container id, and per distinct owning pid, among every record of the collection (selected or
 * not: selection chooses flows, and an info series names an owner whatever its flows are), so they
 * are bounded by the owners alive in that collection and start again with each. At most
 * `maxSeries` each: beyond, the highest ids and pids are left out (sorted, so the same ones every
 * collection) and counted in `sockscope_series_dropped{family}`.
 *
 * Per record: an identity check against the previous record's owner (the enrichers give every
 * socket of an owner the same ContainerInfo object, and a collector reads a process's sockets
 * together), else one map lookup; labels are built once per owner per collection.
 *
 * `sockscope_workload_address_info{address, namespace, pod, container, workload}` (issue 21, the
 * fleet map's join table): one series per distinct (local address, container) among the
 * collection's sockets owned by a container, so another host's agent that sees this address as a
 * remote `dst` can be joined to the pod that owns it. Loopback, link-local, multicast and wildcard
 * addresses are left out (they name no one across hosts), a v4-mapped address is written as the
 * IPv4 it carries (an IPv4 client's `dst`). Bounded by the live containers' addresses and
 * `maxSeries`; a per-owner memo of the last address keeps it to one comparison for most sockets.
 */
export class OwnerInfo {
  private readonly containers = new Map<string, ContainerInfo>();
  private readonly processes = new Map<number, SocketRecord>();
  private lastContainer: ContainerInfo | undefined;
  private lastPid = -1;
  /** container id → its local addresses (as the sockets give them) → the address normalized and its owner. */
  private readonly addresses = new Map<string, Map<string, { address: string; c: ContainerInfo }>>();
  private lastAddressOwner: ContainerInfo | undefined;
  private lastAddress = '';

  constructor(
    private readonly wantContainers: boolean,
    private readonly wantProcesses: boolean,
    private readonly maxSeries: number,
    private readonly wantAddresses = false,
  ) {}

  /** Notes the owner of one socket of the collection. */
  add(s: SocketRecord): void {
    const c = s.container;
    if (this.wantContainers && c !== undefined && c !== this.lastContainer) {
      this.lastContainer = c;
      if (c.id !== undefined && !this.containers.has(c.id)) this.containers.set(c.id, c);
    }
    const p = s.process;
    if (this.wantProcesses && p !== undefined && p.pid !== this.lastPid) {
      this.lastPid = p.pid;
      if (!this.processes.has(p.pid)) this.processes.set(p.pid, s);
    }
    if (this.wantAddresses && c?.id !== undefined) {
      const a = s.local.address;
      if (a === this.lastAddress && c === this.lastAddressOwner) return;
      this.lastAddress = a;
      this.lastAddressOwner = c;
      // the direction enricher has classified the address already; no key string per socket
      const space = s.localSpace ?? addressSpace(a);
      if (space !== 'private' && space !== 'public') return;
      let own = this.addresses.get(c.id);
      if (own === undefined) this.addresses.set(c.id, (own = new Map()));
      if (!own.has(a)) own.set(a, { address: a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a, c });
    }
  }

  /**
   * Appends the enabled info families to `out` (in the order of `entries`, catalog order) and
   * sets how many series each left out in `dropped` (by catalog id).
   */
  emit(entries: readonly MetricCatalogEntry[], out: MetricFamily[], dropped: Map<string, number>): void {
    for (const e of entries) {
      if (e.aggregate === 'container_info' && this.wantContainers) {
        const ids = [...this.containers.keys()].sort();
        const kept = ids.slice(0, this.maxSeries);
        dropped.set(e.id, ids.length - kept.length);
        out.push(family(e, kept.map((id) => containerSample(id, this.containers.get(id) as ContainerInfo))));
      } else if (e.aggregate === 'process_info' && this.wantProcesses) {
        const pids = [...this.processes.keys()].sort((a, b) => a - b);
        const kept = pids.slice(0, this.maxSeries);
        dropped.set(e.id, pids.length - kept.length);
        out.push(family(e, kept.map((pid) => processSample(this.processes.get(pid) as SocketRecord))));
      } else if (e.aggregate === 'workload_address_info' && this.wantAddresses) {
        // one series per (address, names): two copies of one container's names are one series
        const byLabels = new Map<string, Sample>();
        for (const own of this.addresses.values()) {
          for (const { address, c } of own.values()) {
            const sample = addressSample(address, c);
            const l = sample.labels;
            byLabels.set(`${address}\0${l.namespace}\0${l.pod}\0${l.container}\0${l.workload}`, sample);
          }
        }
        const keys = [...byLabels.keys()].sort();
        const kept = keys.slice(0, this.maxSeries);
        dropped.set(e.id, keys.length - kept.length);
        out.push(family(e, kept.map((k) => byLabels.get(k) as Sample)));
      }
    }
  }
}

function family(e: MetricCatalogEntry, samples: Sample[]): MetricFamily {
  return { name: e.prometheus, help: e.help, type: e.kind, otel: e.otel, samples };
}

/** A systemd unit as the labels show it: its human name, else as systemd spells it. */
export const unitLabel = (c: ContainerInfo | undefined): string => c?.unitName ?? c?.systemdUnit ?? '';

function containerSample(id: string, c: ContainerInfo): Sample {
  return {
    labels: Object.freeze({
      container_id: id,
      container: c.name ?? '',
      pod: c.pod ?? '',
      namespace: c.namespace ?? '',
      image: c.image ?? '',
      runtime: c.runtime ?? '',
      workload: c.workload ?? '',
    }),
    value: 1,
  };
}

function addressSample(address: string, c: ContainerInfo): Sample {
  return {
    labels: Object.freeze({ address, namespace: c.namespace ?? '', pod: c.pod ?? '', container: c.name ?? (c.id ?? '').slice(0, 12), workload: c.workload ?? '' }),
    value: 1,
  };
}

function processSample(s: SocketRecord): Sample {
  const p = s.process as NonNullable<SocketRecord['process']>;
  return {
    labels: Object.freeze({ pid: String(p.pid), process: p.comm, unit: unitLabel(s.container), container_id: s.container?.id ?? '' }),
    value: 1,
  };
}

