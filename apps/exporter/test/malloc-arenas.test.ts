import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleTestChild } from './bundle-child.js';
import { limitMallocArenas, mallocArenaReport, MALLOC_ARENAS, MALLOC_THRESHOLD, type GlibcCalls } from '../src/malloc-arenas.js';

const hostGlibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;

describe('limitMallocArenas', () => {
  const glibc = (calls: [number, number][], answer = 1) => async (): Promise<GlibcCalls> => ({ version: () => '2.36', mallopt: (p, v) => (calls.push([p, v]), answer) });
  const never = async (): Promise<GlibcCalls> => {
    throw new Error('the C library must not be loaded');
  };

  it('asks glibc for two arenas (M_ARENA_MAX is -8) and fixed 128 KiB mmap and trim thresholds (-3, -1), and keeps the report for the agent to log', async () => {
    const calls: [number, number][] = [];
    const report = await limitMallocArenas({ env: {}, platform: 'linux', glibc: glibc(calls) });
    expect(report).toEqual({ limited: MALLOC_ARENAS, glibc: '2.36', thresholds: 131072 });
    expect(MALLOC_THRESHOLD).toBe(131072);
    expect(calls).toEqual([[-8, 2], [-3, 131072], [-1, 131072]]);
    expect(mallocArenaReport()).toBe(report);
  });

  it("leaves an operator's thresholds alone (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES) and still limits the arenas", async () => {
    for (const [env, why] of [
      [{ MALLOC_MMAP_THRESHOLD_: '65536' }, 'MALLOC_MMAP_THRESHOLD_'],
      [{ MALLOC_TRIM_THRESHOLD_: '0' }, 'MALLOC_TRIM_THRESHOLD_'],
      [{ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.trim_threshold=1' }, 'GLIBC_TUNABLES'],
    ] as const) {
      const calls: [number, number][] = [];
      expect(await limitMallocArenas({ env, platform: 'linux', glibc: glibc(calls) })).toEqual({ limited: 2, glibc: '2.36', thresholds: `${why} in the environment` });
      expect(calls).toEqual([[-8, 2]]);
    }
    const calls: [number, number][] = [];
    await limitMallocArenas({ env: { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' }, platform: 'linux', glibc: glibc(calls) });
    expect(calls).toHaveLength(3); // tunables that are not the thresholds do not count
  });

  it("leaves an operator's MALLOC_ARENA_MAX alone, another system, and a C library other than glibc", async () => {
    expect(await limitMallocArenas({ env: { MALLOC_ARENA_MAX: '4' }, platform: 'linux', glibc: never })).toEqual({ skipped: 'MALLOC_ARENA_MAX=4 in the environment' });
    expect(await limitMallocArenas({ env: {}, platform: 'freebsd', glibc: never })).toEqual({ skipped: 'not Linux (freebsd)' });
    const musl = async (): Promise<GlibcCalls> => ({
      version: () => {
        throw new Error('cannot find function gnu_get_libc_version');
      },
      mallopt: () => {
        throw new Error('must not be called');
      },
    });
    expect(await limitMallocArenas({ env: {}, platform: 'linux', glibc: musl })).toEqual({ skipped: 'not glibc (cannot find function gnu_get_libc_version)' });
    const missing = async (): Promise<GlibcCalls> => {
      throw new Error('libc.so.6: cannot open shared object file');
    };
    expect(await limitMallocArenas({ env: {}, platform: 'linux', glibc: missing })).toEqual({ skipped: 'the C library did not load (libc.so.6: cannot open shared object file)' });
  });

  it('reports a failing mallopt, and never throws', async () => {
    expect(await limitMallocArenas({ env: {}, platform: 'linux', glibc: glibc([], 0) })).toEqual({ error: 'mallopt(M_ARENA_MAX, 2) returned an error' });
    const throwing = async (): Promise<GlibcCalls> => ({
      version: () => '2.36',
      mallopt: () => {
        throw new Error('boom');
      },
    });
    expect(await limitMallocArenas({ env: {}, platform: 'linux', glibc: throwing })).toEqual({ error: 'mallopt: boom' });
  });

  it('on this machine, through koffi: glibc found and the limit set', async () => {
    if (!hostGlibc) return expect(await limitMallocArenas({ env: {} })).toHaveProperty('skipped');
    expect(await limitMallocArenas({ env: {} })).toEqual({ limited: 2, glibc: hostGlibc, thresholds: 131072 });
  });
});

describe.skipIf(process.platform !== 'linux' || !hostGlibc)('malloc arenas of a real process with worker threads', () => {
  const bundled = bundleTestChild('malloc-arenas-child');
  const child = bundled.file;
  afterAll(bundled.remove);
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const base = { ...process.env };
    delete base.MALLOC_ARENA_MAX;
    const r = spawnSync(process.execPath, [child, ...args], { encoding: 'utf8', env: { ...base, ...env }, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    // malloc_stats(3): an "Arena N:" block per arena
    const [before = '', after = ''] = r.stderr.split('-- after\n');
    const arenas = (text: string) => (text.match(/^Arena \d+:$/gm) ?? []).length;
    return { ...(JSON.parse(r.stdout) as { report?: unknown }), before: arenas(before), after: arenas(after) };
  };

  it('six threads allocating at once get arenas of their own without the limit, and share with it', () => {
    const free = run(['no-limit']);
    expect(free.before).toBeGreaterThanOrEqual(1); // the count reads glibc's own list (the main arena at least)
    // without the limit each new thread takes an arena of its own (glibc allows 8 per core)
    expect(free.after - free.before).toBeGreaterThanOrEqual(4);
    const limited = run([]);
    expect(limited.report).toEqual({ limited: 2, glibc: hostGlibc, thresholds: 131072 });
    // with it, at most two more than the process had at the call (measured: 2 before, 4 after, 12 without)
    expect(limited.after - limited.before).toBeLessThanOrEqual(2);
  });

  it('a freed 1 MiB block does not raise the mmap threshold: the next 1 MiB block is mmap\'d too (given back to the kernel when freed), as it is not without the fix', () => {
    const fixed = run(['limit', 'thresholds']) as { report?: unknown; mmapAfterFree?: number };
    expect(fixed.report).toEqual({ limited: 2, glibc: hostGlibc, thresholds: 131072 });
    expect(fixed.mmapAfterFree).toBeGreaterThanOrEqual(1 << 20);
    const dynamic = run(['no-limit', 'thresholds']) as { mmapAfterFree?: number };
    expect(dynamic.mmapAfterFree).toBe(0);
    const operator = run(['limit', 'thresholds'], { MALLOC_MMAP_THRESHOLD_: '4194304' }) as { report?: unknown; mmapAfterFree?: number };
    expect(operator.report).toEqual({ limited: 2, glibc: hostGlibc, thresholds: 'MALLOC_MMAP_THRESHOLD_ in the environment' });
    expect(operator.mmapAfterFree).toBe(0); // glibc kept to the operator's 4 MiB
  });

  it("an operator's MALLOC_ARENA_MAX stands: glibc keeps to it and the agent does not call mallopt", () => {
    const r = run([], { MALLOC_ARENA_MAX: '3' });
    expect(r.report).toEqual({ skipped: 'MALLOC_ARENA_MAX=3 in the environment' });
    expect(r.after).toBeLessThanOrEqual(3);
  });
});
