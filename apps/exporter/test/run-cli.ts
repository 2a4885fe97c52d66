import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI_NODE_FLAGS } from '../src/node-flags.js';

/** Path of the built CLI (turbo builds it before tests run). */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A finished CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How to launch the CLI: `prefix` runs it under another command (setpriv), `node` with another Node binary. */
export interface CliLaunch {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  prefix?: string[];
  node?: string;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: CliLaunch = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const command = [...(opts.prefix ?? []), opts.node ?? process.execPath, ...CLI_NODE_FLAGS, CLI, ...args];
    const child = spawn(command[0] as string, command.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CLI started in serve mode, with the port it bound. */
export interface RunningCli {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `sockscope serve` on an ephemeral loopback port and waits for its "listening" log line.
 * `prefix` runs it under another command (e.g. setpriv to drop privileges).
 */
export function startCli(args: string[], opts: CliLaunch & { timeoutMs?: number; direct?: boolean } = {}): Promise<RunningCli> {
  return new Promise((resolve, reject) => {
    // `direct` runs cli.js itself, so its shebang picks node and the flags
    const node = opts.direct ? [CLI] : [opts.node ?? process.execPath, ...CLI_NODE_FLAGS, CLI];
    const command = [...(opts.prefix ?? []), ...node, '--web.listen-address', '127.0.0.1:0', '--log.format', 'json', ...args];
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
    });
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sockscope did not start listening in time; stderr:\n${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      const m = /"msg":"listening","address":"[^"]*:(\d+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          port: Number(m[1]),
          stderr: () => stderr,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sockscope exited with ${code} before listening; stderr:\n${stderr}`));
    });
  });
}

/** GET over loopback, resolving with status and body text. */
export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** One JSON log line of the CLI (started with `--log.format json`, as `startCli` does). */
export type LogEntry = Record<string, unknown> & { level: string; msg: string };

/** The JSON log lines the CLI wrote so far. */
export const logEntries = (cli: RunningCli): LogEntry[] =>
  cli
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogEntry);
