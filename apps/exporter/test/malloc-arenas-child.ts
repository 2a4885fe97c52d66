// Run by malloc-arenas.test.ts in a fresh process: limits malloc's arenas (unless argv[2] is
// `no-limit`), then starts six worker threads that each allocate 10 MB of ArrayBuffers (malloc'd
// memory, not V8's heap) at once. glibc's malloc_stats(3) lists its arenas on stderr before the
// call and after the threads, between marker lines; the report goes to stdout as JSON.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { limitMallocArenas } from '../src/malloc-arenas.js';

const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
const mallocStats = koffi.load('libc.so.6').func('void malloc_stats(void)');
// stderr is a pipe here: Node writes it synchronously, so the markers and glibc's lines stay in order
process.stderr.write('-- before\n');
mallocStats();
const report = process.argv[2] === 'no-limit' ? undefined : await limitMallocArenas();
const WORKER = `
  const { parentPort } = require('node:worker_threads');
  const keep = [];
  for (let i = 0; i < 200; i++) keep.push(new ArrayBuffer(50000));
  parentPort.postMessage(keep.length);
  setTimeout(() => keep.length, 2000);
`;
const workers = await Promise.all(
  Array.from({ length: 6 }, () => new Promise<Worker>((resolve) => {
    const w = new Worker(WORKER, { eval: true });
    w.once('message', () => resolve(w));
  })),
);
process.stderr.write('-- after\n');
mallocStats();
process.stdout.write(`${JSON.stringify({ report })}\n`);
await Promise.all(workers.map((w) => w.terminate()));
