import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { httpGet, startCli, logEntries as entries } from './run-cli.js';


async function until<T>(get: () => T | undefined, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether anything accepts a TCP connection on 127.0.0.1:port now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sockscope-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A third-party collector package that publishes `series` gauges with long labels: an exposition
 * of many megabytes without holding thousands of sockets. Written into `<dir>/node_modules`.
 */
function writeBigPlugin(series: number): string {
  const pkg = join(dir, 'node_modules', 'sockscope-plugin-big');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'sockscope-plugin-big', version: '1.0.0', type: 'module', exports: './index.js' }));
  writeFileSync(
    join(pkg, 'index.js'),
    `const samples = Array.from({ length: ${series} }, (_, i) => ({ labels: { peer: '10.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255) + ':' + (40000 + (i % 20000)), command: 'a-rather-long-worker-process-name-' + i }, value: i }));
export default {
  kind: 'collector', name: 'big', description: 'Publishes many series', platforms: ['any'], coreMajor: 0, provides: ['families'],
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  create() {
    return { async stream() { return { families: [{ name: 'sockscope_big_value', help: 'Many series.', type: 'gauge', samples }] }; }, async close() {} };
  },
};
`,
  );
  const config = join(dir, 'big.yaml');
  writeFileSync(config, 'plugins: [sockscope-plugin-big]\ncollectors:\n  big: {}\n');
  return config;
}

describe('SIGUSR1 opens Node\'s inspector on 127.0.0.1:9229 (issue 15)', () => {
  it.each([
    ['node with the CLI flags', false],
    ['cli.js through its shebang', true],
  ])('started as %s, SIGUSR1 logs a state summary, nothing listens on 9229, and the agent keeps serving', async (_how, direct) => {
    // another process's inspector would make the check meaningless
    expect(await listening(9229)).toBe(false);
    const cli = await startCli([], { direct });
    try {
      await until(() => (entries(cli).some((e) => e.msg === 'started') ? true : undefined), 10_000, 'started');
      await httpGet(cli.port, '/metrics');
      cli.child.kill('SIGUSR1');
      const state = await until(() => entries(cli).find((e) => e.msg === 'state'), 5000, 'the state line');
      expect(state).toMatchObject({ level: 'info', signal: 'SIGUSR1', inspector: 'off (SIGUSR1 logs this summary instead)', sinks: expect.stringContaining('prometheus') });
      expect(state.connections_open).toEqual(expect.any(Number));
      expect(state.connections_max).toBe(512);
      expect(state.scrapes_in_flight).toBe(0);
      expect(state.sockets).toEqual(expect.any(Number));
      expect(state.failed_collectors).toEqual(expect.any(String));
      // the inspector would say so on stderr and listen within a few ms
      await new Promise((r) => setTimeout(r, 300));
      expect(await listening(9229)).toBe(false);
      expect(cli.stderr()).not.toContain('Debugger listening');
      // a second one, too
      cli.child.kill('SIGUSR1');
      await until(() => (entries(cli).filter((e) => e.msg === 'state').length === 2 ? true : undefined), 5000, 'the second state line');
      expect(await listening(9229)).toBe(false);
      expect((await httpGet(cli.port, '/-/healthy')).status).toBe(200);
      expect(cli.child.exitCode).toBeNull();
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe('SIGTERM has no deadline (issue 15): --web.shutdown-timeout bounds the wait for in-flight scrapes', () => {
  it('a client reading /metrics of a big exposition very slowly keeps the CLI no longer than --web.shutdown-timeout: it exits 0 and logs the cut scrape', async () => {
    const config = writeBigPlugin(150_000);
    const cli = await startCli(['--config', config, '--web.shutdown-timeout', '1s'], { cwd: dir });
    let exited = false;
    cli.child.on('exit', () => (exited = true));
    try {
      // a reader that takes a little every 200 ms
      const slow = net.connect({ port: cli.port, host: '127.0.0.1' });
      await once(slow, 'connect');
      slow.on('error', () => undefined);
      slow.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      let got = 0;
      slow.on('data', (d: Buffer) => {
        got += d.length;
        slow.pause();
        setTimeout(() => slow.resume(), 200);
      });
      await until(() => (got > 0 ? true : undefined), 15_000, 'the first bytes of /metrics');
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      const code = await Promise.race([cli.stop('SIGTERM'), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8000))]);
      const took = Date.now() - t0;
      expect(code).toBe(0);
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(4000);
      const cut = entries(cli).find((e) => e.msg === 'shutdown timeout: cutting the requests still in flight');
      expect(cut).toMatchObject({ level: 'warn', shutdown_timeout: '1s', cut: 1 });
      expect(String(cut?.requests)).toMatch(/^GET \/metrics \(\d+\.\d+s, \d+ bytes sent\)$/);
      // the exposition is many MB: the client had read a small part of it
      expect(got).toBeLessThan(8_000_000);
      slow.destroy();
    } finally {
      if (!exited) cli.child.kill('SIGKILL');
    }
  }, 40_000);
});

describe('SIGTERM while the agent is still starting', () => {
  it('exits 0 once started instead of dying on the signal (the handlers are in place from the first line of serve)', async () => {
    // startCli resolves on the sink's "listening" line, before startAgent has returned: the
    // signal lands in the window where no SIGTERM handler existed before
    for (let i = 0; i < 5; i++) {
      const cli = await startCli([]);
      expect(await cli.stop('SIGTERM')).toBe(0);
    }
  }, 30_000);
});
