import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

const AT_PAGESZ = 6;
const FALLBACK = 4096;

/**
 * The kernel page size, read once from this process's ELF auxiliary vector (AT_PAGESZ):
 * sockstat reports socket memory in pages and node_exporter publishes `_mem_bytes` beside it.
 * Node has no page-size API; 4096 is used when /proc/self/auxv cannot be read.
 */
export function kernelPageSize(): number {
  try {
    const buf = readFileSync('/proc/self/auxv');
    const word = process.arch.includes('64') ? 8 : 4;
    const le = endianness() === 'LE';
    for (let off = 0; off + 2 * word <= buf.length; off += 2 * word) {
      const type = readWord(buf, off, word, le);
      if (type === 0) break;
      if (type === AT_PAGESZ) return readWord(buf, off + word, word, le);
    }
  } catch {
    // Not Linux, or procfs hidden: fall through.
  }
  return FALLBACK;
}

function readWord(buf: Buffer, off: number, word: number, le: boolean): number {
  if (word === 4) return le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
  return Number(le ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off));
}
