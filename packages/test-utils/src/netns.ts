import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Network namespaces of a test, each running a child that holds sockets inside it. */
export interface HeldNamespaces {
  /** Ends the children (closing their stdin), then deletes the namespaces. */
  release(): Promise<void>;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });

/**
 * Creates each namespace (deleting one left over from an interrupted run), brings `lo` up and
 * runs `node -e script` inside it; resolves once every child printed its first line (the
 * script says it is ready that way, and exits when its stdin ends). Needs root.
 */
export async function holdInNamespaces(names: readonly string[], script: string): Promise<HeldNamespaces> {
  const children: ChildProcess[] = [];
  const release = async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        child.stdin?.end();
        await once(child, 'exit');
      }
    }
    for (const ns of names) {
      try {
        ip('netns', 'delete', ns);
      } catch {
        // never created
      }
    }
  };
  try {
    for (const ns of names) {
      try {
        ip('netns', 'delete', ns); // left over from an interrupted run
      } catch {
        // none: the usual case
      }
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      await once(child.stdout as NodeJS.ReadableStream, 'data');
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { release };
}
