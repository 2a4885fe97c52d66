// Bundled by permissions.test.ts and run as user nobody: runs the process enricher over the real
// /proc on the records given as JSON in argv[2] and prints what it reported and found.
import { enrichRecords, type SocketRecord } from '@sockscope/core';
import { processEnricher } from '../../src/plugins/process.js';
import net from 'node:net';

const server = net.createServer().listen(0, '127.0.0.1', async () => {
  const notices: string[] = [];
  const ctx = { config: { procfs_path: '/proc', cache_size: 64 }, logger: console, platform: process.platform, reportOnce: (_k: string, m: string) => void notices.push(m) };
  const e = await processEnricher.create(ctx);
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const records = JSON.parse(process.argv[2] ?? '[]') as SocketRecord[];
  const { readlinkSync } = await import('node:fs');
  const ownInode = Number(/\d+/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[0]);
  records.push({ ...records[0]!, inode: ownInode });
  const first = await enrichRecords(e, records);
  const again = records.map((r) => ({ ...r, process: undefined }));
  await enrichRecords(e, again);
  process.stdout.write(JSON.stringify({ notices, first, owners: records.map((r) => r.process?.pid ?? null), me: process.pid }));
  server.close();
});
