import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, runCli, startCli } from './run-cli.js';

const MINIMAL = fileURLToPath(new URL('../../../examples/prometheus-ss-exporter/minimal.yaml', import.meta.url));

/** Family names of an exposition (from its TYPE lines). */
const familiesOf = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);

async function scrapeFamilies(configFile: string): Promise<string[]> {
  const cli = await startCli(['--config', configFile]);
  try {
    return familiesOf((await httpGet(cli.port, '/metrics')).body);
  } finally {
    expect(await cli.stop()).toBe(0);
  }
}

describe('the prometheus_ss_exporter profile publishes its families and sockscope self metrics only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compat-host-'));
  // an established loopback connection, so the per-flow families have a series
  const server = net.createServer();
  let client: net.Socket | undefined;
  beforeAll(async () => {
    server.listen({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
    await once(client, 'connect');
  });
  afterAll(() => {
    client?.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a logic: file publishes no host (node_*) family, only its own families and self metrics', async () => {
    const families = await scrapeFamilies(MINIMAL);
    expect(families.filter((f) => f.startsWith('node_'))).toEqual([]);
    expect(families).toEqual(expect.arrayContaining(['tcp_rtt', 'sockscope_scrape_collector_success', 'sockscope_scrape_collector_duration_seconds', 'sockscope_build_info']));
    expect(families.every((f) => /^(tcp_|sockscope_|process_|nodejs_)/.test(f))).toBe(true);
  });

  it('migrate-config says how to add the host families back; its output publishes the same, and with host_families: true the node_* families too', async () => {
    const migrated = await runCli(['migrate-config', MINIMAL]);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/^# host_families: true$/m);
    const asIs = join(dir, 'migrated.yaml');
    writeFileSync(asIs, migrated.stdout);
    const withHost = join(dir, 'with-host.yaml');
    writeFileSync(withHost, migrated.stdout.replace(/^# host_families: true$/m, 'host_families: true'));
    expect((await runCli(['check-config', withHost])).code).toBe(0);

    expect((await scrapeFamilies(asIs)).filter((f) => f.startsWith('node_'))).toEqual([]);
    const families = await scrapeFamilies(withHost);
    expect(families).toEqual(expect.arrayContaining(['tcp_rtt', 'node_network_receive_bytes_total', 'node_sockstat_sockets_used']));
  });

  it('a native config publishes the host families by default', async () => {
    const native = join(dir, 'native.yaml');
    writeFileSync(native, 'flows: { folding: peer }\n');
    expect(await scrapeFamilies(native)).toContain('node_network_receive_bytes_total');
  });
});
