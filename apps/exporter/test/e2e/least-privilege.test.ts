import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../run-cli.js';
import { startLoopbackTraffic, type LoopbackTraffic } from './loopback-traffic.js';

/**
 * The run examples/systemd documents: a user without privileges (nobody here) holding only
 * CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH as ambient capabilities, exactly what
 * AmbientCapabilities= gives the service. setpriv (util-linux) sets the same thing up.
 */
const SETPRIV = '/usr/bin/setpriv';
const canDropPrivileges = process.getuid?.() === 0 && existsSync(SETPRIV);

async function startAsNobody(caps: string[]): Promise<RunningCli> {
  const capArgs = caps.length > 0 ? [`--inh-caps=${caps.map((c) => `+${c}`).join(',')}`, `--ambient-caps=${caps.map((c) => `+${c}`).join(',')}`] : ['--inh-caps=-all'];
  const cli = await startCli([], { prefix: [SETPRIV, '--reuid=65534', '--regid=65534', '--clear-groups', ...capArgs] });
  running.push(cli.child);
  return cli;
}

const running: ChildProcess[] = [];
let traffic: LoopbackTraffic | undefined;
afterEach(async () => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
  await traffic?.stop();
  traffic = undefined;
});

async function scrape(port: number): Promise<{ metrics: string; notices: string[] }> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { notices: string[] };
  return { metrics, notices: health.notices };
}

/** The process label sockscope gives the test's own listener ("" when it cannot tell). */
function listenerProcess(metrics: string, port: number): string | undefined {
  return new RegExp(`^sockscope_tcp_listen_queue_limit\\{local_port="${port}",process="([^"]*)"\\} 511$`, 'm').exec(metrics)?.[1];
}

describe.skipIf(!canDropPrivileges)('least-privilege run (examples/systemd)', () => {
  it('with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only, names the processes behind other users\' sockets', async () => {
    traffic = await startLoopbackTraffic(2);
    const s = await startAsNobody(['sys_ptrace', 'dac_read_search']);
    const { metrics, notices } = await scrape(s.port);
    expect(notices).toEqual([]);
    expect(metrics).toContain('sockscope_scrape_collector_success{collector="linux-netlink"} 1');
    expect(metrics).toContain('sockscope_scrape_collector_success{collector="enricher:process"} 1');
    // The test's listener belongs to root; sockscope runs as nobody and still names its process
    // (the vitest worker: its comm is "node" or the title vitest gives it).
    expect(listenerProcess(metrics, traffic.port)).toMatch(/^node/);
  });

  it('without them, says once which capability is missing and keeps publishing, without process names', async () => {
    traffic = await startLoopbackTraffic(2);
    const s = await startAsNobody([]);
    const { metrics, notices } = await scrape(s.port);
    expect(notices).toEqual([expect.stringMatching(/cannot read \/proc\/<pid>\/fd .*CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH/)]);
    expect(metrics).toContain('sockscope_scrape_collector_success{collector="linux-netlink"} 1');
    expect(metrics).toMatch(/^node_sockstat_TCP_tw \d+$/m);
    expect(listenerProcess(metrics, traffic.port)).toBe('');
  });
});
