import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleChild } from './child/bundle.js';

// The destroy-event source in a child process with fewer privileges (setpriv).
//
// What this kernel does (6.18): sock_diag's netlink table is created with NL_CFG_F_NONROOT_RECV,
// so joining the destroy groups needs no capability at all: a process without CAP_NET_ADMIN,
// even user nobody with no capability, hears every socket destroyed in its namespace. What
// CAP_NET_ADMIN does give is SO_RCVBUFFORCE: without it the receive buffer is capped by
// net.core.rmem_max, which the source says once. (A kernel that refused the membership answers
// EPERM; that path is tested in destroy-source.test.ts with the refusal injected.)
let script = { entry: '', dir: '' };
const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));

beforeAll(() => {
  script = bundleChild('run-destroy');
});

afterAll(() => {
  rmSync(script.dir, { recursive: true, force: true });
});

// More than SO_RCVBUF can give without CAP_NET_ADMIN (twice net.core.rmem_max).
const asked = 4 * rmemMax;

function run(prefix: string[]): Record<string, any> {
  const cmd = [...prefix, process.execPath, script.entry, JSON.stringify({ rcvbuf: asked })];
  const out = execFileSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

describe('destroy events and privileges', { timeout: 30_000 }, () => {
  // Also the regression test of close() as a process's last await: the reader worker is
  // unreferenced, and close() used to wait for its exit without a reference, so the process
  // ended with the await unsettled (exit code 13, no output) about two times in three.
  it('as root: events arrive, the receive buffer is forced to the size asked, nothing to say', () => {
    const r = run([]);
    expect(r.error).toBeUndefined();
    expect(r.heard).toBe(1);
    expect(r.notices).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.sockets).toEqual([expect.objectContaining({ rcvbuf: asked, forced: true })]);
  });

  for (const [label, prefix] of [
    ['without CAP_NET_ADMIN', ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', '--']],
    ['as user nobody with no capability', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--']],
  ] as const) {
    it(`${label}: events still arrive; the smaller receive buffer is said once, naming CAP_NET_ADMIN; no error, no loop`, () => {
      const r = run([...prefix]);
      expect(r.error).toBeUndefined();
      expect(r.heard).toBe(1);
      expect(r.warnings).toEqual([]);
      expect(r.sockets).toEqual([expect.objectContaining({ rcvbuf: 2 * rmemMax, forced: false })]);
      expect(r.notices).toEqual([
        `linux-netlink: destroy-event receive buffer is ${2 * rmemMax} bytes, not the ${asked} asked: SO_RCVBUFFORCE needs CAP_NET_ADMIN and SO_RCVBUF is capped by net.core.rmem_max; under churn the kernel may drop events (counted as ENOBUFS).`,
      ]);
    });
  }
});
