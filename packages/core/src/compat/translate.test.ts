import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileConfigSchema } from '../config/validate.js';
import { isSockscopeError } from '../errors.js';
import { createMetricFold, type MetricFold } from '../flows/metric-fold.js';
import { foldRecords } from '../pipeline/list.js';
import { flowsConfigSchema, resolveFlowsConfig } from '../flows/schema.js';
import { T0, tcpSocket } from '../flows/sockets.fixture.js';
import type { SocketRecord } from '../types/socket.js';

/** One collection of `records` through `fold`, as the pipeline feeds it. */
const once = (fold: MetricFold, records: SocketRecord[]) => foldRecords(fold, T0, records);
import { isSsExporterConfig, translateSsExporterConfig, validateSsExporterConfig } from './translate.js';

// The example configs of prometheus_ss_exporter's README, verbatim, one file each; the
// exporter's live test reads the same files.
const EXAMPLE_FILES: Record<string, string> = {
  'configuration structure': 'configuration-structure',
  minimal: 'minimal',
  'web server (configuration section)': 'web-server-section',
  'high-cardinality': 'high-cardinality',
  'web server': 'web-server',
  database: 'database',
  microservices: 'microservices',
  edge: 'edge',
  development: 'development',
};
const ssReadmeExamples: Record<string, unknown> = Object.fromEntries(
  Object.entries(EXAMPLE_FILES).map(([name, file]) => [
    name,
    parse(readFileSync(new URL(`../../../../examples/prometheus-ss-exporter/${file}.yaml`, import.meta.url), 'utf8')),
  ]),
);

const on = (families: Record<string, boolean>) => Object.keys(families).filter((k) => families[k]).sort();

describe('prometheus_ss_exporter README examples', () => {
  const flowsValidator = compileConfigSchema(flowsConfigSchema);
  for (const [name, cfg] of Object.entries(ssReadmeExamples)) {
    it(`${name}: validates, translates to a valid native flows section, and renders`, () => {
      expect(isSsExporterConfig(cfg)).toBe(true);
      expect(validateSsExporterConfig(cfg)).toEqual([]);
      const { flows } = translateSsExporterConfig(cfg);
      expect(flowsValidator(structuredClone(flows))).toEqual([]);
      expect(flows.compat).toBe('prometheus_ss_exporter');
      expect(flows.label_style).toBe('flow');
      const out = once(createMetricFold(flows), [tcpSocket()]);
      for (const f of out) expect(f.name).toMatch(/^(tcp_rtt|tcp_cwnd|tcp_delivery_rate|tcp_data_segs_in|tcp_data_segs_out|tcp_rtt_hist_ms)$/);
    });
  }

  it('reads each example as its README describes', () => {
    const t = (n: string) => translateSsExporterConfig(ssReadmeExamples[n]).flows;
    expect(on(t('minimal').families)).toEqual(['series_dropped', 'tcp_data_segments_in', 'tcp_data_segments_out', 'tcp_rtt']);
    expect(on(t('development').families)).toEqual(['series_dropped', 'tcp_rtt']);
    const web = t('web server');
    expect(on(web.families)).toEqual([
      'series_dropped', 'tcp_cwnd', 'tcp_data_segments_in', 'tcp_data_segments_out', 'tcp_delivery_rate', 'tcp_rtt', 'tcp_rtt_histogram',
    ]);
    expect(web.histogram_buckets).toEqual([0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2]);
    expect(web.selection.include).toEqual({ commands: ['nginx', 'apache2', 'httpd'], ports: ['80-443'] });
    expect(t('database').selection.include.ports).toEqual([3306, 5432, 27017]);
    expect(t('database').folding).toBe('raw_endpoint');
    expect(t('edge').selection.exclude).toEqual({ networks: ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12'] });
    expect(t('edge').selection.include).toEqual({ ports: ['80-443', 8080] });
    const full = t('configuration structure');
    expect(full.selection.include).toEqual({
      pids: [1000, 2000],
      commands: ['nginx', 'apache2'],
      addresses: ['8.8.8.8', '1.1.1.1'],
      hosts: ['example.com'],
      networks: ['10.0.0.0/8', '192.168.0.0/16'],
      ports: ['80-443', '8000-9000'],
    });
    expect(full.histogram_buckets[0]).toBe(0.000001);
  });

  it('says how it read README spellings', () => {
    const { warnings } = translateSsExporterConfig(ssReadmeExamples['web server']);
    expect(warnings.join('\n')).toContain('logic.metrics.histograms.latency: read as the RTT histogram');
    expect(warnings.join('\n')).toContain('local or the remote port');
  });
});

describe('validation in its own terms', () => {
  it('names the path of every problem', () => {
    const errors = validateSsExporterConfig({
      logic: {
        metrics: { gauges: { active: true, rttt: { active: true } } },
        compression: { labelFolding: 'squash' },
        selection: { peering: { networks: ['10.0.0.0/33'] }, portRanges: [{ lower: 9000, upper: 80 }] },
      },
    });
    expect(errors).toContain('logic.metrics.gauges.rttt: unknown key (did you mean "rtt"?)');
    expect(errors).toContain('logic.compression.labelFolding: must be one of "raw_endpoint", "pid_condensed"');
    const semantic = validateSsExporterConfig({
      logic: { selection: { peering: { networks: { exclude: ['10.0.0.0/33'] } }, portranges: [{ lower: 9000, upper: 80 }] } },
    });
    expect(semantic).toEqual([
      'logic.selection.peering.networks.exclude[0]: invalid CIDR network: "10.0.0.0/33" has an invalid prefix length (0 to 32)',
      'logic.selection.portranges[0]: lower (9000) is above upper (80)',
    ]);
  });

  it('refuses unknown top-level keys and throws a coded error on translate', () => {
    expect(validateSsExporterConfig({ logic: {}, extra: 1 })).toEqual(['extra: unknown key (known keys: logic)']);
    expect(isSsExporterConfig({ flows: {} })).toBe(false);
    try {
      translateSsExporterConfig({ logic: { selection: { portRanges: [{ lower: 1 }] } } });
      expect.unreachable();
    } catch (err) {
      expect(isSockscopeError(err) && err.code).toBe('ERR_CONFIG_INVALID');
    }
  });

  it('gives a native section that the native validator accepts as is', () => {
    const { flows } = translateSsExporterConfig(ssReadmeExamples.edge);
    expect(resolveFlowsConfig(flows)).toEqual(flows);
  });
});
