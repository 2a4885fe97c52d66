import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeControlledPlugin } from './controlled-plugin.js';
import { httpGet, startCli } from './run-cli.js';

interface Health {
  status: string;
  last_collection: { sockets: number } | null;
  collectors: { name: string; success: boolean }[];
}

const health = async (port: number) => JSON.parse((await httpGet(port, '/health')).body) as Health;

/** Polls /health (never /metrics) until `done` holds, or fails after `ms`. */
async function healthWhen(port: number, done: (h: Health) => boolean, ms: number): Promise<{ health: Health; afterMs: number }> {
  const t0 = performance.now();
  for (;;) {
    const h = await health(port);
    if (done(h)) return { health: h, afterMs: performance.now() - t0 };
    if (performance.now() - t0 > ms) throw new Error(`/health did not get there in ${ms} ms: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('start-up collection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-collection-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs one collection at start-up, so /health reports real collector status within a second without any scrape', async () => {
    const cli = await startCli([]);
    try {
      const { health: h, afterMs } = await healthWhen(cli.port, (x) => x.last_collection !== null, 1000);
      expect(afterMs).toBeLessThan(1000);
      expect(h.status).not.toBe('starting');
      expect(h.collectors.length).toBeGreaterThan(0);
      expect(h.last_collection?.sockets).toBeGreaterThan(0);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('runs it in the background: the listener answers while a slow collector holds the first collection', async () => {
    writeControlledPlugin(dir);
    const control = join(dir, 'control');
    writeFileSync(control, 'slow');
    const file = join(dir, 'slow.yaml');
    writeFileSync(file, `plugins: [sockscope-plugin-controlled]\ncollection: { timeout: 1500ms }\ncollectors:\n  controlled: { control_file: ${JSON.stringify(control)} }\n`);
    const cli = await startCli(['--config', file], { cwd: dir });
    try {
      // listening already, and the first collection is not done: no collector status yet
      const first = await health(cli.port);
      expect(first.last_collection).toBeNull();
      expect(first.collectors).toEqual([]);
      // it finishes by itself (the slow collector timed out), with no scrape asking for it
      const { health: h } = await healthWhen(cli.port, (x) => x.last_collection !== null, 5000);
      expect(h.status).toBe('degraded');
      expect(h.collectors.find((c) => c.name === 'controlled')).toMatchObject({ success: false });
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
