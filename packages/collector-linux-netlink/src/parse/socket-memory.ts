import type { SocketMemory } from '@sockscope/core';
import { viewOf } from './view.js';

/** Size of the SK_MEMINFO_* array this parser reads (nine u32). */
export const SKMEMINFO_LEN = 36;

/** Parses INET_DIAG_SKMEMINFO (u32 array indexed by SK_MEMINFO_*); undefined when it is too short. */
export function parseSocketMemory(buf: Buffer, off: number, len: number): SocketMemory | undefined {
  if (len < SKMEMINFO_LEN) return undefined;
  const dv = viewOf(buf);
  return {
    rmemAlloc: dv.getUint32(off, true),
    rcvbuf: dv.getUint32(off + 4, true),
    wmemAlloc: dv.getUint32(off + 8, true),
    sndbuf: dv.getUint32(off + 12, true),
    fwdAlloc: dv.getUint32(off + 16, true),
    wmemQueued: dv.getUint32(off + 20, true),
    optmem: dv.getUint32(off + 24, true),
    backlog: dv.getUint32(off + 28, true),
    drops: dv.getUint32(off + 32, true),
  };
}
