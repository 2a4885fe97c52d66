import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_NODE_FLAGS } from '../src/node-flags.js';
import { CLI, httpGet, runCli, startCli, type CliResult } from './run-cli.js';

const CORPUS = fileURLToPath(new URL('./check-config-corpus/', import.meta.url));
const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<string, string[]>;
const NOT_CASES = new Set(['expected.json', 'README.md', 'plugins', 'valid', 'slow']);
/** Files that hold no settings: valid, the embedded default. */
const VALID = readdirSync(join(CORPUS, 'valid')).sort();

/** The environment without OTEL_* variables, which would turn the OTLP sink on and change what is checked. */
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));

/** serve must refuse a broken config on its own: it is killed (and the test fails) after this long. */
const SERVE_DEADLINE_MS = 15_000;

/** Runs check-config on a file of the corpus (relative, as an operator types it) and times it. */
async function check(file: string, cwd = CORPUS): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  const r = await runCli(['check-config', file], { cwd, env: CLEAN_ENV });
  return { ...r, ms: performance.now() - started };
}

/**
 * What every broken config must give: exit 2 quickly (the goal is 2 s; runs here take 0.3–1.1 s
 * including Node's start, and the bound is 5 s so a test file running beside the live-socket ones
 * on a loaded 2-core machine does not fail on scheduling), nothing on stdout, no stack trace, and
 * stderr made only of a one-line failure (`sockscope: …`), the `FILE: N errors` header and
 * indented `path: message` lines.
 */
function expectRefused(r: CliResult & { ms: number }, file: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.ms).toBeLessThan(5000);
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

/**
 * Runs `sockscope --config FILE` (serve) as an operator would, with no listen-address flag (the
 * config's own must be checked) and a 96 MiB heap (refusing a config needs no big memory: an alias
 * bomb or a deep nesting that were expanded would not fit). It must exit on its own; after
 * {@link SERVE_DEADLINE_MS} it is killed and the exit code is null.
 */
function serve(file: string, cwd = CORPUS, env: NodeJS.ProcessEnv = CLEAN_ENV): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_NODE_FLAGS, '--max-old-space-size=96', CLI, '--config', file], { cwd, env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), SERVE_DEADLINE_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/**
 * What a refusal says, without its header (check-config's `FILE: N errors`, serve's
 * `sockscope: config FILE has N errors`) and check-config's warnings: the `path: message` lines,
 * or the one-line failure.
 */
function refusalLines(stderr: string, file: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('warning: '))
    .filter((l) => !new RegExp(`^(${escape(file)}: \\d+ errors?|sockscope: config ${escape(file)} has \\d+ errors?)$`).test(l));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('check-config on a corpus of broken configs', () => {
  it('has at least 44 cases (issue 15), and an expectation for every file in the corpus', () => {
    const files = readdirSync(CORPUS).filter((f) => !NOT_CASES.has(f));
    expect(files.sort()).toEqual(Object.keys(expected).filter((f) => f !== 'missing.yaml').sort());
    expect(Object.keys(expected).length + 1).toBeGreaterThanOrEqual(44 + 1); // + the 50 MB file below
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

  it('an empty file is valid: the embedded default, said in the output (issue 15; issue 14 refused it on purpose, changed on purpose)', async () => {
    expect(VALID).toEqual(['empty.yaml', 'only-comments.yaml', 'only-whitespace.yaml']);
    for (const file of VALID) {
      const r = await runCli(['check-config', join('valid', file)], { cwd: CORPUS, env: CLEAN_ENV });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const why = file === 'only-comments.yaml' ? 'only comments' : 'empty';
      expect(r.stdout).toBe(`valid/${file}: valid (${why}: the embedded default)\n`);
    }
  });
});

describe('serve refuses every broken config of the corpus as check-config does (issue 15)', () => {
  it.each(Object.entries(expected))('%s: serve exits 2 on its own, with the same lines as check-config', async (file, lines) => {
    const [checked, served] = [await check(file), await serve(file)];
    expect(served.code, `serve did not exit 2 on its own:\n${served.stderr}`).toBe(2);
    expect(served.stdout).toBe('');
    expect(served.stderr).not.toMatch(/\n\s+at /);
    expect(served.stderr).not.toMatch(/"msg":"listening"|msg=listening/);
    for (const l of lines) expect(served.stderr).toContain(l);
    expect(refusalLines(served.stderr, file)).toEqual(refusalLines(checked.stderr, file));
  });

  it('a 50 MB file: serve refuses it before reading it, in the same line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-corpus-'));
    writeFileSync(join(dir, 'fifty-megabytes.yaml'), Buffer.alloc(50 * 1024 * 1024, 'a: 1\n'));
    const r = await serve('fifty-megabytes.yaml', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sockscope: config file fifty-megabytes.yaml is 50 MiB: a config file is at most 1 MiB (is this the right file?)\n');
  });

  it('an empty config file: serve runs on the embedded default', async () => {
    const cli = await startCli(['--config', join('valid', 'empty.yaml')], { cwd: CORPUS, env: CLEAN_ENV });
    try {
      const metrics = await httpGet(cli.port, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('sockscope_scrape_collector_success{collector="linux-procfs"} 1');
    } finally {
      await cli.stop();
    }
  });

  it('what the OTEL_* variables give the OTLP sink is checked by check-config as serve refuses it, under the key they stand in for', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'sinks.otlp.protocol: OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: '],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://127.0.0.1:4318' }, 'sinks.otlp.endpoint: OTEL_EXPORTER_OTLP_ENDPOINT="ftp://127.0.0.1:4318" is not an http(s) URL'],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRIC_EXPORT_INTERVAL: '3600000000' },
        'sinks.otlp.interval: OTEL_METRIC_EXPORT_INTERVAL="3600000000" must be at most 596h (2145600000 ms), the longest a timer can wait',
      ],
    ];
    const file = join('valid', 'empty.yaml');
    for (const [vars, line] of cases) {
      const env = { ...CLEAN_ENV, ...vars };
      const checked = await runCli(['check-config', file], { cwd: CORPUS, env });
      const served = await serve(file, CORPUS, env);
      expect(checked.code, checked.stderr).toBe(2);
      expect(served.code, served.stderr).toBe(2);
      expect(checked.stderr).toContain(`  ${line}`);
      expect(refusalLines(served.stderr, file)).toEqual(refusalLines(checked.stderr, file));
    }
  });

  it.each(['plugin-import-never-settles.yaml', 'plugin-import-waits-forever.yaml'])(
    'slow/%s: a plugin whose import never finishes is refused by both after 5 s, naming the plugin (it exited 0 silently, or hung)',
    async (name) => {
      const file = join('slow', name);
      const plugin = name === 'plugin-import-never-settles.yaml' ? '../plugins/never-settles.js' : '../plugins/waits-forever.js';
      const line = `  plugins[0]: plugin "${plugin}" (${join(CORPUS, 'plugins', plugin.slice('../plugins/'.length))}) did not finish loading within 5 s: `;
      const [checked, served] = await Promise.all([check(file), serve(file)]);
      for (const r of [checked, served]) {
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(line);
        expect(r.ms).toBeLessThan(SERVE_DEADLINE_MS);
      }
      expect(checked.stderr.startsWith(`${file}: 1 error\n`)).toBe(true);
      expect(refusalLines(served.stderr, file)).toEqual(refusalLines(checked.stderr, file));
    },
    30_000,
  );
});
