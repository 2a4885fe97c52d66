import type { ContainerInfo } from '@sockscope/core';

// /proc/<pid>/cgroup holds one "hierarchy-ID:controllers:path" line per hierarchy: a single
// "0::/path" on cgroup v2, one per controller on v1, both on hybrid hosts. Where systemd put the
// process is the name=systemd line (v1/hybrid) or the 0:: line (v2). On hybrid hosts the 0:: line
// of a container may still say where its runtime's service sits (e.g. containerd.service), so
// the systemd unit is read from name=systemd first.

const HEX64 = /^[0-9a-f]{64}$/;
// <runtime prefix>-<id>.scope (systemd cgroup driver) or <prefix>-<id> (cgroupfs)
const PREFIXED_ID = /^(docker|cri-containerd|crio|libpod|nerdctl)-([0-9a-f]{64})(?:\.scope)?$/;
const RUNTIME_OF_PREFIX: Readonly<Record<string, string>> = {
  docker: 'docker',
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  libpod: 'podman',
  nerdctl: 'containerd',
};
// parent directory of a bare 64-hex id (cgroupfs layouts)
const RUNTIME_OF_PARENT: Readonly<Record<string, string>> = { docker: 'docker', libpod_parent: 'podman' };
const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/;
const UNIT = /\.(service|scope)$/;

/** Parses /proc/<pid>/cgroup into container id and runtime, systemd unit, Kubernetes pod UID and QoS class. */
export function parseCgroup(text: string): ContainerInfo {
  let systemdPath: string | undefined;
  let v2Path: string | undefined;
  const others: string[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1).trim();
    if (controllers === 'name=systemd') systemdPath = path;
    else if (line.slice(0, first) === '0' && controllers === '') v2Path = path;
    else others.push(path);
  }
  // most telling first; the same path often repeats on every v1 controller
  const paths = [...new Set([systemdPath, v2Path, ...others].filter((p): p is string => p !== undefined))];
  const info: ContainerInfo = {};
  const chosen = paths.find((p) => p !== '/') ?? paths[0];
  if (chosen !== undefined) info.cgroupPath = chosen;

  for (const path of paths) {
    const found = containerIn(path);
    if (found) {
      info.id = found.id;
      if (found.runtime) info.runtime = found.runtime;
      info.cgroupPath = path;
      break;
    }
  }
  for (const path of paths) {
    const pod = podIn(path);
    if (pod) {
      info.podUid = pod.uid;
      info.qosClass = pod.qos;
      break;
    }
  }
  const unitPath = systemdPath ?? v2Path;
  if (unitPath !== undefined) {
    const unit = unitIn(unitPath);
    if (unit) info.systemdUnit = unit;
  }
  return info;
}

function containerIn(path: string): { id: string; runtime?: string } | undefined {
  const segs = path.split('/');
  // the deepest container wins (docker-in-docker, a pod's container under its pod slice)
  for (let i = segs.length - 1; i >= 0; i--) {
    const seg = segs[i] ?? '';
    const m = PREFIXED_ID.exec(seg);
    if (m?.[1] && m[2]) return { id: m[2], runtime: RUNTIME_OF_PREFIX[m[1]] ?? m[1] };
    if (HEX64.test(seg)) {
      const runtime = RUNTIME_OF_PARENT[segs[i - 1] ?? ''];
      return runtime ? { id: seg, runtime } : { id: seg };
    }
  }
  return undefined;
}

function podIn(path: string): { uid: string; qos: string } | undefined {
  const segs = path.split('/');
  if (!segs.some((s) => s === 'kubepods' || s.startsWith('kubepods.') || s.startsWith('kubepods-'))) return undefined;
  for (const seg of segs) {
    const m = POD_UID.exec(seg);
    if (!m?.[1]) continue;
    // cgroupfs: /kubepods/<qos>/pod<uid>; systemd: kubepods-<qos>-pod<uid_with_underscores>.slice
    const qos = segs.some((s) => s === 'besteffort' || s.startsWith('kubepods-besteffort')) ? 'besteffort'
      : segs.some((s) => s === 'burstable' || s.startsWith('kubepods-burstable')) ? 'burstable'
      : 'guaranteed';
    return { uid: m[1].replace(/_/g, '-'), qos };
  }
  return undefined;
}

function unitIn(path: string): string | undefined {
  const segs = path.split('/');
  for (let i = segs.length - 1; i >= 0; i--) {
    const seg = segs[i] ?? '';
    // a container's own scope names the container, not a service someone runs
    if (UNIT.test(seg) && !PREFIXED_ID.test(seg)) return seg;
  }
  return undefined;
}
