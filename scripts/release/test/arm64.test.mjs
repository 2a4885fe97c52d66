// The arm64 executable directory, run here under qemu-user (no arm64 machine): its runtime and
// koffi's arm64 module load, --version says linux/arm64, and the agent serves /health and
// /metrics. qemu-user's netlink does not carry NETLINK_SOCK_DIAG, so the agent says so and the
// procfs socket collector takes over: what is checked is that the build runs, not the netlink path.
// Needs qemu-aarch64 and Debian's arm64 cross C/C++ libraries (.ci/run installs them).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION, artifact, emptyDir, get, startAgent } from './helpers.mjs';

const SYSROOT = '/usr/aarch64-linux-gnu';
const name = `sockscope-${VERSION}-linux-arm64`;
const runnable = process.arch === 'arm64' || (spawnSync('qemu-aarch64', ['--version']).status === 0 && existsSync(join(SYSROOT, 'lib/libstdc++.so.6')));

describe(`${name}.tar.gz`, { skip: runnable ? false : 'needs an arm64 machine or qemu-aarch64 with libc6-arm64-cross and libstdc++6-arm64-cross' }, () => {
  let dir;
  let cmd;
  before(() => {
    dir = emptyDir('sockscope-arm64-');
    execFileSync('tar', ['-xzf', artifact(`${name}.tar.gz`), '-C', dir]);
    const lib = join(dir, name, 'lib');
    // the launcher's command line, with qemu in front of the runtime where this is not arm64
    cmd = (args) => (process.arch === 'arm64' ? [join(dir, name, 'sockscope'), args] : ['qemu-aarch64', ['-L', SYSROOT, join(lib, 'node'), '--max-semi-space-size=4', '--single-threaded-gc', '--max-old-space-size=1024', join(lib, 'sockscope.mjs'), ...args]]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is an aarch64 runtime with the aarch64 koffi module', () => {
    // ELF e_machine (offset 18, little-endian): 183 is EM_AARCH64
    for (const f of ['lib/node', 'lib/koffi.node']) assert.equal(readFileSync(join(dir, name, f)).readUInt16LE(18), 183, `${f} is aarch64`);
  });

  it('--version says linux/arm64', () => {
    const [c, a] = cmd(['--version']);
    assert.match(execFileSync(c, a, { encoding: 'utf8' }), new RegExp(`^sockscope ${VERSION.replace(/\./g, '\\.')} \\(node [0-9.]+, linux/arm64, revision `));
  });

  it('serves /health and /metrics', async () => {
    const [c, a] = cmd([]);
    const agent = await startAgent(c, a, { cwd: dir });
    try {
      const metrics = await get(agent.port, '/metrics');
      assert.match(metrics.text, /^sockscope_build_info\{[^}]*arch="arm64"[^}]*\} 1$/m);
      assert.match(metrics.text, /^sockscope_sockets\{/m);
      const health = JSON.parse((await get(agent.port, '/health')).text);
      assert.equal(health.version, VERSION);
    } finally {
      await agent.stop();
    }
  });
});
