import koffi, { type LibraryHandle } from 'koffi';

/** The outcome of one system call: its return value, and errno when it failed. */
export interface SyscallResult {
  /** Return value of the call (-1 on failure). */
  value: number;
  /** errno after a failed call, 0 after a successful one. */
  errno: number;
}

let handle: LibraryHandle | undefined;

/** The C library, loaded on first use so that importing this module costs nothing until a call. */
export function libc(): LibraryHandle {
  handle ??= koffi.load('libc.so.6');
  return handle;
}

/** Wraps a raw return value: negative means failure, and errno is read right after the call. */
export function syscallResult(value: number | bigint): SyscallResult {
  const n = Number(value);
  return n < 0 ? { value: n, errno: koffi.errno() } : { value: n, errno: 0 };
}

let names: Map<number, string> | undefined;

/** The symbolic name of an errno value (`EPERM`), or `errno N` for one libc does not name. */
export function errnoName(errno: number): string {
  if (!names) {
    names = new Map();
    for (const [name, value] of Object.entries(koffi.os.errno)) if (!names.has(value)) names.set(value, name);
  }
  return names.get(errno) ?? `errno ${errno}`;
}

/** Named errno values this package reacts to. */
export function errnoValue(name: string): number {
  return koffi.os.errno[name] ?? -1;
}
