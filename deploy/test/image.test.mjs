// The container image: built by deploy/container/build.mjs (buildah, the Containerfile's runtime
// stage on a root file system made here) from the release directory, unpacked from its OCI
// archive, and run from that root file system as the DaemonSet would run it: chroot into the
// read-only root, the host's network, /proc and /sys, the pod's user and exactly the
// capabilities the manifests grant, as runc sets them (bounding, permitted and effective; none
// inheritable or ambient; no_new_privs). See lib/image.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildImage, defaultImagePath, defaultReleaseDir } from '../container/build.mjs';
import { kustomize, root, version } from './lib/repo.mjs';
import { setprivKit, startInImage, tempDir, unpackImage, writeConfigDir } from './lib/image.mjs';

const CAP_BITS = { DAC_READ_SEARCH: 2, SYS_PTRACE: 19, SYS_ADMIN: 21 };
const capMask = (caps) => caps.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c])), 0n);

const dsOf = (dir) => kustomize(dir).find((o) => o.kind === 'DaemonSet');
const grants = (ds) => ({
  uid: ds.spec.template.spec.securityContext.runAsUser,
  gid: ds.spec.template.spec.securityContext.runAsGroup,
  caps: ds.spec.template.spec.containers[0].securityContext.capabilities.add,
});
const baseDs = dsOf('deploy/kubernetes/base');
const base = grants(baseDs);
// the DaemonSet's read-only hostPath mounts (the runtimes' state the container enricher reads)
const hostPaths = (() => {
  const volumes = Object.fromEntries(baseDs.spec.template.spec.volumes.map((v) => [v.name, v]));
  return baseDs.spec.template.spec.containers[0].volumeMounts.filter((m) => volumes[m.name].hostPath).map((m) => m.mountPath);
})();
const allNamespaces = grants(dsOf('deploy/kubernetes/overlays/all-namespaces'));

let dir;
let image;
let kit;
const running = [];

before(() => {
  if (!existsSync(join(defaultReleaseDir, 'lib', 'node'))) {
    execFileSync(process.execPath, [join(root, 'scripts/release/release.mjs'), '--only', 'binary'], { stdio: 'inherit' });
  }
  buildImage({ releaseDir: defaultReleaseDir, out: defaultImagePath, log: (s) => process.stderr.write(`# ${s}\n`) });
  dir = tempDir('sockscope-image-test-');
  image = unpackImage(defaultImagePath, dir);
  kit = setprivKit(dir);
});

after(async () => {
  for (const c of running.splice(0)) await stop(c);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the image's entrypoint with `grant`, `yml` as its config; waits for /-/ready. */
async function run(grant, yml, name) {
  const port = await freePort();
  const etc = writeConfigDir(join(dir, `etc-${name}`), yml.replace('LISTEN', `127.0.0.1:${port}`));
  const child = startInImage({ rootfs: image.rootfs, ...kit, ...grant, entrypoint: image.config.config.Entrypoint, args: ['--config=/etc/sockscope/sockscope.yml'], etcSockscope: etc, hostPaths });
  running.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`not ready within 30 s: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/-/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const status = Object.fromEntries(
    readFileSync(`/proc/${child.pid}/status`, 'utf8').split('\n').filter(Boolean).map((l) => l.split(/:\s*/, 2)),
  );
  return { child, port, health, metrics, status, stderr: () => stderr };
}

const defaultYml = "sinks:\n  prometheus:\n    listen_address: 'LISTEN'\n";
const namespacesYml = "collectors:\n  linux-netlink:\n    namespaces: all\nsinks:\n  prometheus:\n    listen_address: 'LISTEN'\n";

test('the image: OCI labels, the non-root user of the DaemonSet, one layer, the entrypoint of the launcher without its shell', () => {
  const c = image.config;
  assert.equal(c.os, 'linux');
  assert.equal(c.config.User, `${base.uid}:${base.gid}`);
  assert.equal(base.uid, 65532);
  const labels = c.config.Labels;
  assert.equal(labels['org.opencontainers.image.title'], 'sockscope');
  assert.equal(labels['org.opencontainers.image.version'], version);
  assert.match(labels['org.opencontainers.image.revision'], /^([0-9a-f]{40}|unknown)$/);
  assert.match(labels['org.opencontainers.image.created'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(labels['org.opencontainers.image.licenses'], JSON.parse(readFileSync(join(root, 'apps/exporter/package.json'), 'utf8')).license);
  assert.equal(image.layers.length, 1);
  const passwd = readFileSync(join(image.rootfs, 'etc/passwd'), 'utf8');
  assert.match(passwd, new RegExp(`^sockscope:x:${base.uid}:${base.gid}:`, 'm'));
  // the release launcher's command line, with its directory as the image has it
  const launcher = readFileSync(join(defaultReleaseDir, 'sockscope'), 'utf8');
  const exec = /^exec "\$here\/([^"]+)" (.*) "\$here\/([^"]+)" "\$@"$/m.exec(launcher);
  assert.ok(exec, 'the launcher\'s exec line');
  assert.deepEqual(c.config.Entrypoint, [`/usr/lib/sockscope/${exec[1]}`, ...exec[2].split(' '), `/usr/lib/sockscope/${exec[3]}`]);
  // the Containerfile's default VERSION (its labels when built by hand) is the package's
  assert.match(readFileSync(join(root, 'deploy/container/Containerfile'), 'utf8'), new RegExp(`^ARG VERSION=${version.replace(/\./g, '\\.')}$`, 'm'));
});

test('the root file system: the release directory, the libraries it links, /etc; no shell; the runtime carries the DaemonSet\'s capabilities as file capabilities, permitted only', () => {
  const files = execFileSync('find', ['.', '-type', 'f', '-o', '-type', 'l'], { cwd: image.rootfs, encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.slice(1));
  const outside = files.filter((f) => !f.startsWith('/usr/lib/sockscope/') && !f.startsWith('/etc/') && !f.startsWith('/.test'));
  for (const f of outside) assert.match(f, /^\/(usr\/)?lib(64|\/x86_64-linux-gnu|\/aarch64-linux-gnu)?\/(ld-linux[^/]*|lib[^/]+\.so(\.\d+)*)$/, `unexpected ${f}`);
  assert.ok(!existsSync(join(image.rootfs, 'bin/sh')) && !existsSync(join(image.rootfs, 'usr/bin/sh')), 'no shell');
  const exe = join(image.rootfs, image.config.config.Entrypoint[0]);
  const getcap = execFileSync('getcap', [exe], { encoding: 'utf8' }).trim();
  const [, caps, flags] = /\s(cap_[a-z_,]+)[=+]([a-z]+)$/.exec(getcap) ?? [];
  // permitted only: the agent makes them effective itself (apps/exporter/src/capabilities.ts), and
  // without the effective bit the kernel executes the runtime whatever the bounding set
  assert.equal(flags, 'p', getcap);
  assert.deepEqual(caps.split(',').map((x) => x.replace(/^cap_/, '').toUpperCase()).sort(), [...base.caps].sort());
  const bytes = Number(execFileSync('du', ['-sb', '--exclude=.test', image.rootfs], { encoding: 'utf8' }).split(/\s/)[0]);
  process.stderr.write(`# image: archive ${(readFileSync(defaultImagePath).length / 1e6).toFixed(1)} MB, root file system ${(bytes / 1e6).toFixed(1)} MB\n`);
});

test('run as the base DaemonSet grants: user 65532, only its capabilities (raised to effective by the agent), no_new_privs; sees every process, /health has no notice', async (t) => {
  // a socket owned by root (this test): only CAP_SYS_PTRACE/CAP_DAC_READ_SEARCH let user 65532 name its process
  const listener = createServer();
  await new Promise((r) => listener.listen(0, '127.0.0.1', r));
  t.after(() => listener.close());
  const r = await run(base, defaultYml, 'base');
  try {
    assert.equal(r.status.Uid.split(/\s+/)[0], String(base.uid));
    // the file capabilities give them permitted only; the agent raised them to effective at start
    assert.equal(BigInt(`0x${r.status.CapEff}`), capMask(base.caps));
    assert.equal(BigInt(`0x${r.status.CapPrm}`), capMask(base.caps));
    assert.equal(BigInt(`0x${r.status.CapBnd}`), capMask(base.caps));
    assert.equal(BigInt(`0x${r.status.CapAmb}`), 0n);
    assert.equal(r.status.NoNewPrivs, '1');
    assert.match(r.stderr(), /msg="capabilities raised from the permitted set" raised=CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE$/m);
    // capset changes the calling thread: the main thread and the threads started after it hold them;
    // libuv's pool, started by Node's ES module loader before the agent's first line, does not
    const tasks = readdirSync(`/proc/${r.child.pid}/task`).map((tid) => /^CapEff:\s*(\S+)/m.exec(readFileSync(`/proc/${r.child.pid}/task/${tid}/status`, 'utf8'))[1]);
    process.stderr.write(`# threads: ${tasks.length}, with the two effective ${tasks.filter((c) => BigInt(`0x${c}`) === capMask(base.caps)).length}, with none ${tasks.filter((c) => BigInt(`0x${c}`) === 0n).length}\n`);
    assert.equal(r.health.status, 'ok', JSON.stringify(r.health));
    assert.equal(r.health.version, version);
    assert.deepEqual(r.health.notices, []);
    assert.ok(r.health.collectors.every((c) => c.success), JSON.stringify(r.health.collectors));
    const port = listener.address().port;
    const owner = new RegExp(`^sockscope_tcp_listen_queue_limit\\{local_port="${port}",process="([^"]*)"\\} \\d+$`, 'm').exec(r.metrics)?.[1];
    assert.match(owner ?? '(no series)', /^node/);
    assert.match(r.metrics, /^node_sockstat_TCP_inuse \d+$/m);
  } finally {
    await stop(r.child);
  }
});

test('the namespaces config with only the base grants: /health says CAP_SYS_ADMIN is missing, the rest is published', async (t) => {
  // a process in a network namespace of its own, for `namespaces: all` to find
  const other = spawn('unshare', ['--net', 'sleep', '120'], { stdio: 'ignore' });
  t.after(() => other.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  const r = await run(base, namespacesYml, 'ns-base');
  try {
    assert.equal(r.status.Uid.split(/\s+/)[0], String(base.uid));
    assert.ok(r.health.notices.some((n) => /CAP_SYS_ADMIN/.test(n)), JSON.stringify(r.health));
    assert.match(r.metrics, /^sockscope_scrape_collector_success\{collector="linux-netlink"\} 1$/m);
  } finally {
    await stop(r.child);
  }
});

test('run as the all-namespaces overlay grants (user 0, three capabilities): every namespace is read, no notice', async (t) => {
  const other = spawn('unshare', ['--net', 'sleep', '120'], { stdio: 'ignore' });
  t.after(() => other.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  const r = await run(allNamespaces, namespacesYml, 'ns-all');
  try {
    assert.equal(r.status.Uid.split(/\s+/)[0], '0');
    assert.equal(BigInt(`0x${r.status.CapEff}`), capMask(allNamespaces.caps));
    assert.equal(BigInt(`0x${r.status.CapBnd}`), capMask(allNamespaces.caps));
    assert.equal(r.status.NoNewPrivs, '1');
    assert.deepEqual(r.health.notices, []);
    assert.ok(r.health.collectors.every((c) => c.success), JSON.stringify(r.health.collectors));
  } finally {
    await stop(r.child);
  }
});

test('without the two capabilities (docker run without --cap-add: none in the bounding set) the agent starts, and /health names what it cannot see and the capabilities that fix it', async (t) => {
  // a socket of a root process (this test), which user 65532 cannot attribute without them
  const listener = createServer();
  await new Promise((r) => listener.listen(0, '127.0.0.1', r));
  t.after(() => listener.close());
  const r = await run({ uid: base.uid, gid: base.gid, caps: [] }, defaultYml, 'none');
  try {
    assert.equal(r.status.Uid.split(/\s+/)[0], String(base.uid));
    assert.equal(BigInt(`0x${r.status.CapBnd}`), 0n);
    assert.equal(BigInt(`0x${r.status.CapPrm}`), 0n);
    assert.equal(BigInt(`0x${r.status.CapEff}`), 0n);
    assert.equal(r.status.NoNewPrivs, '1');
    assert.doesNotMatch(r.stderr(), /capabilities raised/);
    // the process enricher says it once its first pass over /proc/<pid>/fd has met a denied one
    let health = r.health;
    for (let i = 0; i < 100 && !health.notices.some((n) => /CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH/.test(n)); i++) {
      await new Promise((res) => setTimeout(res, 100));
      health = await (await fetch(`http://127.0.0.1:${r.port}/health`)).json();
    }
    assert.ok(health.notices.some((n) => /cannot read \/proc\/<pid>\/fd of processes owned by other users.*CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH/.test(n)), JSON.stringify(health));
    assert.ok(health.collectors.every((c) => c.success), JSON.stringify(health.collectors));
    const metrics = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
    // the socket is published, without its owner
    const port = listener.address().port;
    assert.match(metrics, new RegExp(`^sockscope_tcp_listen_queue_limit\\{local_port="${port}",process=""\\} \\d+$`, 'm'));
  } finally {
    await stop(r.child);
  }
});

test('the image build leaves nothing in buildah\'s storage', () => {
  const r = spawnSync('buildah', ['containers', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), '');
  const images = spawnSync('buildah', ['images', '--quiet', '--filter', 'reference=sockscope'], { encoding: 'utf8' });
  assert.equal(images.stdout.trim(), '');
});
