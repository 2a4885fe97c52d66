import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, startCli, type RunningCli } from './run-cli.js';

// Modules an agent loads only when the feature that needs them is on (issue 20, baseline memory):
// OTel's SDK, exporters and resources when the OTLP sink starts. prom-client was loaded when the
// runtime metrics (process_*, nodejs_*) were published; since issue 20's host-only scrape work the
// agent reads them itself and never loads it. Which CommonJS modules the real CLI loaded is read
// from inside it: a preload (NODE_OPTIONS=--require) prints the paths in require.cache (both are
// CommonJS packages) on SIGUSR2.
const OTEL_SDK = /@opentelemetry[+/](sdk-metrics|resources|exporter-metrics-otlp-http|exporter-metrics-otlp-proto|otlp-transformer|otlp-exporter-base)\b/;

let dir: string;
let receiver: OtlpReceiver;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sockscope-lazy-otlp-'));
  writeFileSync(
    join(dir, 'loaded.cjs'),
    `process.on('SIGUSR2', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n`,
  );
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

const PROM_CLIENT = /[/+]prom-client[@/]/;

/** The CommonJS modules the running CLI has loaded, from the preload's answer to SIGUSR2. */
async function loadedModules(cli: RunningCli): Promise<string[]> {
  const seen = cli.stderr().length;
  cli.child.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const line = /^LOADED (.*)$/m.exec(cli.stderr().slice(seen));
    if (line) return JSON.parse(line[1] as string) as string[];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the preload did not answer SIGUSR2; stderr:\n${cli.stderr()}`);
}

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${join(dir, 'loaded.cjs')}`, ...extra };
  for (const k of Object.keys(e)) if (k.startsWith('OTEL_') && !(k in extra)) delete e[k];
  return e;
};

describe('OTel SDK loaded only with the OTLP sink on', () => {
  it('is not loaded by the default run, before or after a scrape', async () => {
    const cli = await startCli([], { env: env() });
    try {
      expect((await loadedModules(cli)).filter((m) => OTEL_SDK.test(m))).toEqual([]);
      expect((await httpGet(cli.port, '/metrics')).status).toBe(200);
      expect((await loadedModules(cli)).filter((m) => OTEL_SDK.test(m))).toEqual([]);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('is loaded, and exports, when OTLP is configured', async () => {
    const cli = await startCli([], { env: env({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '300' }) });
    try {
      const [first] = await receiver.waitForExports(1, 15_000);
      expect(first?.path).toBe('/v1/metrics');
      const loaded = (await loadedModules(cli)).filter((m) => OTEL_SDK.test(m));
      expect(loaded.some((m) => /exporter-metrics-otlp-proto/.test(m))).toBe(true);
      expect(loaded.some((m) => /@opentelemetry[+/]resources/.test(m))).toBe(true);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe('prom-client not loaded, with the runtime metrics on or off', () => {
  it('is not loaded with --web.disable-exporter-metrics, and /metrics has no process_* or nodejs_*', async () => {
    const cli = await startCli(['--web.disable-exporter-metrics'], { env: env() });
    try {
      const metrics = (await httpGet(cli.port, '/metrics')).body;
      expect(metrics).toContain('sockscope_build_info');
      expect(metrics).not.toMatch(/^(process|nodejs)_/m);
      expect((await loadedModules(cli)).filter((m) => PROM_CLIENT.test(m))).toEqual([]);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  // Changed on purpose (issue 20): this run loaded prom-client until the agent read the runtime
  // metrics itself (src/runtime-metrics.ts); it still publishes them, without prom-client.
  it('is not loaded by the default run either, which publishes them', async () => {
    const cli = await startCli([], { env: env() });
    try {
      expect((await httpGet(cli.port, '/metrics')).body).toMatch(/^process_resident_memory_bytes /m);
      expect((await loadedModules(cli)).filter((m) => PROM_CLIENT.test(m))).toEqual([]);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
