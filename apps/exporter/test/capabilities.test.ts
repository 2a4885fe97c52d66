import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_CAPABILITIES, parseCapabilityStatus, raiseCapabilities, toRaise, type CapSyscalls } from '../src/capabilities.js';
import { bundleTestChild } from './bundle-child.js';
import { runCli, startCli } from './run-cli.js';

// A /proc/<pid>/status as a non-root process executed from a file with cap_sys_ptrace and
// cap_dac_read_search permitted only (`+p`) shows it: permitted, not effective.
const STATUS = [
  'Name:\tnode',
  'Uid:\t65532\t65532\t65532\t65532',
  'CapInh:\t0000000000000000',
  'CapPrm:\t0000000000080004',
  'CapEff:\t0000000000000000',
  'CapBnd:\t000001ffffffffff',
  'CapAmb:\t0000000000000000',
  'NoNewPrivs:\t1',
  '',
].join('\n');
const TWO = (1n << 19n) | (1n << 2n);

describe('the capability sets of /proc/<pid>/status', () => {
  it('reads CapPrm, CapEff and CapBnd', () => {
    expect(parseCapabilityStatus(STATUS)).toEqual({ permitted: TWO, effective: 0n, bounding: 0x1ffffffffffn });
    // this process's own file parses, and its effective set is within its permitted set
    const own = parseCapabilityStatus(readFileSync('/proc/self/status', 'utf8'));
    expect(own.effective & ~own.permitted).toBe(0n);
  });

  it('names the missing line', () => {
    expect(() => parseCapabilityStatus('Name:\tnode\nCapPrm:\t0\n')).toThrow(/no CapEff line/);
  });

  it('raises only the agent\'s capabilities that are permitted and not effective', () => {
    expect(toRaise(parseCapabilityStatus(STATUS))).toBe(TWO);
    // already effective: nothing
    expect(toRaise({ permitted: TWO, effective: TWO, bounding: 0n })).toBe(0n);
    // CAP_NET_RAW (13) and CAP_SETUID (7) permitted: never raised; CAP_SYS_ADMIN (21) is
    const all = (1n << 13n) | (1n << 7n) | (1n << 21n) | (1n << 19n);
    expect(toRaise({ permitted: all, effective: 1n << 19n, bounding: all })).toBe(1n << 21n);
    expect(Object.keys(AGENT_CAPABILITIES).sort()).toEqual(['CAP_DAC_READ_SEARCH', 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE']);
  });
});

describe('raiseCapabilities with the system calls injected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-caps-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const statusFile = (text: string) => {
    const f = join(dir, `status-${Math.random().toString(36).slice(2)}`);
    writeFileSync(f, text);
    return f;
  };

  it.runIf(process.platform === 'linux')('raises the permitted ones, reports them and what is missing', async () => {
    const masks: bigint[] = [];
    const syscalls = async (): Promise<CapSyscalls> => ({ raiseEffective: (m) => void masks.push(m) });
    const r = await raiseCapabilities({ statusPath: statusFile(STATUS), syscalls });
    expect(masks).toEqual([TWO]);
    expect(r).toEqual({ raised: ['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE'], held: [], missing: ['CAP_SYS_ADMIN'] });
  });

  it.runIf(process.platform === 'linux')('loads nothing when there is nothing to raise', async () => {
    let loaded = false;
    const syscalls = async (): Promise<CapSyscalls> => ((loaded = true), { raiseEffective: () => {} });
    const r = await raiseCapabilities({ statusPath: statusFile(STATUS.replace('CapPrm:\t0000000000080004', 'CapPrm:\t0000000000000000')), syscalls });
    expect(loaded).toBe(false);
    expect(r).toEqual({ raised: [], held: [], missing: ['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN'] });
  });

  it.runIf(process.platform === 'linux')('a failure is reported, never thrown', async () => {
    const syscalls = async (): Promise<CapSyscalls> => ({
      raiseEffective: () => {
        throw new Error('capset failed: EPERM');
      },
    });
    const r = await raiseCapabilities({ statusPath: statusFile(STATUS), syscalls });
    expect(r.raised).toEqual([]);
    expect(r.error).toBe('cannot raise CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE from the permitted set: capset failed: EPERM');
    const unreadable = await raiseCapabilities({ statusPath: join(dir, 'absent') });
    expect(unreadable.error).toMatch(/^cannot read the capability sets: ENOENT/);
  });
});

// Live: a copy of this Node runtime with the two capabilities as file capabilities, permitted
// only (as the image's lib/node), run as user 65534 by setpriv (no ambient, no inheritable).
const isRoot = process.getuid?.() === 0;
const hasSetcap = spawnSync('sh', ['-c', 'command -v setcap && command -v setpriv'], { encoding: 'utf8' }).status === 0;

describe.runIf(process.platform === 'linux' && isRoot && hasSetcap)('a non-root process started with the capabilities permitted, not effective', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-caps-live-'));
  chmodSync(dir, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const node = (flags: string) => {
    const f = join(dir, `node-${flags}`);
    copyFileSync(process.execPath, f);
    chmodSync(f, 0o755);
    const r = spawnSync('setcap', [`cap_sys_ptrace,cap_dac_read_search=${flags}`, f], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`setcap on ${f}: ${r.stderr}`);
    return f;
  };
  const nodeP = node('p');
  // the child bundled where it resolves koffi (apps/exporter/node_modules), readable by 65534
  const bundled = bundleTestChild('capabilities-child');
  const child = bundled.file;
  afterAll(bundled.remove);
  const asUser = (extra: string[], exe: string, args: string[]) =>
    spawnSync('setpriv', [...extra, '--reuid', '65534', '--regid', '65534', '--clear-groups', '--', exe, ...args], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
  type Out = { uid: number; before: { permitted: string; effective: string }; after: { effective: string; bounding: string }; report?: { raised: string[]; missing: string[]; error?: string }; rootFds: string };
  const parse = (r: ReturnType<typeof asUser>): Out => {
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Out;
  };

  it('raises CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: then it lists a root process\'s fds (without the raise it cannot)', () => {
    const out = parse(asUser([], nodeP, [child, String(process.pid)]));
    expect(out.uid).toBe(65534);
    expect(BigInt(`0x${out.before.permitted}`)).toBe(TWO);
    expect(BigInt(`0x${out.before.effective}`)).toBe(0n);
    expect(out.report).toEqual({ raised: ['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE'], held: [], missing: ['CAP_SYS_ADMIN'] });
    expect(BigInt(`0x${out.after.effective}`)).toBe(TWO);
    expect(out.rootFds).toMatch(/^\d+ fds$/);
    const control = parse(asUser([], nodeP, [child, String(process.pid), 'no-raise']));
    expect(BigInt(`0x${control.after.effective}`)).toBe(0n);
    expect(control.rootFds).toBe('EACCES');
  });

  it('with neither in the bounding set the +p runtime still starts (a +ep one is refused at exec) and reports them missing', () => {
    const bounding = ['--bounding-set', '-sys_ptrace,-dac_read_search'];
    const out = parse(asUser(bounding, nodeP, [child, String(process.pid)]));
    expect(BigInt(`0x${out.before.permitted}`)).toBe(0n);
    expect(out.report).toEqual({ raised: [], held: [], missing: ['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN'] });
    expect(BigInt(`0x${out.after.bounding}`) & TWO).toBe(0n);
    expect(out.rootFds).toBe('EACCES');
    // what the image did before: file capabilities with the effective bit
    const refused = asUser(bounding, node('ep'), ['--version']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/Operation not permitted/);
  });

  /** Runs what follows as user 65534, without groups (as a non-root container's process). */
  const AS_NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--'];

  /** The built CLI under the `+p` runtime as user 65534; resolves once /-/ready answers 200. */
  const startAgent = async (args: string[]) => {
    const running = await startCli(args, { cwd: dir, prefix: AS_NOBODY, node: nodeP, timeoutMs: 20_000 });
    const { child: cli, port } = running;
    try {
      for (let i = 0; i < 100 && (await fetch(`http://127.0.0.1:${port}/-/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
      return { cli, port, stderr: running.stderr, get: (path: string) => fetch(`http://127.0.0.1:${port}${path}`) };
    } catch (err) {
      cli.kill('SIGKILL');
      throw err;
    }
  };

  it('the CLI under it: CapEff holds the two, a root process\'s socket is attributed, /health has no notice, the raise is logged', async () => {
    const listener: Server = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as { port: number }).port;
    const agent = await startAgent([]);
    try {
      const statusText = readFileSync(`/proc/${agent.cli.pid}/status`, 'utf8'); // the runtime: setpriv exec'd it
      expect(statusText).toMatch(/^Uid:\s+65534\s/m);
      expect(parseCapabilityStatus(statusText).effective).toBe(TWO);
      const metrics = await (await agent.get('/metrics')).text();
      const owner = new RegExp(`^sockscope_tcp_listen_queue_limit\\{local_port="${port}",process="([^"]*)"\\} \\d+$`, 'm').exec(metrics)?.[1];
      expect(owner ?? '').not.toBe(''); // named: its /proc/<pid>/fd was read
      const health = (await (await agent.get('/health')).json()) as { notices: string[] };
      expect(health.notices).toEqual([]);
      expect(agent.stderr()).toMatch(/"msg":"capabilities raised from the permitted set","raised":"CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE"/);
    } finally {
      agent.cli.kill('SIGTERM');
      listener.close();
    }
  });

  it('the CLI under it with addresses.namespaces: all publishes the addresses of a root process\'s network namespace (its ns/net link needs CAP_SYS_PTRACE)', async () => {
    const address = `10.77.${1 + (process.pid % 250)}.1`;
    const holder = spawn('unshare', ['--net', 'sh', '-c', `ip link set lo up && ip addr add ${address}/32 dev lo && echo up && exec sleep 120`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the namespace holder exited ${code}`)));
      });
      const yml = join(dir, 'addresses.yml');
      writeFileSync(yml, 'collectors:\n  linux-procfs:\n    addresses:\n      namespaces: all\n');
      chmodSync(yml, 0o644);
      const agent = await startAgent(['--config', yml]);
      try {
        const metrics = await (await agent.get('/metrics')).text();
        expect(metrics).toMatch(new RegExp(`^sockscope_host_address_info\\{address="${address.replace(/\./g, '\\.')}",netns="\\d+",interface="[^"]*",`, 'm'));
      } finally {
        agent.cli.kill('SIGTERM');
      }
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('sockscope connections (collected in-process) under it names a root process\'s socket', async () => {
    const listener: Server = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as { port: number }).port;
    try {
      const run = await runCli(['connections', '--json'], { cwd: dir, prefix: AS_NOBODY, node: nodeP });
      expect(run.code, run.stderr).toBe(0);
      const rows = (JSON.parse(run.stdout) as { rows: Array<{ local_ip: string; local_port: number; pid?: number }> }).rows;
      const row = rows.find((r) => r.local_ip === '127.0.0.1' && r.local_port === port);
      expect(row?.pid).toBe(process.pid);
    } finally {
      listener.close();
    }
  });
});
