import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HOLDER = fileURLToPath(new URL('./connection-holder.mjs', import.meta.url));

/** One side of a set of loopback connections, held by its own process (see connection-holder.mjs). */
export interface Holder {
  /** The server's port. */
  port: number;
  /** Sends a command line and resolves with its JSON reply; a reply with `error` rejects. */
  send(command: string): Promise<Record<string, unknown>>;
  /** Closes its stdin and waits for it to exit. */
  close(): Promise<void>;
}

/** Starts a holder process: `server` on `port` (`low`: a free port below the ephemeral range), or `client` of `port`. */
export async function startHolder(role: 'server' | 'client', port: number | 'low'): Promise<Holder> {
  // with the open-file limit raised to the hard limit: a side of 9,000 connections is 9,000 descriptors
  const child: ChildProcess = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', process.execPath, HOLDER, role, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${role} holder exited with ${code}`));
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      waiting.push({ resolve: (v) => (v.error ? reject(new Error(`${role} holder: ${String(v.error)}`)) : resolve(v)), reject }),
    );
  const first = await next();
  return {
    port: role === 'server' ? (first.port as number) : (port as number),
    send(command) {
      const reply = next();
      child.stdin?.write(command + '\n');
      return reply;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      await once(child, 'exit');
    },
  };
}

/** Waits until `check` holds, polling every 50 ms; throws `what` after `ms`. */
export async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The samples of one family in a Prometheus text body: labels and value. */
export function samplesOf(body: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(name.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1] as string] = m[2] as string;
    out.push({ labels, value: Number(line.slice(close + 1).trim()) });
  }
  return out;
}
