import type { SocketMemory } from '@sockscope/core';

/** Size of the SK_MEMINFO_* array this parser reads (nine u32). */
export const SKMEMINFO_LEN = 36;

/** Parses INET_DIAG_SKMEMINFO (u32 array indexed by SK_MEMINFO_*); undefined when it is too short. */
export function parseSocketMemory(buf: Buffer, off: number, len: number): SocketMemory | undefined {
  if (len < SKMEMINFO_LEN) return undefined;
  return {
    rmemAlloc: buf.readUInt32LE(off),
    rcvbuf: buf.readUInt32LE(off + 4),
    wmemAlloc: buf.readUInt32LE(off + 8),
    sndbuf: buf.readUInt32LE(off + 12),
    fwdAlloc: buf.readUInt32LE(off + 16),
    wmemQueued: buf.readUInt32LE(off + 20),
    optmem: buf.readUInt32LE(off + 24),
    backlog: buf.readUInt32LE(off + 28),
    drops: buf.readUInt32LE(off + 32),
  };
}
