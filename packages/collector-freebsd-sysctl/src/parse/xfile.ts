import type { Warning } from '@sockscope/core';
import { freebsdWarning } from '../errors.js';
import { DTYPE_SOCKET, XFILE } from './layouts.js';
import { u64big } from './bytes.js';

/** One open socket descriptor from kern.file. */
export interface SocketFile {
  /** Process holding the descriptor. */
  pid: number;
  /** Effective uid of that process. */
  uid: number;
  /** Descriptor number. */
  fd: number;
  /** Kernel address of the struct socket (xf_data) = pcblist xso_so. */
  so: bigint;
}

/** Socket descriptors found in a kern.file dump. */
export interface XfileList {
  /** Socket descriptors (xf_type DTYPE_SOCKET with a non-zero xf_data). */
  sockets: SocketFile[];
  /** Problems worth telling the operator. */
  warnings: Warning[];
}

/**
 * Decodes kern.file: a plain array of struct xfile with no header. The entry size comes from
 * the first entry's xf_size (128 on 12–15), so a grown struct still walks correctly.
 */
export function parseXfiles(buf: Buffer): XfileList {
  const out: XfileList = { sockets: [], warnings: [] };
  if (buf.length === 0) return out;
  if (buf.length < 8) {
    out.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', `kern.file: ${buf.length} bytes is too short for an xfile entry`));
    return out;
  }
  const sizeBig = u64big(buf, XFILE.xfSize);
  if (sizeBig < BigInt(XFILE.minLength) || sizeBig > BigInt(buf.length)) {
    out.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', `kern.file: xf_size ${sizeBig} is not a usable entry size (documented ${XFILE.size}); process attribution skipped`));
    return out;
  }
  const size = Number(sizeBig);
  if (size !== XFILE.size) out.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_LAYOUT', `kern.file: xf_size ${size} differs from the documented ${XFILE.size}; fields read at the documented offsets`));
  if (buf.length % size !== 0) out.warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_DECODE', `kern.file: ${buf.length} bytes is not a whole number of ${size}-byte entries; the partial tail is ignored`));
  for (let pos = 0; pos + size <= buf.length; pos += size) {
    if (buf.readInt16LE(pos + XFILE.type) !== DTYPE_SOCKET) continue;
    const so = u64big(buf, pos + XFILE.data);
    if (so === 0n) continue;
    out.sockets.push({ pid: buf.readInt32LE(pos + XFILE.pid), uid: buf.readUInt32LE(pos + XFILE.uid), fd: buf.readInt32LE(pos + XFILE.fd), so });
  }
  return out;
}
