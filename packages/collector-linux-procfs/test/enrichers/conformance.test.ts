import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, directionEnricher, enrichRecords, listSockets, type SocketRecord } from '@sockscope/core';
import { describeEnricherConformance } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerEnricher } from '../../src/plugins/container.js';
import { linuxProcfsSocketsCollector } from '../../src/plugins/linux-procfs-sockets.js';
import { processEnricher } from '../../src/plugins/process.js';
import { fdInode, handleFd, ownSocketInodes, tcpPair, udpPair, type TcpPair } from '../sockets/loopback.js';

// The shared suite (packages/test-utils/src/enricher-suite.ts) checks, for each enricher: the
// registry accepts it and orders it after the enrichers it names; on live records the list form
// (enrichRecords) and the record-by-record form (prepare, enrich each, finish) give deep-equal
// records and warnings, and at least one record is changed; close() twice is safe; a record it
// cannot enrich is a coded warning, not a throw. The test at the end shows what the three
// enrichers in a row give this process's own sockets.
//
// The enrichers' conformance on live records: this test holds loopback connections open (TCP
// over IPv4 and IPv6, UDP bound and connected) and the procfs socket collector reads them; only
// this process's own sockets are enriched, so the host's other sockets coming and going between
// two reads cannot make the two forms differ.
const live = process.platform === 'linux';
let pairs: TcpPair[] = [];
let udps: Awaited<ReturnType<typeof udpPair>>[] = [];
beforeAll(async () => {
  if (!live) return;
  pairs = await Promise.all([tcpPair('127.0.0.1'), tcpPair('::1')]);
  udps = await Promise.all([udpPair('udp4'), udpPair('udp6')]);
});
afterAll(async () => {
  await Promise.all(pairs.map((p) => p.close()));
  for (const u of udps) u.close();
});

/** This process's sockets as the procfs socket collector reads them. */
async function ownRecords(): Promise<SocketRecord[]> {
  const collector = await linuxProcfsSocketsCollector.create(createPluginContext(linuxProcfsSocketsCollector, { tables: ['tcp', 'tcp6', 'udp', 'udp6'] }));
  try {
    const { sockets } = await listSockets(collector);
    const mine = ownSocketInodes();
    return sockets.filter((s) => mine.has(s.inode));
  } finally {
    await collector.close();
  }
}

// A hand-made /proc where pid 4242 holds socket 777 but its stat and cgroup are directories:
// neither enricher can read them (EISDIR, not "the process exited").
const badProc = mkdtempSync(join(tmpdir(), 'sockscope-procfs-unreadable-'));
mkdirSync(join(badProc, '4242', 'fd'), { recursive: true });
mkdirSync(join(badProc, '4242', 'stat'));
mkdirSync(join(badProc, '4242', 'cgroup'));
symlinkSync('socket:[777]', join(badProc, '4242', 'fd', '3'));
afterAll(() => rmSync(badProc, { recursive: true, force: true }));
const socket777: SocketRecord = { protocol: 'tcp', family: 'ipv4', state: 'LISTEN', local: { address: '127.0.0.1', port: 80 }, remote: { address: '0.0.0.0', port: 0 }, inode: 777, uid: 0, recvQueue: 0, sendQueue: 0 };

describeEnricherConformance({
  definition: processEnricher,
  config: {},
  live,
  records: ownRecords,
  unenrichable: { config: { procfs_path: badProc }, records: () => [structuredClone(socket777)] },
});

describeEnricherConformance({
  definition: containerEnricher,
  config: {},
  live,
  // what the container enricher receives in the agent: records the process enricher went through
  records: async () => {
    const records = await ownRecords();
    const process = await processEnricher.create(createPluginContext(processEnricher, {}));
    await enrichRecords(process, records);
    await process.close();
    return records;
  },
  unenrichable: { config: { procfs_path: badProc }, records: () => [{ ...structuredClone(socket777), process: { pid: 4242, comm: 'x', startTime: 1 } }] },
});

// Core's direction enricher (core cannot depend on test-utils, so its conformance runs here, on
// the same live records): the list form and the record-by-record form must agree.
describeEnricherConformance({
  definition: directionEnricher,
  config: {},
  live,
  records: ownRecords,
});

describe.runIf(live)('process, container and direction on this process\'s own sockets', () => {
  it('names this process as the owner of both ends and the listener, and tells the listener from the connections', async () => {
    const records = await ownRecords();
    const enrichers = [
      await processEnricher.create(createPluginContext(processEnricher)),
      await containerEnricher.create(createPluginContext(containerEnricher)),
      await directionEnricher.create(createPluginContext(directionEnricher)),
    ];
    for (const enricher of enrichers) {
      const { warnings } = await enrichRecords(enricher, records);
      expect(warnings ?? []).toEqual([]);
      await enricher.close();
    }
    const pair = pairs[0] as TcpPair;
    const byInode = (inode: number) => records.find((s) => s.inode === inode);
    const listener = byInode(fdInode(handleFd(pair.server)));
    const client = byInode(fdInode(handleFd(pair.client)));
    expect(listener).toMatchObject({ state: 'LISTEN', direction: 'listen', process: { pid: process.pid } });
    // loopback on both sides: the peer is this host
    expect(client).toMatchObject({ state: 'ESTABLISHED', direction: 'local', process: { pid: process.pid } });
  });
});
