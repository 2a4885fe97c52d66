import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_NETNS_NAME, netnsNames, readNetnsNames, readNetnsNamesSync } from '../../src/enrichers/netns-names.js';

describe('netnsNames', () => {
  const resolve = netnsNames(
    [
      { name: 'blue', inode: 4026532500 },
      { name: 'red', inode: 4026532600 },
      { name: 'red-alias', inode: 4026532600 }, // one namespace mounted under two names
      { name: 'a-red', inode: 4026532600 },
      { name: 'host-named', inode: 4026531840 }, // `ip netns attach host-named 1`
    ],
    4026531840,
  );

  it.each([
    [4026531840, HOST_NETNS_NAME], // the host's own is 'system' even when it also has a name
    [4026532500, 'blue'],
    [4026532600, 'a-red'], // several names: the alphabetically first, whatever the order given
    [4026532999, undefined], // a container's namespace: left to the caller
  ])('%i → %s', (inode, name) => {
    expect(resolve(inode)).toBe(name);
  });

  it('has only system when nothing is named', () => {
    const bare = netnsNames([], 7);
    expect([bare(7), bare(8)]).toEqual(['system', undefined]);
  });
});

// the host collector's address family reads them synchronously on every collection: same answers
describe.each([
  ['readNetnsNames', readNetnsNames],
  ['readNetnsNamesSync', async (runDir?: string, procfsPath?: string) => readNetnsNamesSync(runDir, procfsPath)],
])('%s on a plain directory', (_name, readNetnsNames) => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sockscope-netns-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns no entries for a missing directory', async () => {
    await expect(readNetnsNames(join(dir, 'absent'))).resolves.toEqual([]);
  });

  it('drops a file whose namespace mount is gone (not on nsfs)', async () => {
    writeFileSync(join(dir, 'stale'), '');
    await expect(readNetnsNames(dir)).resolves.toEqual([]);
  });

  it('keeps every entry when nsfs cannot be found to compare with', async () => {
    writeFileSync(join(dir, 'stale'), '');
    await expect(readNetnsNames(dir, join(dir, 'no-proc'))).resolves.toEqual([{ name: 'stale', inode: statSync(join(dir, 'stale')).ino }]);
  });

  it('throws when the path is not a directory, for the caller to report', async () => {
    writeFileSync(join(dir, 'file'), '');
    await expect(readNetnsNames(join(dir, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

const NS = 'sockscope-i16-test';
const canRun = process.platform === 'linux' && process.getuid?.() === 0;
const inodeOf = (link: string) => Number(/^net:\[(\d+)\]$/.exec(link.trim())?.[1]);
const dropNamespace = () => {
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    // not there
  }
};

describe.runIf(canRun)('readNetnsNames with a live `ip netns` namespace', () => {
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dropNamespace(); // left over by an interrupted run
    execFileSync('ip', ['netns', 'add', NS], { stdio: ['ignore', 'ignore', 'pipe'] });
  });
  afterAll(() => {
    child?.kill();
    dropNamespace();
  });

  it('names the namespace of a process inside it, and the host namespace system', async () => {
    // what a process inside the namespace sees as its own netns
    const inside = inodeOf(execFileSync('ip', ['netns', 'exec', NS, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }));
    // and a long-lived process there, read from outside as the enricher will: /proc/<pid>/ns/net
    child = spawn('ip', ['netns', 'exec', NS, 'sleep', '30'], { stdio: 'ignore' });
    const pid = await new Promise<number>((ok, ko) => {
      child?.once('error', ko);
      child?.once('spawn', () => ok(child?.pid ?? 0));
    });
    // ip execs sleep in place once it has entered the namespace: wait for that
    let owner = Number.NaN;
    for (let i = 0; i < 100 && owner !== inside; i++) {
      try {
        owner = statSync(`/proc/${pid}/ns/net`).ino;
      } catch {
        // not there yet
      }
      if (owner !== inside) await new Promise((r) => setTimeout(r, 20));
    }
    const host = statSync('/proc/self/ns/net').ino;

    const resolve = netnsNames(await readNetnsNames(), host);
    expect(readNetnsNamesSync()).toEqual(await readNetnsNames());
    expect(inside).not.toBe(host);
    expect(owner).toBe(inside);
    expect(resolve(owner)).toBe(NS);
    expect(resolve(inodeOf(execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' })))).toBe('system');
  });
});
