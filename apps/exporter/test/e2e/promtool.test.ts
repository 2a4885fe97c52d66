import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/prometheus/', import.meta.url));

/** Runs promtool in the examples dir; returns stdout+stderr, throws (with that output) on a non-zero exit. */
function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: EXAMPLES, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('promtool on examples/prometheus', () => {
  it('check config accepts prometheus.yml and the rule files it loads', () => {
    // issue 21 adds rules/fleet.yml to the shipped config: 3 files
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: 3 rule files found/);
  });

  it('check rules counts every rule', () => {
    const out = promtool('check', 'rules', 'rules/network-alerts.yml', 'rules/network-recording.yml', 'rules/fleet.yml');
    expect(out).toContain('SUCCESS: 14 rules found');
    expect(out).toContain('SUCCESS: 11 rules found');
    expect(out).toContain('SUCCESS: 13 rules found');
  });

  it('test rules: alerts fire on sick series and stay quiet on healthy ones; recordings compute', () => {
    const out = promtool('test', 'rules', join('rules/tests/network-alerts.test.yml'), join('rules/tests/network-recording.test.yml'));
    expect(out.match(/SUCCESS/g)).toHaveLength(2);
  });
});

describe('promtool on the fleet map rules (issue 21)', () => {
  it('test rules: the join names client and server instances and workloads, folds replicas, keeps external and ambiguous addresses by address', () => {
    const out = promtool('test', 'rules', 'rules/tests/fleet.test.yml');
    expect(out).toMatch(/SUCCESS/);
    expect(out).not.toMatch(/FAILED/);
  });

  it('every fleet group has a series limit (the guard documented in examples/prometheus/README.md)', () => {
    const groups = (parseYaml(readFileSync(join(EXAMPLES, 'rules/fleet.yml'), 'utf8')) as { groups: { name: string; limit?: number }[] }).groups;
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.limit, g.name).toBeGreaterThan(0);
  });
});

describe('the fleet map over OTLP (examples/otel-collector, issue 21)', () => {
  const OTEL = fileURLToPath(new URL('../../../../examples/otel-collector/', import.meta.url));
  const GENERATOR = fileURLToPath(new URL('../../../../scripts/fleet/otlp-rules.mjs', import.meta.url));

  it('fleet-otlp.yml and its test are what scripts/fleet/otlp-rules.mjs makes of rules/fleet.yml and its test', () => {
    const out = mkdtempSync(join(tmpdir(), 'sockscope-fleet-otlp-'));
    try {
      execFileSync(process.execPath, [GENERATOR, out]);
      for (const f of ['fleet-otlp.yml', 'tests/fleet-otlp.test.yml']) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(OTEL, f), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('otel-collector.yaml (no collector binary here: what can be checked without one): the metrics pipeline names only defined components, ends in prometheusremotewrite, and makes resource attributes labels (host_name, the rules\' instance)', () => {
    type Section = Record<string, Record<string, unknown> | null>;
    const c = parseYaml(readFileSync(join(OTEL, 'otel-collector.yaml'), 'utf8')) as { receivers: Section; processors: Section; exporters: Section; service: { pipelines: { metrics: { receivers: string[]; processors: string[]; exporters: string[] } } } };
    const p = c.service.pipelines.metrics;
    const undefinedOnes = [...p.receivers.filter((r) => !(r in c.receivers)), ...p.processors.filter((r) => !(r in c.processors)), ...p.exporters.filter((r) => !(r in c.exporters))];
    expect(undefinedOnes).toEqual([]);
    expect(p.exporters).toContain('prometheusremotewrite');
    const rw = c.exporters.prometheusremotewrite as { endpoint: string; resource_to_telemetry_conversion: { enabled: boolean } };
    expect(rw.endpoint).toMatch(/\/api\/v1\/write$/);
    expect(rw.resource_to_telemetry_conversion.enabled).toBe(true);
  });

  it('promtool: the OTLP-named rules check and pass the same unit test on OTLP-named series', () => {
    const run = (...args: string[]) => execFileSync('promtool', args, { cwd: OTEL, encoding: 'utf8' });
    expect(run('check', 'rules', 'fleet-otlp.yml')).toContain('SUCCESS: 13 rules found');
    expect(run('test', 'rules', 'tests/fleet-otlp.test.yml')).toMatch(/SUCCESS/);
  });
});
