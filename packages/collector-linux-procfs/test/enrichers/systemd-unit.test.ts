import { describe, expect, it } from 'vitest';
import { parseCgroup } from '../../src/enrichers/parse-cgroup.js';
import { systemdUnit, unescapeUnitName } from '../../src/enrichers/systemd-unit.js';

const ID = '3f4e7d0c2a9b8e1f6d5c4b3a29181716f5e4d3c2b1a09f8e7d6c5b4a39281706';
const POD_ = '9e1b5a5c_7f0e_4d2b_a8c3_2f6d9b0e4a11';

describe('systemdUnit', () => {
  it.each([
    // plain services and the names people expect
    ['/system.slice/nginx.service', { unit: 'nginx.service', kind: 'service', name: 'nginx' }],
    ['/system.slice/postgresql.service', { unit: 'postgresql.service', kind: 'service', name: 'postgresql' }],
    ['/system.slice/dbus-org.freedesktop.resolve1.service', { unit: 'dbus-org.freedesktop.resolve1.service', kind: 'service', name: 'dbus-org.freedesktop.resolve1' }],
    ['/init.scope', { unit: 'init.scope', kind: 'scope', name: 'init' }],
    // the innermost unit wins
    ['/user.slice/user-1000.slice/session-3.scope', { unit: 'session-3.scope', kind: 'scope', name: 'session-3' }],
    ['/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-5c1d.scope', { unit: 'vte-spawn-5c1d.scope', kind: 'scope', name: 'vte-spawn-5c1d' }],
    // templated units keep their instance
    ['/system.slice/system-getty.slice/getty@tty1.service', { unit: 'getty@tty1.service', kind: 'service', name: 'getty@tty1' }],
    ['/user.slice/user-1000.slice/user@1000.service', { unit: 'user@1000.service', kind: 'service', name: 'user@1000' }],
    // escapes: the unit keeps them (systemctl takes it), the name decodes them
    [
      '/system.slice/system-systemd\\x2dfsck.slice/systemd-fsck@dev-disk-by\\x2duuid-1a2b.service',
      { unit: 'systemd-fsck@dev-disk-by\\x2duuid-1a2b.service', kind: 'service', name: 'systemd-fsck@dev-disk-by-uuid-1a2b' },
    ],
    ['/system.slice/system-systemd\\x2dfsck.slice', { unit: 'system-systemd\\x2dfsck.slice', kind: 'slice', name: 'system-systemd-fsck' }],
    // container scopes: a scope, the caller prefers the container
    [`/system.slice/docker-${ID}.scope`, { unit: `docker-${ID}.scope`, kind: 'scope', name: `docker-${ID}` }],
    [
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { unit: `cri-containerd-${ID}.scope`, kind: 'scope', name: `cri-containerd-${ID}` },
    ],
    [`/machine.slice/libpod-${ID}.scope/container`, { unit: `libpod-${ID}.scope`, kind: 'scope', name: `libpod-${ID}` }],
    // slices, and other unit types that own processes while a helper runs
    ['/system.slice', { unit: 'system.slice', kind: 'slice', name: 'system' }],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice`, { unit: `kubepods-besteffort-pod${POD_}.slice`, kind: 'slice', name: `kubepods-besteffort-pod${POD_}` }],
    ['/system.slice/run-user-1000.mount', { unit: 'run-user-1000.mount', kind: 'mount', name: 'run-user-1000' }],
    ['/system.slice/sshd.socket', { unit: 'sshd.socket', kind: 'socket', name: 'sshd' }],
    ['/system.slice/dev-sda2.swap', { unit: 'dev-sda2.swap', kind: 'swap', name: 'dev-sda2' }],
    // a runtime's sub-cgroups inside a delegated service are not units: the service is
    [`/system.slice/docker.service/docker/${ID}`, { unit: 'docker.service', kind: 'service', name: 'docker' }],
    // a segment that is not a unit name is passed over for its parent
    ['/system.slice/foo.notatype', { unit: 'system.slice', kind: 'slice', name: 'system' }],
    ['/system.slice/bad name.service', { unit: 'system.slice', kind: 'slice', name: 'system' }],
    ['/system.slice/nginx.service/', { unit: 'nginx.service', kind: 'service', name: 'nginx' }],
  ] as const)('%s', (path, expected) => {
    expect(systemdUnit(path)).toEqual(expected);
  });

  it.each([
    ['/'],
    [''],
    [`/docker/${ID}`], // cgroupfs driver
    [`/kubepods/burstable/pod${POD_.replace(/_/g, '-')}/${ID}`],
    ['/foo.notatype'], // not a unit type
    ['/.service'], // no prefix
    ['/bad name.service'], // a space is not in a unit name
    [`/${'a'.repeat(250)}.service`], // longer than UNIT_NAME_MAX
  ])('%s has no unit', (path) => {
    expect(systemdUnit(path)).toBeUndefined();
  });

  it('reads the same unit from a v1 name=systemd path and a v2 unified path', () => {
    const v1 = parseCgroup('12:name=systemd:/system.slice/ssh.service\n3:cpu,cpuacct:/system.slice/ssh.service\n').cgroupPath;
    const v2 = parseCgroup('0::/system.slice/ssh.service\n').cgroupPath;
    expect(v1).toBe('/system.slice/ssh.service');
    expect(systemdUnit(v1 ?? '')).toEqual(systemdUnit(v2 ?? ''));
    expect(systemdUnit(v2 ?? '')).toEqual({ unit: 'ssh.service', kind: 'service', name: 'ssh' });
  });
});

describe('unescapeUnitName', () => {
  it.each([
    ['nginx', 'nginx'],
    ['system-systemd\\x2dfsck', 'system-systemd-fsck'],
    ['a\\x2fb', 'a/b'],
    ['caf\\xc3\\xa9', 'café'], // escaped bytes are UTF-8
    ['bad\\xzz', 'bad\\xzz'], // a malformed escape stays as written
    ['trailing\\x2', 'trailing\\x2'],
    ['trailing\\', 'trailing\\'],
  ])('%s → %s', (escaped, plain) => {
    expect(unescapeUnitName(escaped)).toBe(plain);
  });
});
