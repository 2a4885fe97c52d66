// Runs Debian's prometheus-node-exporter for the comparison test: only the collectors
// sockscope's host collector replaces, on 127.0.0.1 and a free ephemeral port.
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { freePort } from '@sockscope/test-utils';

/** Where Debian installs node_exporter. */
export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

/** A running node_exporter and how to reach it. */
export interface RunningExporter {
  /** The child process. */
  child: ChildProcess;
  /** Scrapes /metrics once, on a fresh connection. */
  scrape(): Promise<string>;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts node_exporter with the netdev, netclass, netstat, sockstat, conntrack and softnet
 * collectors only; `extraArgs` may point it at other trees (`--path.procfs`, `--path.sysfs`).
 */
export async function startNodeExporter(extraArgs: readonly string[] = []): Promise<RunningExporter> {
  const port = await freePort();
  const child = spawn(
    NODE_EXPORTER,
    [
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.disable-exporter-metrics',
      '--collector.disable-defaults',
      '--collector.netdev',
      // netdev leaves out lo by default; sockscope's default keeps every interface, so compare all.
      '--collector.netdev.device-exclude=^$',
      '--collector.netclass',
      '--collector.netstat',
      '--collector.sockstat',
      '--collector.conntrack',
      '--collector.softnet',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const scrape = () => httpGet(`http://127.0.0.1:${port}/metrics`);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // Wait until it answers; give up (and say why) after 10 s rather than hang the suite.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node_exporter exited with ${child.exitCode}: ${stderr}`);
    try {
      await scrape();
      return { child, scrape, stop };
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`node_exporter did not answer on 127.0.0.1:${port}: ${(err as Error).message}\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
}
