import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCgroup } from '../../src/enrichers/parse-cgroup.js';

const ID = '3f4e7d0c2a9b8e1f6d5c4b3a29181716f5e4d3c2b1a09f8e7d6c5b4a39281706';
const POD = '9e1b5a5c-7f0e-4d2b-a8c3-2f6d9b0e4a11';
const POD_ = POD.replace(/-/g, '_');
const parse = (name: string) => parseCgroup(readFileSync(new URL(`../fixtures/cgroup/${name}.txt`, import.meta.url), 'utf8'));

describe('parseCgroup', () => {
  it.each([
    ['systemd-v2-service', { systemdUnit: 'nginx.service', cgroupPath: '/system.slice/nginx.service' }],
    ['systemd-v2-session', { systemdUnit: 'session-3.scope', cgroupPath: '/user.slice/user-1000.slice/session-3.scope' }],
    ['systemd-v1-hybrid-service', { systemdUnit: 'ssh.service', cgroupPath: '/system.slice/ssh.service' }],
    // hybrid: the 0:: line names containerd.service, but the process is in the container
    ['docker-v1-cgroupfs-hybrid', { id: ID, runtime: 'docker', cgroupPath: `/docker/${ID}` }],
    ['docker-v2-systemd', { id: ID, runtime: 'docker', cgroupPath: `/system.slice/docker-${ID}.scope` }],
    ['docker-v2-cgroupfs', { id: ID, runtime: 'docker', cgroupPath: `/docker/${ID}` }],
    // cgroupfs under kubepods: a bare id does not say which runtime made it
    ['kubernetes-containerd-v1-cgroupfs', { id: ID, podUid: POD, qosClass: 'burstable', cgroupPath: `/kubepods/burstable/pod${POD}/${ID}` }],
    [
      'kubernetes-containerd-v2-systemd',
      { id: ID, runtime: 'containerd', podUid: POD, qosClass: 'burstable', cgroupPath: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID}.scope` },
    ],
    ['kubernetes-containerd-v2-systemd-guaranteed', { id: ID, runtime: 'containerd', podUid: POD, qosClass: 'guaranteed', cgroupPath: `/kubepods.slice/kubepods-pod${POD_}.slice/cri-containerd-${ID}.scope` }],
    ['kubernetes-crio-v2-systemd', { id: ID, runtime: 'cri-o', podUid: POD, qosClass: 'besteffort', cgroupPath: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice/crio-${ID}.scope` }],
    ['kubernetes-crio-v1-cgroupfs', { id: ID, runtime: 'cri-o', podUid: POD, qosClass: 'besteffort', cgroupPath: `/kubepods/besteffort/pod${POD}/crio-${ID}` }],
    ['kubernetes-docker-v1-systemd', { id: ID, runtime: 'docker', podUid: POD, qosClass: 'burstable', cgroupPath: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/docker-${ID}.scope` }],
    ['podman-v2-rootless', { id: ID, runtime: 'podman', systemdUnit: 'user@1000.service', cgroupPath: `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope` }],
    ['podman-v1-hybrid', { id: ID, runtime: 'podman', cgroupPath: `/machine.slice/libpod-${ID}.scope` }],
  ])('%s', (name, expected) => {
    expect(parse(name)).toEqual(expected);
  });

  it('does not take conmon (the runtime monitor) for the container, but keeps the pod', () => {
    expect(parse('kubernetes-crio-v2-conmon')).toEqual({
      podUid: POD,
      qosClass: 'besteffort',
      systemdUnit: `crio-conmon-${ID}.scope`,
      cgroupPath: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice/crio-conmon-${ID}.scope`,
    });
  });

  it("reads this machine's own file: the only non-root path is a memory cgroup, not a container", () => {
    expect(parse('this-machine-v1-hybrid')).toEqual({ cgroupPath: '/process_api/6553d35dcce62743f2f62daa46016758' });
  });

  it('keeps / for a process in the root cgroup and ignores junk lines', () => {
    expect(parseCgroup('0::/\n')).toEqual({ cgroupPath: '/' });
    expect(parseCgroup('garbage\n\n')).toEqual({});
  });
});
