import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrichRecords, runSteps, type SocketRecord } from '@sockscope/core';
import { countLoopTurns, testContext } from '@sockscope/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createFdScanner, procScannerFs } from '../../src/enrichers/fd-scanner.js';
import { LruCache } from '../../src/enrichers/lru.js';
import { linkInode, parseCmdline, parseStat, parseStatus } from '../../src/enrichers/proc-files.js';
import { processEnricher } from '../../src/plugins/process.js';

// *-odd-comm were captured from /proc/<pid>/ of `sleep 30` copied to "/tmp/a b) (c".
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('/proc/<pid> file parsers on captured files', () => {
  it('counts stat fields after the last ")" so a comm with spaces and parentheses does not shift them', () => {
    expect(parseStat(fixture('stat-odd-comm').toString())).toEqual({ ppid: 19245, startTime: 71046 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('reads PPid and the real Uid from status', () => {
    expect(parseStatus(fixture('status-odd-comm').toString())).toEqual({ ppid: 19245, uid: 0 });
    expect(parseStatus('Name:\tx\nUid:\t1000\t0\t0\t0\nPPid:\t7\n')).toEqual({ ppid: 7, uid: 1000 });
  });

  it('joins NUL-separated cmdline arguments with spaces', () => {
    expect(parseCmdline(fixture('cmdline-odd-comm'))).toBe('/tmp/a b) (c 30');
    expect(parseCmdline(Buffer.alloc(0))).toBe(''); // kernel threads
    expect(parseCmdline(Buffer.from('x'.repeat(10_000)), 4096)).toHaveLength(4096);
  });

  it('reads kind:[N] links and refuses others', () => {
    expect(linkInode('socket:[12345]', 'socket')).toBe(12345);
    expect(linkInode('net:[4026531833]', 'net')).toBe(4026531833);
    expect(linkInode('/dev/null', 'socket')).toBe(-1);
    expect(linkInode('socket:[]', 'socket')).toBe(-1);
    expect(linkInode('pipe:[5]', 'socket')).toBe(-1);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry when full', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c'), c.size]).toEqual([1, undefined, 3, 2]);
  });
});

// A hand-made /proc tree (real files and symlinks in a temp dir) for the cases this host cannot
// produce on demand: pid 1 sharing a socket, a pid reused by a new process.
describe('processEnricher on a hand-made proc tree', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const proc = (pid: number, comm: string, startTime: number, sockets: number[]) => {
    const dir = join(root, String(pid));
    mkdirSync(join(dir, 'fd'), { recursive: true });
    writeFileSync(join(dir, 'stat'), `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${startTime} 0 0\n`);
    writeFileSync(join(dir, 'status'), `Name:\t${comm}\nPPid:\t1\nUid:\t${pid === 1 ? 0 : 1000}\t0\t0\t0\n`);
    writeFileSync(join(dir, 'comm'), `${comm}\n`);
    writeFileSync(join(dir, 'cmdline'), `/usr/bin/${comm}\0--flag\0`);
    symlinkSync('/dev/null', join(dir, 'fd', '0'));
    sockets.forEach((inode, i) => symlinkSync(`socket:[${inode}]`, join(dir, 'fd', String(i + 3))));
  };
  const socket = (inode: number): SocketRecord => ({ protocol: 'tcp', family: 'ipv4', state: 'LISTEN', local: { address: '0.0.0.0', port: 80 }, remote: { address: '0.0.0.0', port: 0 }, inode, uid: 0, recvQueue: 0, sendQueue: 0 });

  it('gives a socket held by pid 1 and a service to the service (socket activation)', async () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    proc(1, 'systemd', 1, [500, 501]);
    proc(4242, 'nginx', 900, [500]);
    const e = await processEnricher.create(testContext({ procfs_path: root, cache_size: 8 }));
    const list = [socket(500), socket(501), socket(999)];
    expect(await enrichRecords(e, list)).toEqual({});
    expect(list[0]?.process).toEqual({ pid: 4242, ppid: 1, comm: 'nginx', cmdline: '/usr/bin/nginx --flag', uid: 1000, startTime: 900 });
    expect(list[1]?.process?.comm).toBe('systemd');
    expect(list[2]?.process).toBeUndefined(); // nobody holds it
    await e.close();
  });

  it('re-reads a process whose pid was reused (new start time), and serves the same one from cache', async () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    proc(77, 'old', 100, [700]);
    const e = await processEnricher.create(testContext({ procfs_path: root, cache_size: 8 }));
    const first = [socket(700)];
    await enrichRecords(e, first);
    writeFileSync(join(root, '77', 'comm'), 'renamed\n'); // same (pid, start time): the cache answers
    const second = [socket(700)];
    await enrichRecords(e, second);
    expect(second[0]?.process).toBe(first[0]?.process);
    rmSync(join(root, '77'), { recursive: true });
    proc(77, 'new', 200, [700]);
    const third = [socket(700)];
    await enrichRecords(e, third);
    expect(third[0]?.process).toMatchObject({ pid: 77, comm: 'new', startTime: 200 });
    await e.close();
  });

  it('skips a process that vanished between the fd scan and reading its files', async () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    proc(88, 'brief', 5, [800]);
    rmSync(join(root, '88', 'stat'));
    const ctx = testContext({ procfs_path: root, cache_size: 8 });
    const e = await processEnricher.create(ctx);
    const list = [socket(800)];
    expect(await enrichRecords(e, list)).toEqual({});
    expect(list[0]?.process).toBeUndefined();
    expect(ctx.notices).toEqual([]);
  });

  it('gives up when the collection is aborted (timeout or shutdown)', async () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    proc(90, 'x', 1, [900]);
    const e = await processEnricher.create(testContext({ procfs_path: root, cache_size: 8 }));
    await expect(enrichRecords(e, [socket(900)], AbortSignal.abort(new Error('collector timed out')))).rejects.toThrow('collector timed out');
  });

  it('maps every socket of every process (prepared before the collectors read, it cannot know which they will find)', async () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    proc(10, 'a', 1, [1000, 1001]);
    proc(20, 'b', 2, [1002]);
    const r = runSteps(createFdScanner(procScannerFs())(root, 1));
    expect(Array.from(r.inodes, (inode, i) => [inode, r.pids[i]])).toEqual([[1000, 10], [1001, 10], [1002, 20]]);
    expect(r.scanned).toBe(2);
  });

  it('close() stops a scan under way at its next slice: a collection waiting for it is refused, not kept for the whole pass', async () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    proc(10, 'busy', 1, Array.from({ length: 6000 }, (_, i) => 10_000 + i));
    const e = await processEnricher.create(testContext({ procfs_path: root, cache_size: 8 })); // its first scan starts
    const pending = enrichRecords(e, [socket(10_000)]);
    await e.close?.();
    await expect(pending).rejects.toThrow('process enricher closed');
  });

  it('yields to the event loop inside one process that holds thousands of sockets (the scan runs on the main thread)', async () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    proc(10, 'busy', 1, Array.from({ length: 6000 }, (_, i) => 10_000 + i));
    const e = await processEnricher.create(testContext({ procfs_path: root, cache_size: 8 }));
    await enrichRecords(e, [socket(10_000)]); // the first scan (started by create) is done by then
    const turns = countLoopTurns();
    const list = [socket(10_000), socket(15_999)];
    await enrichRecords(e, list);
    const ticks = turns.stop();
    expect(list.map((s) => s.process?.pid)).toEqual([10, 10]);
    // 6,000 readlinks (read afresh: the hand-made tree has no task/ files to prove the process slept)
    // take longer than the 4 ms slice: the loop ran at least once meanwhile
    expect(ticks).toBeGreaterThanOrEqual(1);
    await e.close?.();
  });

});
