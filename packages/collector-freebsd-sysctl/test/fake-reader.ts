// A SysctlReader that serves byte buffers built by fixture-writer.ts. It replaces only the
// ffi layer (koffi → libc sysctl), and only because FreeBSD cannot run on the Linux machine
// these tests run on; every parser and all orchestration above it are the real code.
import type { MibResult, SysctlReader, SysctlResult } from '../src/sysctl-reader.js';

/** What one sysctl answers: bytes, an errno, or a sequence consumed one read at a time (last one repeats). */
export type Served = Buffer | { errno: number } | Array<Buffer | { errno: number }>;

/** A fake reader plus the log of every read it served. */
export interface FakeReader extends SysctlReader {
  /** Every call, as `name` or `mib:1.14.1.700` or `nametomib:kern.proc.pid`. */
  calls: string[];
}

function serve(key: string, served: Served | undefined, counts: Map<string, number>): SysctlResult {
  if (served === undefined) return { ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: 2, message: `sysctl ${key}: read failed with errno 2` };
  let one: Buffer | { errno: number };
  if (Array.isArray(served)) {
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    one = served[Math.min(n, served.length - 1)]!;
  } else one = served;
  if (Buffer.isBuffer(one)) return { ok: true, buf: Buffer.from(one) };
  // As the kernel reader: ENOMEM comes back only once the grow-retry bound is reached.
  if (one.errno === 12) return { ok: false, code: 'ERR_FREEBSD_SYSCTL_TOO_LARGE', errno: 12, message: `sysctl ${key}: still ENOMEM (buffer too short) at 65536 bytes after at most 8 reads; bound reached, raise max_buffer_bytes if the table is really that large` };
  return { ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: one.errno, message: `sysctl ${key}: read failed with errno ${one.errno}` };
}

/** Builds a reader over `byName` (sysctl names) and `byMib` (keys like `1.14.1.700`). */
export function fakeReader(byName: Record<string, Served>, byMib: Record<string, Served> = {}, mibs: Record<string, number[]> = { 'kern.proc.pid': [1, 14, 1] }): FakeReader {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  return {
    calls,
    async byName(name) {
      calls.push(name);
      return serve(name, byName[name], counts);
    },
    async byMib(mib) {
      const key = mib.join('.');
      calls.push(`mib:${key}`);
      return serve(key, byMib[key], counts);
    },
    async nameToMib(name): Promise<MibResult> {
      calls.push(`nametomib:${name}`);
      const mib = mibs[name];
      return mib ? { ok: true, mib } : { ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: 2, message: `sysctlnametomib ${name} failed with errno 2` };
    },
  };
}

/** kern.osreldate as the kernel returns it (a 4-byte int). */
export function osreldate(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return b;
}
