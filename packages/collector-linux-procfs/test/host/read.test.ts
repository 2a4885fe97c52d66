import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext } from '@sockscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYS_CLASS_NET_FILES } from '../../src/host/parse/sys-class-net.js';
import { OpenAttributeFiles, OpenKernelFiles, readAttributesSync, readKernelFile } from '../../src/host/read.js';
import { linuxProcfsHostCollector } from '../../src/plugins/linux-procfs.js';
import { FIXTURES } from './fixtures.js';

/** How many of this process's descriptors are open on files under `dir`. */
function openUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)) n++;
    } catch {
      // closed meanwhile (readdir's own descriptor)
    }
  }
  return n;
}

const FILES = ['ifindex', 'mtu', 'speed', 'statistics/rx_nohandler'] as const;

describe('OpenAttributeFiles on plain directories', () => {
  let root = '';
  const dev = (name: string, files: Record<string, string>) => {
    mkdirSync(join(root, name, 'statistics'), { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(root, name, f), text);
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-attrs-'));
    dev('a', { ifindex: '2\n', mtu: '1500\n', speed: '1000\n', 'statistics/rx_nohandler': '0\n' });
    dev('b', { ifindex: '3\n', mtu: '9000\n', 'statistics/rx_nohandler': '7\n' }); // no speed file
    dev('c', { ifindex: '4\n', mtu: '1280\n', 'statistics/rx_nohandler': '1\n' });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads what readAttributesSync reads, and each read sees the files as they are now', () => {
    const files = new OpenAttributeFiles(FILES, 'ifindex', 8);
    try {
      for (const d of ['a', 'b']) expect(files.read(join(root, d))).toEqual(readAttributesSync(join(root, d), FILES));
      expect(files.read(join(root, 'b'))).toEqual({ ifindex: '3\n', mtu: '9000\n', 'statistics/rx_nohandler': '7\n' });
      // rewritten in place, as the kernel renders an attribute anew on each read
      writeFileSync(join(root, 'a', 'mtu'), '1400\n');
      expect(files.read(join(root, 'a')).mtu).toBe('1400\n');
      expect(openUnder(root)).toBe(5); // a: mtu, speed, rx_nohandler; b: mtu, rx_nohandler (ifindex is opened afresh)
    } finally {
      files.close();
    }
    expect(openUnder(root)).toBe(0);
  });

  it('opens a directory anew when its key file names another device', () => {
    const files = new OpenAttributeFiles(FILES, 'ifindex', 8);
    try {
      expect(files.read(join(root, 'c')).mtu).toBe('1280\n');
      // another device under the same name: a new mtu file (another inode) and another ifindex
      rmSync(join(root, 'c', 'mtu'));
      writeFileSync(join(root, 'c', 'mtu'), '576\n');
      writeFileSync(join(root, 'c', 'ifindex'), '40\n');
      expect(files.read(join(root, 'c'))).toEqual({ ifindex: '40\n', mtu: '576\n', 'statistics/rx_nohandler': '1\n' });
      // gone: nothing read, nothing held
      rmSync(join(root, 'c'), { recursive: true });
      expect(files.read(join(root, 'c'))).toEqual({});
      expect(openUnder(join(root, 'c'))).toBe(0);
    } finally {
      files.close();
      dev('c', { ifindex: '4\n', mtu: '1280\n', 'statistics/rx_nohandler': '1\n' });
    }
  });

  it('holds at most maxDirectories open, and retain closes those no longer listed', () => {
    const files = new OpenAttributeFiles(FILES, 'ifindex', 1);
    try {
      expect(files.read(join(root, 'a')).speed).toBe('1000\n');
      expect(files.read(join(root, 'b')).mtu).toBe('9000\n'); // over the limit: opened and closed
      expect(openUnder(join(root, 'a'))).toBe(3);
      expect(openUnder(join(root, 'b'))).toBe(0);
      files.retain(new Set([join(root, 'b')]));
      expect(openUnder(root)).toBe(0);
      expect(files.read(join(root, 'b')).mtu).toBe('9000\n'); // room again: b is kept open now
      expect(openUnder(join(root, 'b'))).toBe(2);
    } finally {
      files.close();
    }
    expect(openUnder(root)).toBe(0);
  });
});

describe('readKernelFile', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-kfile-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads a file larger than its first 64 KiB chunk whole, multi-byte characters across chunk ends included', async () => {
    // 'é' is two bytes: 40000 of them put a character across the 64 KiB boundary
    const text = `${'é'.repeat(40_000)}\n${'x'.repeat(70_000)}\nend\n`;
    writeFileSync(join(root, 'big'), text);
    expect(await readKernelFile(join(root, 'big'), new AbortController().signal)).toEqual({ text });
    writeFileSync(join(root, 'small'), 'one line\n');
    expect(await readKernelFile(join(root, 'small'), new AbortController().signal)).toEqual({ text: 'one line\n' });
    expect(openUnder(root)).toBe(0);
  });

  it('tells an absent file from an unreadable one', async () => {
    const signal = new AbortController().signal;
    expect(await readKernelFile(join(root, 'none'), signal)).toEqual({ absent: true });
    expect(await readKernelFile(root, signal)).toEqual({ error: `${root}: EISDIR` });
  });

  it('stops at an abort between the chunks of a large file, and closes it', async () => {
    writeFileSync(join(root, 'large'), 'y'.repeat(200_000));
    const ac = new AbortController();
    const reading = readKernelFile(join(root, 'large'), ac.signal);
    ac.abort(new Error('timed out'));
    await expect(reading).rejects.toThrow('timed out');
    expect(openUnder(root)).toBe(0);
  });
});

/** How many of this process's descriptors are open on `path` itself. */
function openOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile (readdir's own descriptor)
    }
  }
  return n;
}

// Issue 20: the host collector's procfs files stay open between collections and are read again
// from offset 0 (procfs renders them anew there). Read here on the real /proc of this machine.
describe.runIf(process.platform === 'linux')('OpenKernelFiles', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-kfiles-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const signal = new AbortController().signal;

  it('keeps a procfs file open after its first read, and each read through it shows the file as it is then; close() closes it', async () => {
    const files = new OpenKernelFiles();
    const uptime = async () => {
      const out = await readKernelFile('/proc/uptime', signal, files);
      if (!('text' in out)) throw new Error(`/proc/uptime: ${JSON.stringify(out)}`);
      return Number(out.text.split(' ')[0]);
    };
    const first = await uptime();
    expect(files.size).toBe(1);
    expect(openOn('/proc/uptime')).toBe(1);
    // /proc/uptime counts in hundredths of a second: 50 ms later it reads more, through the same descriptor
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await uptime();
    expect(second).toBeGreaterThan(first);
    expect(openOn('/proc/uptime')).toBe(1);
    // a multi-line seq_file read twice through its descriptor: whole each time, the same lines as a fresh read
    const fresh = await readKernelFile('/proc/net/snmp', signal);
    for (let i = 0; i < 2; i++) {
      const kept = await readKernelFile('/proc/net/snmp', signal, files);
      expect('text' in kept && kept.text.split('\n').filter((_, k) => k % 2 === 0)).toEqual('text' in fresh && fresh.text.split('\n').filter((_, k) => k % 2 === 0));
    }
    expect(files.size).toBe(2);
    files.close();
    expect(openOn('/proc/uptime')).toBe(0);
    expect(files.size).toBe(0);
    // closed: still reads, opening and closing the file
    expect(await uptime()).toBeGreaterThanOrEqual(second);
    expect(openOn('/proc/uptime')).toBe(0);
  });

  it('does not keep a file that is not on procfs (it may be replaced under its name) nor one that is absent', async () => {
    const files = new OpenKernelFiles();
    const path = join(root, 'snmp');
    writeFileSync(path, 'one\n');
    expect(await readKernelFile(path, signal, files)).toEqual({ text: 'one\n' });
    writeFileSync(`${path}.new`, 'two\n');
    renameSync(`${path}.new`, path);
    expect(await readKernelFile(path, signal, files)).toEqual({ text: 'two\n' });
    expect(await readKernelFile(join(root, 'none'), signal, files)).toEqual({ absent: true });
    expect(files.size).toBe(0);
    expect(openUnder(root)).toBe(0);
  });

  it('reads through a kept descriptor that has gone bad by opening the path afresh', async () => {
    const files = new OpenKernelFiles();
    await readKernelFile('/proc/uptime', signal, files);
    const fd = files.get('/proc/uptime') as number;
    // the descriptor closed behind the reader's back (EBADF on the next read)
    closeSync(fd);
    const out = await readKernelFile('/proc/uptime', signal, files);
    expect('text' in out && /^\d+\.\d+ /.test(out.text)).toBe(true);
    expect(files.size).toBe(1);
    files.close();
  });
});

describe('linux-procfs host collector descriptors', () => {
  it('keeps the interfaces\' sysfs files open between collections, with the same answers, and closes them on close', async () => {
    // a private copy, so that no other test's descriptors are counted
    const root = mkdtempSync(join(tmpdir(), 'sockscope-host-fds-'));
    cpSync(`${FIXTURES}real`, root, { recursive: true });
    const sys = `${root}/sys`;
    try {
      const c = await linuxProcfsHostCollector.create(
        createPluginContext(linuxProcfsHostCollector, { procfs_path: `${root}/proc`, sysfs_path: sys, addresses: { enabled: false } }),
      );
      const first = await c.stream(new AbortController().signal, () => {});
      expect(first.host?.interfaces?.map((i) => i.device)).toEqual(['eth0', 'ifb0', 'ifb1', 'lo']);
      expect(openUnder(sys)).toBeGreaterThan(0);
      const second = await c.stream(new AbortController().signal, () => {});
      expect(second).toEqual(first);
      await c.close();
      expect(openUnder(sys)).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

const NS = 'sockscope-attrs-test';
const live = process.platform === 'linux' && process.getuid?.() === 0;

describe.runIf(live)('OpenAttributeFiles on a live sysfs', () => {
  let mount = '';
  const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { stdio: 'pipe' });
  const dir = (name: string) => `${mount}/class/net/${name}`;
  const fresh = (name: string) => readAttributesSync(dir(name), SYS_CLASS_NET_FILES);

  beforeAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // not left over
    }
    execFileSync('ip', ['netns', 'add', NS]);
    ip('link', 'add', 'sa0', 'type', 'veth', 'peer', 'name', 'sa1');
    mount = mkdtempSync(join(tmpdir(), 'sockscope-attrs-sys-'));
    // the namespace's own sysfs, mounted here from inside it (only the mount namespace is shared)
    execFileSync('nsenter', [`--net=/run/netns/${NS}`, 'mount', '-t', 'sysfs', 'sysfs', mount]);
  });
  afterAll(() => {
    for (const step of [() => execFileSync('umount', [mount]), () => rmdirSync(mount), () => execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' })]) {
      try {
        step();
      } catch {
        // already gone
      }
    }
  });

  it('sees each change, a rename swap, and a device deleted and created again under the same name and index', () => {
    const files = new OpenAttributeFiles(SYS_CLASS_NET_FILES, 'ifindex', 16);
    try {
      expect(files.read(dir('sa0'))).toEqual(fresh('sa0'));
      expect(files.read(dir('sa0')).speed).toBeUndefined(); // down: EINVAL, no fact
      ip('link', 'set', 'sa0', 'mtu', '1400');
      ip('link', 'set', 'sa0', 'up');
      ip('link', 'set', 'sa1', 'up');
      const up = files.read(dir('sa0'));
      expect(up).toEqual(fresh('sa0'));
      expect([up.mtu, up.speed, up.operstate]).toEqual(['1400\n', '10000\n', 'up\n']);

      // sa0 and sa1 swap names: what sa0's name holds now is the other device
      const before = files.read(dir('sa1'));
      ip('link', 'set', 'sa0', 'down');
      ip('link', 'set', 'sa1', 'down');
      ip('link', 'set', 'sa0', 'name', 'sat');
      ip('link', 'set', 'sa1', 'name', 'sa0');
      ip('link', 'set', 'sat', 'name', 'sa1');
      const swapped = files.read(dir('sa0'));
      expect(swapped).toEqual(fresh('sa0'));
      expect(swapped.address).toBe(before.address);

      // deleted and created again with the same name and ifindex: the held files answer ENODEV
      const index = (files.read(dir('sa0')).ifindex ?? '').trim();
      ip('link', 'del', 'sa0');
      ip('link', 'add', 'sa0', 'index', index, 'mtu', '1300', 'type', 'veth', 'peer', 'name', 'sa2');
      const again = files.read(dir('sa0'));
      expect(again).toEqual(fresh('sa0'));
      expect([again.ifindex, again.mtu]).toEqual([`${index}\n`, '1300\n']);
      expect(files.read(dir('sa0'))).toEqual(fresh('sa0'));
    } finally {
      files.close();
    }
    expect(openUnder(mount)).toBe(0);
  });
});
