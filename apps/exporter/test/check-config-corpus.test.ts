import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './run-cli.js';

const CORPUS = fileURLToPath(new URL('./check-config-corpus/', import.meta.url));
const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<string, string[]>;
const NOT_CASES = new Set(['expected.json', 'README.md', 'plugins']);

/** Runs check-config on a file of the corpus (relative, as an operator types it) and times it. */
async function check(file: string, cwd = CORPUS): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  const r = await runCli(['check-config', file], { cwd });
  return { ...r, ms: performance.now() - started };
}

/**
 * What every broken config must give: exit 2 within 2 s, nothing on stdout, no stack trace, and
 * stderr made only of a one-line failure (`sockscope: …`), the `FILE: N errors` header and
 * indented `path: message` lines.
 */
function expectRefused(r: CliResult & { ms: number }, file: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.ms).toBeLessThan(2000);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/internal error|Error \[ERR_/);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    const ok = line.startsWith('sockscope: ') || line.startsWith('warning: ') || line.startsWith(`${file}: `) || /^ {2}\S+: \S/.test(line);
    expect(ok, `not a "path: message" line: ${JSON.stringify(line)}`).toBe(true);
  }
}

describe('check-config on a corpus of broken configs', () => {
  it('has at least 25 cases, and an expectation for every file in the corpus', () => {
    const files = readdirSync(CORPUS).filter((f) => !NOT_CASES.has(f));
    expect(files.sort()).toEqual(Object.keys(expected).filter((f) => f !== 'missing.yaml').sort());
    expect(Object.keys(expected).length + 1).toBeGreaterThanOrEqual(25 + 1); // + the 50 MB file below
    expect(existsSync(join(CORPUS, 'missing.yaml'))).toBe(false);
  });

  it.each(Object.entries(expected))('%s: exit 2 within 2 s, every error as path: message', async (file, lines) => {
    const r = await check(file);
    expectRefused(r, file);
    for (const l of lines) expect(r.stderr).toContain(l);
  });

  it('a 50 MB file: refused before it is read, in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-corpus-'));
    const big = join(dir, 'fifty-megabytes.yaml');
    writeFileSync(big, Buffer.alloc(50 * 1024 * 1024, 'a: 1\n'));
    const r = await check('fifty-megabytes.yaml', dir);
    expectRefused(r, 'fifty-megabytes.yaml');
    expect(r.stderr).toBe('sockscope: config file fifty-megabytes.yaml is 50 MiB: a config file is at most 1 MiB (is this the right file?)\n');
  });
});
