import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sockscope/test-utils';

/** Debian's prometheus binary (.ci/run installs the package when it is missing). */
export const PROMETHEUS = process.env.SOCKSCOPE_E2E_PROMETHEUS ?? '/usr/bin/prometheus';

/** One sample of an instant query. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A Prometheus server started for one test file, with its HTTP API. */
export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Runs an instant query; rejects with Prometheus's own error text when the query fails. */
  query(expr: string): Promise<PromSample[]>;
  /** GET on an API path; returns the `data` member. */
  api<T>(path: string): Promise<T>;
  /** What Prometheus wrote to stderr so far. */
  log(): string;
  /** Kills the server and removes its storage. */
  stop(): Promise<void>;
}

/** Starts Prometheus on loopback with the given config text and a fresh storage dir; waits for /-/ready. */
export async function startPrometheus(configYaml: string, timeoutMs = 30_000): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-e2e-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const child: ChildProcess = spawn(PROMETHEUS, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${stderr}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within ${timeoutMs} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.errorType ?? 'error'}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    api,
    async query(expr) {
      const data = await api<{ resultType: string; result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return data.resultType === 'vector' ? data.result : [];
    },
    log: () => stderr,
    stop,
  };
}

/** Polls until check() returns true; fails with the last reason after timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean | string>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: boolean | string = false;
  while (Date.now() < deadline) {
    last = await check().catch((err: unknown) => String(err));
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${typeof last === 'string' ? `: ${last}` : ''}`);
}
