import { readdir, readFile } from 'node:fs/promises';

/** What reading one kernel file gave. */
export type ReadOutcome = { text: string } | { absent: true } | { error: string };

// Errors meaning "this kernel does not offer the file here" rather than "something is wrong".
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ENXIO']);

/**
 * Reads a kernel file whole. A file the kernel does not offer (module not loaded, IPv6 off) is
 * `absent`, not an error; an abort rethrows so the caller stops reading.
 */
export async function readKernelFile(path: string, signal: AbortSignal): Promise<ReadOutcome> {
  try {
    return { text: await readFile(path, { encoding: 'utf8', signal }) };
  } catch (err) {
    if (signal.aborted) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (ABSENT.has(code)) return { absent: true };
    return { error: `${path}: ${code || (err as Error).message}` };
  }
}

/**
 * Reads a sysfs attribute; any failure means "no such fact" (EINVAL for the speed of a link
 * that is down, EOPNOTSUPP for drivers without it), as node_exporter treats them.
 */
export async function readAttribute(path: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await readFile(path, { encoding: 'utf8', signal });
  } catch (err) {
    if (signal.aborted) throw err;
    return undefined;
  }
}

/** Lists interface directories under /sys/class/net (symlinks into /sys/devices), or undefined when absent. */
export async function listInterfaceDirs(dir: string): Promise<string[] | undefined> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    // bonding_masters is a plain file beside the interfaces; skip anything that is not a directory or link.
    return entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch {
    return undefined;
  }
}
