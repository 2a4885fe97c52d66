import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleChild } from './child/bundle.js';

// The collector in a child process with fewer privileges or fewer file descriptors.
const NS = 'sockscope-nl-cap';
let script = { entry: '', dir: '' };

beforeAll(() => {
  script = bundleChild();
  try {
    execFileSync('ip', ['netns', 'delete', NS], { stdio: 'ignore' });
  } catch {
    // none left over
  }
  execFileSync('ip', ['netns', 'add', NS]);
});

afterAll(() => {
  try {
    execFileSync('ip', ['netns', 'delete', NS], { stdio: 'ignore' });
  } catch {
    // beforeAll failed before creating it: its own error is the one worth reading
  }
  rmSync(script.dir, { recursive: true, force: true });
});

function run(prefix: string[], mode: string, config: object): Record<string, any> {
  const cmd = [...prefix, process.execPath, script.entry, mode, JSON.stringify(config)];
  const out = execFileSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

describe('privileges and limits', () => {
  it('without CAP_SYS_ADMIN, says so once and dumps its own namespace instead', () => {
    const r = run(['setpriv', '--inh-caps=-sys_admin', '--bounding-set=-sys_admin', '--'], 'collect', { namespaces: [NS] });
    expect(r.error).toBeUndefined();
    expect(r.notices).toHaveLength(1);
    expect(r.notices[0]).toMatch(/cannot enter network namespace sockscope-nl-cap \(setns into \/run\/netns\/sockscope-nl-cap: EPERM\); grant CAP_SYS_ADMIN/);
    const own = statSync('/proc/self/ns/net').ino;
    for (const run of r.runs) {
      expect(run.netns).toEqual([own]);
      expect(run.count).toBeGreaterThan(0);
      expect(run.warnings).toEqual([]);
    }
  });

  it('with CAP_SYS_ADMIN the same config reads the (empty) namespace itself', () => {
    const r = run([], 'collect', { namespaces: [NS] });
    expect(r.notices).toEqual([]);
    expect(r.runs[0]).toEqual({ netns: [], count: 0, warnings: [] });
  });

  it('without CAP_NET_ADMIN, destroy events still run (no capability needed to subscribe on this kernel); a receive buffer above net.core.rmem_max is said once, naming CAP_NET_ADMIN, and collections go on without warnings', { timeout: 60_000 }, () => {
    const drop = ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', '--'];
    const plain = run(drop, 'collect', {});
    expect(plain.error).toBeUndefined();
    // the default 8 MiB is what SO_RCVBUF grants under this host's rmem_max (4 MiB, doubled by the kernel)
    expect(plain.notices).toEqual([]);
    const big = run(drop, 'collect', { destroy_rcvbuf: 64 * 1024 * 1024 });
    expect(big.error).toBeUndefined();
    expect(big.notices).toHaveLength(1);
    expect(big.notices[0]).toMatch(/destroy-event receive buffer is \d+ bytes, not the 67108864 asked: SO_RCVBUFFORCE needs CAP_NET_ADMIN/);
    for (const r of big.runs) {
      expect(r.count).toBeGreaterThan(0);
      expect(r.warnings).toEqual([]);
    }
    expect(run([], 'collect', { destroy_rcvbuf: 64 * 1024 * 1024 }).notices).toEqual([]);
  });

  it('when socket() fails at create, throws ERR_COLLECTOR_UNAVAILABLE naming the errno', () => {
    const r = run(['prlimit', '--nofile=200', '--'], 'exhaust-fds', {});
    expect(r.error?.code).toBe('ERR_COLLECTOR_UNAVAILABLE');
    expect(r.error?.message).toMatch(/socket\(AF_NETLINK, NETLINK_SOCK_DIAG\) failed with EMFILE/);
  });

  it('importing the package does not load koffi; creating a collector does', () => {
    const r = run([], 'collect', {});
    expect(r.koffiAfterImport).toBe(false);
    expect(r.koffiAfterCreate).toBe(true);
  });
});
