// Runs the container image's root file system the way a container runtime would for the
// DaemonSet, without one: the OCI archive's layers unpacked (file capabilities kept), the root
// made read-only in a private mount namespace with the host's /proc (hostPID), /sys, /dev and
// the DaemonSet's hostPath directories (read-only) bound in and the host network (hostNetwork),
// then chroot into it and setpriv to the pod's user
// with the capability set runc gives a container: the granted capabilities as bounding,
// permitted and effective set, nothing inheritable or ambient, no_new_privs
// (allowPrivilegeEscalation: false). setpriv itself is the host's, run from a directory bound at
// /.test with its own dynamic loader and libraries, so nothing of the host's leaks into what the
// agent loads.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** Unpacks an OCI archive: its image config and its layers applied in order under `dir`/rootfs. */
export function unpackImage(archive, dir) {
  const oci = join(dir, 'oci');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(oci, { recursive: true });
  mkdirSync(rootfs, { recursive: true });
  execFileSync('tar', ['-xf', archive, '-C', oci]);
  const blob = (digest) => join(oci, 'blobs', ...digest.split(':'));
  const index = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
  for (const layer of manifest.layers) {
    const gz = layer.mediaType.endsWith('+gzip') ? ['-z'] : [];
    // --xattrs keeps security.capability (the executable's file capabilities); -p and
    // --numeric-owner keep modes and owners as the image has them
    execFileSync('tar', ['-x', ...gz, '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-f', blob(layer.digest), '-C', rootfs]);
    // whiteouts of a later layer (none today: the runtime stage is one COPY)
    const wh = execFileSync('find', [rootfs, '-name', '.wh.*'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (wh.length > 0) throw new Error(`layer ${layer.digest} has whiteouts (${wh.length}); this unpacker applies none`);
  }
  return { index, manifest, config, rootfs, layers: manifest.layers };
}

/** The host's setpriv with its dynamic loader and libraries, in a directory to bind at /.test. */
export function setprivKit(dir) {
  const kit = join(dir, 'kit');
  mkdirSync(kit, { recursive: true });
  const setpriv = realpathSync('/usr/bin/setpriv');
  copyFileSync(setpriv, join(kit, 'setpriv'));
  execFileSync('chmod', ['755', join(kit, 'setpriv')]);
  let loader;
  for (const line of execFileSync('ldd', [setpriv], { encoding: 'utf8' }).split('\n')) {
    const m = /=> (\/\S+)/.exec(line) ?? /^\s*(\/\S+) \(0x/.exec(line);
    if (!m) continue;
    const real = realpathSync(m[1]);
    const name = basename(m[1]);
    copyFileSync(real, join(kit, name));
    if (/^ld-linux/.test(name)) loader = name;
  }
  if (!loader) throw new Error('ldd /usr/bin/setpriv named no dynamic loader');
  execFileSync('chmod', ['755', join(kit, loader)]);
  return { kit, loader };
}

/**
 * Starts `args` (the image's entrypoint and the given arguments) in `rootfs` as uid:gid with
 * exactly `caps` (names as Kubernetes spells them: SYS_PTRACE, DAC_READ_SEARCH, …) and config
 * files from `etcSockscope` bound read-only at /etc/sockscope, and the host's `hostPaths`
 * bound read-only at the same paths. Returns the child (its pid is
 * the agent's once setpriv has executed it).
 */
export function startInImage({ rootfs, kit, loader, uid, gid, caps, entrypoint, args, etcSockscope, hostPaths = [] }) {
  const capList = caps.map((c) => `+${c.toLowerCase()}`).join(',');
  const bounding = caps.length > 0 ? `-all,${capList}` : '-all';
  const setpriv = [
    `/.test/${loader}`, '--library-path', '/.test', '/.test/setpriv',
    `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups',
    `--bounding-set=${bounding}`, '--inh-caps=-all', '--no-new-privs', '--',
  ];
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  mkdirSync(join(rootfs, '.test'), { recursive: true });
  // the DaemonSet's read-only hostPath mounts (a missing one is an empty directory, as
  // DirectoryOrCreate would leave it)
  for (const p of hostPaths) mkdirSync(join(rootfs, p), { recursive: true });
  const binds = hostPaths.flatMap((p) => [
    `if [ -d ${q(p)} ]; then mount --rbind ${q(p)} "$R"${q(p)} && mount -o remount,bind,ro "$R"${q(p)}; fi`,
  ]);
  const script = [
    'set -e',
    `R=${q(rootfs)}`,
    'mount --bind "$R" "$R"',
    'mount -o remount,bind,ro "$R"',
    'mount --bind /proc "$R/proc"',
    'mount --rbind /sys "$R/sys"',
    'mount --rbind /dev "$R/dev"',
    `mount --bind ${q(kit)} "$R/.test"`,
    `mount --bind ${q(etcSockscope)} "$R/etc/sockscope"`,
    'mount -o remount,bind,ro "$R/etc/sockscope"',
    ...binds,
    `exec chroot "$R" ${[...setpriv, ...entrypoint, ...args].map(q).join(' ')}`,
  ].join('\n');
  // the environment a container starts with: PATH only (none of this test's variables)
  return spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
}

/** A temporary directory under the system's. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfigDir(dir, yml) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sockscope.yml'), yml);
  return dir;
}
