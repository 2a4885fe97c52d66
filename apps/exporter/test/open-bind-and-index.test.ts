import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPEN_BIND_WARNING } from '@sockscope/sink-prometheus';
import { describe, expect, it } from 'vitest';
import { httpGet, startCli } from './run-cli.js';

/** Resolves once the CLI has logged its `started` line (the sink warns after it listens). */
async function started(cli: { stderr(): string }): Promise<void> {
  for (let i = 0; i < 100 && !cli.stderr().includes('"msg":"started"'); i++) await new Promise((r) => setTimeout(r, 50));
  expect(cli.stderr()).toContain('"msg":"started"');
}

// The agent tells the Prometheus sink whether --web.config.file secures its server and which
// plugins exist: the sink warns about an open bind and lists descriptions on the index page.
describe('open bind warning and index page, from the real CLI', () => {
  it('warns once when /metrics is served on every interface without --web.config.file, and lists plugin descriptions on /', async () => {
    const cli = await startCli(['--web.listen-address', ':0']);
    try {
      await started(cli);
      expect(cli.stderr().split(OPEN_BIND_WARNING).length - 1).toBe(1);
      const index = (await httpGet(cli.port, '/')).body;
      expect(index).toContain('linux-netlink');
      expect(index).toContain('Serves /metrics');
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('does not warn when --web.config.file is given (the server the agent builds has auth)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-open-bind-'));
    try {
      // basic auth only (bcrypt of "pw", cost 4): secured, no TLS needed for the point made here
      const file = join(dir, 'web.yml');
      writeFileSync(file, 'basic_auth_users:\n  prom: $2a$04$8iFfEFdh1fGsPJqM4b1v6eq8RjB8.CvqaG0mVgJzjK1nA8o9aIcd6\n');
      const cli = await startCli(['--web.listen-address', ':0', '--web.config.file', file]);
      try {
        await started(cli);
        expect(cli.stderr()).not.toContain(OPEN_BIND_WARNING);
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
