import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplesOf, startHolder, waitFor, type Holder } from './connection-holders.js';
import { httpGet, startCli } from './run-cli.js';

// Issue 15: a server that closes its listening socket (graceful drain) turned its accepted
// connections into outbound flows keyed by the client's ephemeral port: under `service` folding
// 1 inbound series became 30. 30 clients connect to a server on a port below the ephemeral
// range; the server closes its listening socket (server.close() keeps the accepted ones).
const CLIENTS = 30;

describe.runIf(process.platform === 'linux')('a server that closes its listening socket (graceful drain) turns its accepted connections into outbound flows (real CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drained-listener-'));
  let server: Holder;
  let client: Holder;

  beforeAll(async () => {
    server = await startHolder('server', 'low');
    client = await startHolder('client', server.port);
    expect((await client.send(`open ${CLIENTS} 100`)).open).toBe(CLIENTS);
    await waitFor(async () => (await server.send('status')).received === CLIENTS * 100, 'the server to accept every client');
  });

  afterAll(async () => {
    await Promise.all([client?.close(), server?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the accepted connections stay one inbound series after the listener closes', async () => {
    const port = String(server.port);
    const clientPorts = new Set(((await client.send('status')).localPorts as number[]).map(String));
    expect(clientPorts.size).toBe(CLIENTS);
    const file = join(dir, 'sockscope.yaml');
    writeFileSync(file, `collection: { min_interval: 0s }\nflows: { folding: service, families: { flow_sockets: true }, selection: { include: { ports: ['${port}'] } } }\n`);
    const cli = await startCli(['--config', file]);
    /** The flow series of these connections, as `direction endpoint sockets`. */
    const series = async () => {
      const body = (await httpGet(cli.port, '/metrics')).body;
      return samplesOf(body, 'sockscope_flow_sockets')
        .filter((s) => s.labels.local_port === port || s.labels.dst_port === port || clientPorts.has(s.labels.dst_port ?? ''))
        .map((s) => `${s.labels.direction} ${s.labels.direction === 'inbound' ? `:${s.labels.local_port}` : `${s.labels.dst}:${s.labels.dst_port}`} ${s.value}`)
        .sort();
    };
    // the server's side folds onto its port, the clients' side onto where they go
    const expected = [`inbound :${port} ${CLIENTS}`, `outbound 127.0.0.1:${port} ${CLIENTS}`];
    try {
      expect(await series()).toEqual(expected);
      const closed = await server.send('close-listener');
      expect(closed).toMatchObject({ listening: false, open: CLIENTS });
      expect(await series()).toEqual(expected);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    // a fresh agent that never saw the listener: the ports decide (the server's port is not ephemeral, the clients' are)
    const fresh = await startCli(['--config', file]);
    try {
      const body = (await httpGet(fresh.port, '/metrics')).body;
      const inbound = samplesOf(body, 'sockscope_flow_sockets').filter((s) => s.labels.direction === 'inbound' && s.labels.local_port === port);
      expect(inbound.map((s) => s.value)).toEqual([CLIENTS]);
      expect(samplesOf(body, 'sockscope_flow_sockets').filter((s) => clientPorts.has(s.labels.dst_port ?? ''))).toEqual([]);
    } finally {
      expect(await fresh.stop()).toBe(0);
    }
  });
});
