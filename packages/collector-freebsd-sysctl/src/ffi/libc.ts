// The only place koffi is loaded. It is imported dynamically by create(), and only on FreeBSD:
// a Linux host that registers this package never loads koffi or libc.so.7.
import { FreebsdSysctlError } from '../errors.js';

/** The koffi module and FreeBSD's libc handle. */
export interface Libc {
  /** The koffi module (for errno()). */
  koffi: typeof import('koffi').default;
  /** libc.so.7. */
  lib: import('koffi').LibraryHandle;
}

let loading: Promise<Libc> | undefined;

/**
 * Loads koffi and libc.so.7 once; rejects with ERR_FREEBSD_SYSCTL_PLATFORM off FreeBSD and
 * ERR_FREEBSD_SYSCTL_LOAD when either cannot be loaded (a failed load is tried again next call).
 */
export function loadLibc(platform: NodeJS.Platform = process.platform): Promise<Libc> {
  if (platform !== 'freebsd') {
    return Promise.reject(new FreebsdSysctlError('ERR_FREEBSD_SYSCTL_PLATFORM', `sysctl bindings only load on FreeBSD, this is ${platform}: disable the freebsd-sysctl collector`));
  }
  loading ??= (async () => {
    try {
      const koffi = (await import('koffi')).default;
      return { koffi, lib: koffi.load('libc.so.7') };
    } catch (err) {
      loading = undefined;
      throw loadError('koffi or libc.so.7', err);
    }
  })();
  return loading;
}

/** The ERR_FREEBSD_SYSCTL_LOAD error for a library or symbol that could not be loaded. */
export function loadError(what: string, err: unknown): FreebsdSysctlError {
  return new FreebsdSysctlError('ERR_FREEBSD_SYSCTL_LOAD', `could not load ${what}: ${(err as Error).message} (is koffi's FreeBSD prebuild installed?)`, [], { cause: err });
}

/** A size_t in/out cell as the kernel sees it (64-bit on amd64 and arm64). */
export function sizeCell(value: number): Buffer {
  const cell = Buffer.alloc(8);
  cell.writeBigUInt64LE(BigInt(value));
  return cell;
}

/** Reads a size_t cell back. */
export function readSizeCell(cell: Buffer): number {
  return Number(cell.readBigUInt64LE(0));
}
