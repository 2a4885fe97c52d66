import { readFileSync } from 'node:fs';

/**
 * The capabilities the agent uses (README, "Security and least privilege"), by name and bit:
 * CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to read other users' /proc/<pid>/fd, CAP_SYS_ADMIN to
 * enter other network namespaces. Nothing else is ever raised.
 */
export const AGENT_CAPABILITIES: Readonly<Record<string, number>> = Object.freeze({
  CAP_DAC_READ_SEARCH: 2,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_ADMIN: 21,
});

/** The capability sets of a thread as /proc/<pid>/status shows them. */
export interface CapabilitySets {
  permitted: bigint;
  effective: bigint;
  bounding: bigint;
}

/** What raiseCapabilities found and did. */
export interface CapabilityReport {
  /** Permitted but not effective at start, now effective. */
  raised: string[];
  /** Effective already (root, systemd's AmbientCapabilities, file capabilities with `e`). */
  held: string[];
  /** Neither permitted nor effective: what they give the agent it cannot see (the plugins say what). */
  missing: string[];
  /** Why raising failed (the capabilities stay as they were); absent when nothing failed. */
  error?: string;
}

/** Reads CapPrm, CapEff and CapBnd from the text of /proc/<pid>/status. */
export function parseCapabilityStatus(text: string): CapabilitySets {
  const field = (name: string): bigint => {
    const m = new RegExp(`^${name}:\\s*([0-9a-fA-F]+)\\s*$`, 'm').exec(text);
    if (!m) throw new Error(`/proc/self/status has no ${name} line`);
    return BigInt(`0x${m[1] as string}`);
  };
  return { permitted: field('CapPrm'), effective: field('CapEff'), bounding: field('CapBnd') };
}

const bit = (n: number) => 1n << BigInt(n);

/** The capabilities of `names` (AGENT_CAPABILITIES by default) in `mask`. */
function namesIn(mask: bigint, names: readonly string[]): string[] {
  return names.filter((n) => (mask & bit(AGENT_CAPABILITIES[n] as number)) !== 0n);
}

/** The agent's capabilities that are permitted but not effective in `sets`: the mask to raise. */
export function toRaise(sets: CapabilitySets, names: readonly string[] = Object.keys(AGENT_CAPABILITIES)): bigint {
  let mask = 0n;
  for (const n of names) {
    const b = bit(AGENT_CAPABILITIES[n] as number);
    if ((sets.permitted & b) !== 0n && (sets.effective & b) === 0n) mask |= b;
  }
  return mask;
}

/** capget/capset's header version with two 32-bit data words (linux/capability.h). */
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** The system calls raiseCapabilities makes; koffi's by default, injectable for tests. */
export interface CapSyscalls {
  /** Adds `mask` to the calling thread's effective set (permitted and inheritable unchanged). */
  raiseEffective(mask: bigint): void;
}

/**
 * capget(2) then capset(2) on the calling thread through koffi, synchronously (never koffi's
 * async calls: they run on libuv's pool, whose threads are not the one to change).
 */
async function koffiSyscalls(): Promise<CapSyscalls> {
  const { default: koffi } = await import('koffi');
  const libc = koffi.load('libc.so.6');
  const capget = libc.func('int capget(void *hdr, void *data)');
  const capset = libc.func('int capset(void *hdr, void *data)');
  const fail = (call: string) => {
    const errno = koffi.errno();
    const name = Object.entries(koffi.os.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
    return new Error(`${call} failed: ${name}`);
  };
  return {
    raiseEffective(mask) {
      const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, 0]);
      // two { effective, permitted, inheritable } words: bits 0-31, then 32-63
      const data = new Uint32Array(6);
      if (Number(capget(header, data)) !== 0) throw fail('capget');
      data[0] = ((data[0] as number) | Number(mask & 0xffffffffn)) >>> 0;
      data[3] = ((data[3] as number) | Number((mask >> 32n) & 0xffffffffn)) >>> 0;
      if (Number(capset(header, data)) !== 0) throw fail('capset');
    },
  };
}

/**
 * Makes the agent's capabilities that are permitted but not effective effective (the image's
 * runtime carries them as file capabilities without the effective bit, so that the kernel starts
 * it whatever the bounding set: see deploy/README.md). Only the calling thread changes, and the
 * threads it starts afterwards (worker threads) inherit it: call it first, on the main thread.
 * Never throws: a failure is reported in `error` and the agent runs with what it has.
 */
export async function raiseCapabilities(
  opts: { statusPath?: string; syscalls?: () => Promise<CapSyscalls> } = {},
): Promise<CapabilityReport> {
  const names = Object.keys(AGENT_CAPABILITIES);
  if (process.platform !== 'linux') return { raised: [], held: [], missing: [] };
  let sets: CapabilitySets;
  try {
    sets = parseCapabilityStatus(readFileSync(opts.statusPath ?? '/proc/self/status', 'utf8'));
  } catch (err) {
    return { raised: [], held: [], missing: [], error: `cannot read the capability sets: ${(err as Error).message}` };
  }
  const mask = toRaise(sets);
  const report: CapabilityReport = {
    raised: [],
    held: namesIn(sets.effective, names),
    missing: names.filter((n) => ((sets.permitted | sets.effective) & bit(AGENT_CAPABILITIES[n] as number)) === 0n),
  };
  if (mask === 0n) return report;
  try {
    (await (opts.syscalls ?? koffiSyscalls)()).raiseEffective(mask);
    report.raised = namesIn(mask, names);
  } catch (err) {
    report.error = `cannot raise ${namesIn(mask, names).join(', ')} from the permitted set: ${(err as Error).message}`;
  }
  return report;
}
