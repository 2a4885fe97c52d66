import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runSteps, runStepsSliced, TimeSlice } from '@sockscope/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFdScanner, ownerOf, procScannerFs, REUSE_MIN_FDS, type ScanResult } from '../../src/enrichers/fd-scanner.js';

/** The enricher's way: the real fs, on this thread in 4 ms slices. */
const slicedScanner = (procfs: string, minFds = REUSE_MIN_FDS) => {
  const steps = createFdScanner(procScannerFs());
  return () => runStepsSliced(steps(procfs, minFds), new TimeSlice(4));
};

const owners = (r: ScanResult): [number, number][] => Array.from(r.inodes, (inode, i) => [inode, r.pids[i] as number]);

describe('fd scanner reuse on a hand-made proc tree', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A process with one thread: stat (start time), task/<pid>/{stat,schedstat}, fd 3.. as sockets. */
  const proc = (pid: number, startTime: number, sockets: number[], { state = 'S', runtime = 1000 } = {}) => {
    const dir = join(root, String(pid));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'fd'), { recursive: true });
    mkdirSync(join(dir, 'task', String(pid)), { recursive: true });
    writeFileSync(join(dir, 'stat'), `${pid} (p) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${startTime} 0 0\n`);
    thread(pid, pid, state, runtime);
    symlinkSync('/dev/null', join(dir, 'fd', '0'));
    sockets.forEach((inode, i) => symlinkSync(`socket:[${inode}]`, join(dir, 'fd', String(i + 3))));
  };
  const thread = (pid: number, tid: number, state: string, runtime: number) => {
    const t = join(root, String(pid), 'task', String(tid));
    mkdirSync(t, { recursive: true });
    writeFileSync(join(t, 'stat'), `${tid} (p) ${state} 1 ${pid}\n`);
    writeFileSync(join(t, 'schedstat'), `${runtime} 0 ${runtime / 100}\n`);
  };
  const relink = (pid: number, fd: number, inode: number) => {
    const link = join(root, String(pid), 'fd', String(fd));
    unlinkSync(link);
    symlinkSync(`socket:[${inode}]`, link);
  };
  const scanner = () => {
    const steps = createFdScanner(fs as never);
    return (procfs: string, minFds: number) => runSteps(steps(procfs, minFds));
  };

  it('reuses the sockets of a process that has not run since the last scan, without one readlink', () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-fdscan-'));
    proc(10, 100, [1000, 1001, 1002]);
    proc(20, 200, [2000]);
    const scan = scanner();
    const first = scan(root, 3);
    expect(owners(first)).toEqual([[1000, 10], [1001, 10], [1002, 10], [2000, 20]]);
    expect(first.reused).toBe(0);
    const second = scan(root, 3);
    expect(owners(second)).toEqual(owners(first));
    expect(second.reused).toBe(1); // pid 10; pid 20 has fewer fds than minFds: read afresh
    expect(second.readlinks).toBe(2); // pid 20's two fds only
    expect(ownerOf(second.inodes, second.pids, 1001)).toBe(10);
    expect(ownerOf(second.inodes, second.pids, 1003)).toBeUndefined();
  });

  it('rescans a pid reused by a new process (new start time)', () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-fdscan-'));
    proc(10, 100, [1000, 1001, 1002]);
    const scan = scanner();
    scan(root, 2);
    proc(10, 150, [3000, 3001, 3002]); // same pid, same fd names, same thread times: another process
    const r = scan(root, 2);
    expect(r.reused).toBe(0);
    expect(owners(r)).toEqual([[3000, 10], [3001, 10], [3002, 10]]);
  });

  it('fd closed and reopened with another socket inode: the same fd names, but the process ran, so it is rescanned', () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-fdscan-'));
    proc(10, 100, [1000, 1001, 1002]);
    const scan = scanner();
    scan(root, 2);
    relink(10, 4, 5000); // fd 4: socket 1001 closed, the next socket opened got fd 4
    thread(10, 10, 'S', 2000); // which the process had to run for
    const names = readdirSync(join(root, '10', 'fd')).sort();
    expect(names).toEqual(['0', '3', '4', '5']); // names alone would call it unchanged
    const r = scan(root, 2);
    expect(r.reused).toBe(0);
    expect(owners(r)).toEqual([[1000, 10], [1002, 10], [5000, 10]]);
  });

  it('never reuses a process with a thread running now, nor one whose threads changed', () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-fdscan-'));
    proc(10, 100, [1000, 1001, 1002], { state: 'R' });
    const scan = scanner();
    scan(root, 2);
    expect(scan(root, 2).reused).toBe(0);
    proc(10, 100, [1000, 1001, 1002]);
    scan(root, 2);
    expect(scan(root, 2).reused).toBe(1);
    thread(10, 11, 'S', 10); // a new thread (it can only be made by a thread that ran)
    expect(scan(root, 2).reused).toBe(0);
  });

  it('gives a socket held by pid 1 and others to the first other, and maps inodes beyond 32 bits too', () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-fdscan-'));
    proc(1, 1, [700, 701]);
    proc(30, 3, [700]);
    proc(40, 4, [700, 702]);
    expect(owners(scanner()(root, 2))).toEqual([[700, 30], [701, 1], [702, 40]]);
    proc(50, 5, [2 ** 33 + 1]); // not what the kernel gives sockets today: the sorted-key path steps aside
    expect(owners(scanner()(root, 2))).toEqual([[700, 30], [701, 1], [702, 40], [2 ** 33 + 1, 50]]);
  });

  it('forgets a process that exited; a process without schedstat is read afresh every time', () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-fdscan-'));
    proc(10, 100, [1000, 1001, 1002]);
    proc(20, 100, [2000, 2001, 2002]);
    rmSync(join(root, '20', 'task', '20', 'schedstat'));
    const scan = scanner();
    scan(root, 2);
    rmSync(join(root, '10'), { recursive: true });
    const r = scan(root, 2);
    expect(r.reused).toBe(0);
    expect(owners(r)).toEqual([[2000, 20], [2001, 20], [2002, 20]]);
  });
});

// A child holding 20 loopback connections to itself (40 sockets, over REUSE_MIN_FDS), driven over
// stdin: `new` opens one more connection, `swap` closes the lowest-fd client socket and opens a
// new connection in its place (the kernel hands out the lowest free fd). Every reply lists the
// child's sockets as {fd: inode}, read from its own /proc/self/fd.
const CHILD = `
const net = require('node:net'), fs = require('node:fs');
const server = net.createServer((s) => held.push(s)), held = [], clients = [];
// fds 0-2 are left out: stdin and stdout are socketpairs shared with the test process
const fds = () => Object.fromEntries(fs.readdirSync('/proc/self/fd').filter((fd) => Number(fd) > 2).flatMap((fd) => {
  try { const m = /^socket:\\[(\\d+)\\]$/.exec(fs.readlinkSync('/proc/self/fd/' + fd)); return m ? [[fd, Number(m[1])]] : []; } catch { return []; }
}));
const connect = () => new Promise((ok) => { const c = net.connect(server.address().port, '127.0.0.1', () => { clients.push(c); ok(c); }); });
const settle = () => new Promise((ok) => setTimeout(ok, 50)); // the accepted side too
server.listen(0, '127.0.0.1', async () => {
  for (let i = 0; i < 20; i++) await connect();
  await settle();
  process.stdout.write(JSON.stringify({ fds: fds() }) + '\\n');
});
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'new') { const c = await connect(); await settle(); process.stdout.write(JSON.stringify({ fd: c._handle.fd, fds: fds() }) + '\\n'); }
  if (line === 'swap') {
    const old = clients.reduce((a, b) => (a._handle.fd < b._handle.fd ? a : b));
    const oldFd = old._handle.fd;
    clients.splice(clients.indexOf(old), 1);
    old.once('close', async () => { const c = await connect(); await settle(); process.stdout.write(JSON.stringify({ oldFd, fd: c._handle.fd, fds: fds() }) + '\\n'); });
    old.destroy();
  }
});
process.stdin.on('end', () => process.exit(0));
`;

interface Reply {
  fds: Record<string, number>;
  fd?: number;
  oldFd?: number;
}

/** Socket inode → pid as `ss -tinpe` reports them (users:(("node",pid=N,fd=M)) and ino:N). */
function ssOwners(): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  const text = execFileSync('ss', ['-tinpeaH'], { encoding: 'utf8', maxBuffer: 1 << 30 }); // a busy host lists a lot
  for (const line of text.split('\n')) {
    const ino = /\bino:(\d+)/.exec(line);
    if (!ino?.[1]) continue;
    const pids = new Set(Array.from(line.matchAll(/pid=(\d+)/g), (m) => Number(m[1])));
    if (pids.size > 0) out.set(Number(ino[1]), pids);
  }
  return out;
}

// a whole-host scan: give it time on a busy machine (tens of thousands of sockets elsewhere)
describe.runIf(process.platform === 'linux' && process.getuid?.() === 0)('fd scan on live processes, against ss -tinpe', { timeout: 60_000 }, () => {
  let child: ChildProcess;
  let replies: AsyncIterator<string>;
  let first: Reply;
  const scan = slicedScanner('/proc');
  const ask = async (command?: string): Promise<Reply> => {
    if (command) child.stdin?.write(command + '\n');
    const r = await replies.next();
    return JSON.parse(r.value as string) as Reply;
  };
  /** Every socket the child holds has the child as owner in the scan, as ss says too. */
  const expectChildOwns = (r: ScanResult, reply: Reply) => {
    const ss = ssOwners();
    const inodes = Object.values(reply.fds);
    expect(inodes.length).toBeGreaterThanOrEqual(40);
    for (const inode of inodes) {
      expect(ownerOf(r.inodes, r.pids, inode), `socket ${inode}`).toBe(child.pid);
      if (ss.has(inode)) expect(ss.get(inode)?.has(child.pid as number), `ss on socket ${inode}`).toBe(true);
    }
    // and every TCP socket ss gives an owner has that owner in the scan (one of them, if shared)
    for (const [inode, pids] of ss) {
      const pid = ownerOf(r.inodes, r.pids, inode);
      if (pid !== undefined) expect(pids.has(pid), `ss owners of ${inode}`).toBe(true);
    }
  };

  beforeAll(async () => {
    child = spawn(process.execPath, ['-e', CHILD, 'sockscope-fdscan-child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    replies = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    first = await ask();
  });
  afterAll(async () => {
    child?.stdin?.end();
    await new Promise((ok) => (child.exitCode !== null ? ok(null) : child.once('exit', ok)));
  });

  it('finds every socket of the child, then reuses them while it sleeps (no readlink of its fds)', async () => {
    const a = await scan();
    expectChildOwns(a, first);
    const b = await scan();
    expectChildOwns(b, first);
    expect(b.reused).toBeGreaterThanOrEqual(1); // at least the sleeping child
    expect(b.readlinks).toBeLessThan(a.readlinks);
  });

  it('a pid that opens a new socket between scans gets it', async () => {
    await scan();
    const reply = await ask('new');
    const inode = reply.fds[String(reply.fd)] as number;
    const r = await scan();
    expect(ownerOf(r.inodes, r.pids, inode)).toBe(child.pid);
    expectChildOwns(r, reply);
  });

  it('fd closed and reopened with another socket inode: the new socket has its owner', async () => {
    const before = await ask('new'); // any reply: the current fds
    await scan();
    await scan(); // the child sleeps: its sockets are reused now
    const reply = await ask('swap');
    expect(reply.fd, 'the new socket took the closed one\'s fd').toBe(reply.oldFd);
    const oldInode = before.fds[String(reply.oldFd)] as number;
    const newInode = reply.fds[String(reply.fd)] as number;
    expect(newInode).not.toBe(oldInode);
    const r = await scan();
    expect(ownerOf(r.inodes, r.pids, newInode)).toBe(child.pid);
    expect(readlinkSync(`/proc/${child.pid}/fd/${reply.fd}`)).toBe(`socket:[${newInode}]`);
    expectChildOwns(r, reply);
  });

  it('answers with the inodes sorted in a typed array, their pids beside them', async () => {
    const r = await scan();
    expect(r.inodes).toBeInstanceOf(Float64Array);
    expect(r.pids).toBeInstanceOf(Int32Array);
    const sorted = Array.from(r.inodes);
    expect(sorted).toEqual([...sorted].sort((x, y) => x - y));
    expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8')).toMatch(/node|sockscope/);
  });
});

describe('fd scan reading /proc files into its kept buffer', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a stat longer than the buffer whole: a start time past byte 4096 that changed means a rescan', async () => {
    root = mkdtempSync(join(tmpdir(), 'fdscan-long-'));
    const pid = 4242;
    const dir = join(root, String(pid));
    mkdirSync(join(dir, 'fd'), { recursive: true });
    mkdirSync(join(dir, 'task', String(pid)), { recursive: true });
    // a comm of 6000 characters puts every field after it, the start time too, past the first 4096 bytes
    const stat = (start: number) => `${pid} (${'x'.repeat(6000)}) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 0 0\n`;
    writeFileSync(join(dir, 'stat'), stat(100));
    writeFileSync(join(dir, 'task', String(pid), 'stat'), `${pid} (p) S 1 ${pid}\n`);
    writeFileSync(join(dir, 'task', String(pid), 'schedstat'), '1000 0 10\n');
    for (let fd = 3; fd < 3 + 40; fd++) symlinkSync(`socket:[${9000 + fd}]`, join(dir, 'fd', String(fd)));
    const scan = slicedScanner(root, 1);
    const a = await scan();
    expect(a.inodes.length).toBe(40);
    // unchanged: reused, no readlink
    const b = await scan();
    expect(b.reused).toBe(1);
    expect(b.readlinks).toBe(0);
    // a new start time (a new process under the same pid), written past byte 4096: read afresh
    writeFileSync(join(dir, 'stat'), stat(200));
    const c = await scan();
    expect(c.reused).toBe(0);
    expect(c.readlinks).toBe(40);
    expect(Array.from(c.pids)).toEqual(Array.from({ length: 40 }, () => pid));
  });
});
