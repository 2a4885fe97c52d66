import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricFamily } from '@sockscope/core';
import { freePort } from '@sockscope/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { corePipeline, selfMetricsWithRuntime, sinkContext, startSink, stopAll } from './harness.js';

const PROMETHEUS = '/usr/bin/prometheus';

afterEach(stopAll);

const families: MetricFamily[] = [
  { name: 'sockscope_tcp_bytes_sent_total', help: 'Bytes sent.', type: 'counter', samples: [{ labels: { peer: '10.0.0.1' }, value: 688 }] },
  { name: 'tcp_data_segs_in', help: 'prometheus_ss_exporter counter without _total.', type: 'counter', samples: [{ labels: { flow: 'f' }, value: 120 }] },
  { name: 'node_netstat_Tcp_RetransSegs', help: 'Statistic TcpRetransSegs.', type: 'untyped', samples: [{ labels: {}, value: 17 }] },
  { name: 'sockscope_tcp_rtt_distribution_seconds', help: 'RTT.', type: 'histogram', histograms: [{ labels: {}, bounds: [0.001, 1], counts: [2, 3], sum: 0.5, count: 4 }] },
];

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

describe('scraped by Prometheus itself', () => {
  // Prometheus asks for OpenMetrics first: what it stores must be the series the text format names
  it.skipIf(!existsSync(PROMETHEUS))('negotiates OpenMetrics, stores the same series names, and passes collect[] from params', async () => {
    const accepts: string[] = [];
    const { pipeline } = corePipeline({ 'linux-procfs': { value: 7 }, 'linux-netlink': { value: 8 } }, families, selfMetricsWithRuntime());
    const ctx = {
      ...sinkContext({ listen_address: '127.0.0.1:0' }, pipeline),
      createServer: (l: RequestListener) => createServer((req, res) => (accepts.push(String(req.headers.accept)), l(req, res))),
    };
    const { port } = await startSink(ctx);
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-prom-'));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: all
    static_configs: [{ targets: ['127.0.0.1:${port}'] }]
  - job_name: procfs
    params: { 'collect[]': [linux-procfs] }
    static_configs: [{ targets: ['127.0.0.1:${port}'] }]
`,
    );
    const child = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise((resolve) => child.on('close', resolve));
    const api = async <T>(path: string): Promise<T> => ((await (await fetch(`http://127.0.0.1:${promPort}${path}`)).json()) as { data: T }).data;
    const query = async (expr: string) =>
      (await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result;
    try {
      await vi.waitFor(
        async () => {
          const { activeTargets } = await api<{ activeTargets: Target[] }>('/api/v1/targets');
          expect(activeTargets.map((t) => [t.labels.job, t.health, t.lastError]).sort()).toEqual([['all', 'up', ''], ['procfs', 'up', '']]);
        },
        { timeout: 20_000, interval: 250 },
      );
      expect(accepts[0]).toMatch(/^application\/openmetrics-text/);
      const value = async (expr: string) => (await query(expr)).map((s) => s.value[1]);
      expect(await value('sockscope_tcp_bytes_sent_total{job="all",peer="10.0.0.1"}')).toEqual(['688']);
      expect(await value('tcp_data_segs_in{job="all",flow="f"}')).toEqual(['120']);
      expect(await value('node_netstat_Tcp_RetransSegs{job="all"}')).toEqual(['17']);
      expect(await value('sockscope_tcp_rtt_distribution_seconds_bucket{job="all",le="1"}')).toEqual(['3']);
      expect(await value('sockscope_tcp_rtt_distribution_seconds_count{job="all"}')).toEqual(['4']);
      expect((await query('process_cpu_user_seconds_total{job="all"}')).length).toBe(1);
      // the collect[] job's scrapes ran linux-procfs alone
      expect(await value('sockscope_linux_procfs_value{job="procfs"}')).toEqual(['7']);
      expect(await value('sockscope_linux_netlink_value{job="procfs"}')).toEqual([]);
      expect(await value('sockscope_linux_netlink_value{job="all"}')).toEqual(['8']);
      // no series was renamed: nothing under a name the text format does not have
      expect(await value('tcp_data_segs_in_total')).toEqual([]);
      expect(await value('count({__name__=~"sockscope_tcp_bytes_sent"})')).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(stderr).not.toMatch(/level=error/);
  }, 30_000);
});
