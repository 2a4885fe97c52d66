import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeControlledPlugin } from './controlled-plugin.js';
import { httpGet, startCli, logEntries as entries, type LogEntry } from './run-cli.js';


async function until(check: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('collector failures and timeouts are logged once per state change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ok → failed warns once with name, duration and error; failed → ok says recovered once; a timeout warns once; --log.level debug logs each collection', async () => {
    writeControlledPlugin(dir);
    const control = join(dir, 'control');
    writeFileSync(control, 'ok');
    const file = join(dir, 'sockscope.yaml');
    writeFileSync(file, `plugins: [sockscope-plugin-controlled]\ncollection: { min_interval: 0, timeout: 300ms }\ncollectors:\n  controlled: { control_file: ${JSON.stringify(control)} }\n`);
    const cli = await startCli(['--config', file, '--log.level', 'debug'], { cwd: dir });
    try {
      const collections = () => entries(cli).filter((e) => e.msg === 'collection');
      await until(() => collections().length === 1); // the start-up collection
      const scrape = async (times: number) => {
        for (let i = 0; i < times; i++) expect((await httpGet(cli.port, '/metrics')).status).toBe(200);
      };
      await scrape(2);
      writeFileSync(control, 'fail');
      await scrape(3);
      writeFileSync(control, 'ok');
      await scrape(2);
      writeFileSync(control, 'slow');
      await scrape(2);
      writeFileSync(control, 'ok');
      await scrape(1);

      const about = entries(cli).filter((e) => e.collector === 'controlled' && e.msg !== 'collection');
      expect(about.map((e) => `${e.level} ${e.msg}`)).toEqual([
        'warn collector failed',
        'info collector recovered',
        'warn collector timed out',
        'info collector recovered',
      ]);
      const [failed, recovered, timedOut] = about as [LogEntry, LogEntry, LogEntry];
      expect(failed).toMatchObject({ err: 'the control file says fail' });
      expect(typeof failed.duration_seconds).toBe('number');
      expect(typeof recovered.duration_seconds).toBe('number');
      expect(timedOut).toMatchObject({ err: 'collector controlled timed out after 300 ms', code: 'ERR_COLLECTOR_TIMEOUT' });
      expect(timedOut.duration_seconds).toBeGreaterThanOrEqual(0.3);

      // one debug summary per collection: the start-up one and one per scrape
      expect(collections()).toHaveLength(1 + 10);
      for (const c of collections()) {
        expect(c.level).toBe('debug');
        expect(c.sockets).toBeGreaterThan(0);
        expect(c.series).toBeGreaterThan(0);
        expect(typeof c.duration_seconds).toBe('number');
        expect(c.collectors).toMatch(/(^| )controlled=[\d.]+s/);
        expect(c.collectors).toMatch(/(^| )linux-netlink=[\d.]+s/);
      }
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('at the default level no per-collection line is logged', async () => {
    const cli = await startCli([]);
    try {
      for (let i = 0; i < 3; i++) await httpGet(cli.port, '/metrics');
      expect(entries(cli).filter((e) => e.msg === 'collection')).toEqual([]);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
