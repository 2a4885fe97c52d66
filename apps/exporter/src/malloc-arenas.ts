/**
 * The C library's malloc arenas, limited to two (glibc's `mallopt(M_ARENA_MAX, 2)`, what the
 * `MALLOC_ARENA_MAX=2` environment variable does, set from inside). glibc gives a thread that
 * allocates while another holds the main arena an arena of its own, up to eight per core, and
 * each keeps its freed memory: the agent's threads (libuv's pool, V8's, and then also the process
 * scan's and the destroy-event reader's workers) left five to six arenas of 1.7-5.7 MB resident
 * each in a default-config agent at 30,000 connections.
 *
 * A thread keeps the arena it has, so the limit must come before the agent's modules load (their
 * loading already puts libuv's threads to work): cli.js awaits this first. Set later, where the
 * agent starts serving, it saved 3-4 MB of peak RSS instead of 6-9. koffi is imported
 * dynamically, on Linux only (the release bundle rewrites that import to the koffi.node beside it). An
 * operator's `MALLOC_ARENA_MAX` wins (glibc read it at start; it is left alone). With a C library
 * other than glibc (no `gnu_get_libc_version`) it does nothing. Never throws.
 */

/** The arenas the agent asks glibc for: the main one and one its other threads share. */
export const MALLOC_ARENAS = 2;

/**
 * glibc's mmap and trim thresholds, fixed at 128 KiB (glibc's initial values), which also turns
 * off its dynamic mmap threshold. Dynamically, each freed mmap'd block raises the threshold to its
 * size (up to 32 MiB), so after the first scrape's big buffers (netlink receive buffers, the
 * exposition, the scan's arrays) were freed, later ones of that size came from the heap arena and
 * stayed there, fragmented, after they were freed. Fixed, every block of 128 KiB or more is
 * mmap'd and given back to the kernel when freed, and the heap top is trimmed past 128 KiB free.
 * Measured (issue 20; the real CLI, default config, 30,000 connections, VmHWM after 8 scrapes,
 * runs alternated, as GLIBC_TUNABLES first): peak 99.0/99.6/98.7/99.5 vs 103.2/102.3 MB, resident
 * after the scrapes 94-95 vs 101-103 MB, scrape times the same; `raw_endpoint` the same within
 * its noise (211-227 vs 204-230 MB).
 */
export const MALLOC_THRESHOLD = 128 * 1024;

/** glibc's `M_ARENA_MAX`, `M_TRIM_THRESHOLD`, `M_MMAP_THRESHOLD` (malloc.h). */
const M_ARENA_MAX = -8;
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;

/** What limitMallocArenas did. `thresholds`: the fixed mmap/trim thresholds, or why they were left alone. */
export type MallocArenaReport = { limited: number; glibc: string; thresholds: number | string } | { skipped: string } | { error: string };

/** The C library calls it makes; koffi's by default, injectable for tests. */
export interface GlibcCalls {
  /** glibc's version; throws when the library is not glibc (the symbol is glibc's own). */
  version(): string;
  mallopt(param: number, value: number): number;
}

async function koffiGlibc(): Promise<GlibcCalls> {
  const { default: koffi } = await import('koffi');
  const libc = koffi.load('libc.so.6');
  return {
    // looked up here, not above: a libc.so.6 that is not glibc's lacks the symbol and throws now
    version: () => String(libc.func('const char *gnu_get_libc_version(void)')()),
    mallopt: (p, v) => Number(libc.func('int mallopt(int param, int value)')(p, v)),
  };
}

let last: MallocArenaReport | undefined;

/** Limits glibc's malloc arenas to {@link MALLOC_ARENAS} and fixes its thresholds at {@link MALLOC_THRESHOLD} (see above); the report is kept for {@link mallocArenaReport}. */
export async function limitMallocArenas(opts: { env?: NodeJS.ProcessEnv; platform?: string; glibc?: () => Promise<GlibcCalls> } = {}): Promise<MallocArenaReport> {
  last = await limit(opts);
  return last;
}

/** What the last limitMallocArenas did (undefined when it was not called: a library user's process). */
export function mallocArenaReport(): MallocArenaReport | undefined {
  return last;
}

async function limit({ env = process.env, platform = process.platform, glibc = koffiGlibc }: { env?: NodeJS.ProcessEnv; platform?: string; glibc?: () => Promise<GlibcCalls> }): Promise<MallocArenaReport> {
  if (platform !== 'linux') return { skipped: `not Linux (${platform})` };
  if (env.MALLOC_ARENA_MAX !== undefined) return { skipped: `MALLOC_ARENA_MAX=${env.MALLOC_ARENA_MAX} in the environment` };
  let calls: GlibcCalls;
  let version: string;
  try {
    calls = await glibc();
  } catch (err) {
    return { skipped: `the C library did not load (${(err as Error).message})` };
  }
  try {
    version = calls.version();
  } catch (err) {
    return { skipped: `not glibc (${(err as Error).message})` };
  }
  // an operator's own thresholds (glibc read them at start) are left alone
  const own = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'].find((k) => env[k] !== undefined) ?? (/malloc\.(mmap|trim)_threshold/.test(env.GLIBC_TUNABLES ?? '') ? 'GLIBC_TUNABLES' : undefined);
  try {
    // mallopt returns 1 on success, 0 on error
    if (calls.mallopt(M_ARENA_MAX, MALLOC_ARENAS) !== 1) return { error: `mallopt(M_ARENA_MAX, ${MALLOC_ARENAS}) returned an error` };
    if (own) return { limited: MALLOC_ARENAS, glibc: version, thresholds: `${own} in the environment` };
    if (calls.mallopt(M_MMAP_THRESHOLD, MALLOC_THRESHOLD) !== 1) return { error: `mallopt(M_MMAP_THRESHOLD, ${MALLOC_THRESHOLD}) returned an error` };
    if (calls.mallopt(M_TRIM_THRESHOLD, MALLOC_THRESHOLD) !== 1) return { error: `mallopt(M_TRIM_THRESHOLD, ${MALLOC_THRESHOLD}) returned an error` };
  } catch (err) {
    return { error: `mallopt: ${(err as Error).message}` };
  }
  return { limited: MALLOC_ARENAS, glibc: version, thresholds: MALLOC_THRESHOLD };
}
