import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: 2 rule files found/);
  });

  it('check rules counts every rule', () => {
    const out = promtool('check', 'rules', 'rules/network-alerts.yml', 'rules/network-recording.yml');
    expect(out).toContain('SUCCESS: 14 rules found');
    expect(out).toContain('SUCCESS: 11 rules found');
  });

  it('test rules: alerts fire on sick series and stay quiet on healthy ones; recordings compute', () => {
    const out = promtool('test', 'rules', join('rules/tests/network-alerts.test.yml'), join('rules/tests/network-recording.test.yml'));
    expect(out.match(/SUCCESS/g)).toHaveLength(2);
  });
});
