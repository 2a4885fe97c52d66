import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
