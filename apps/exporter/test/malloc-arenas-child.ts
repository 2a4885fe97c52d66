// Run by malloc-arenas.test.ts in a fresh process: limits malloc's arenas (unless argv[2] is
// `no-limit`), then starts six worker threads that each allocate 10 MB of ArrayBuffers (malloc'd
// memory, not V8's heap) at once. glibc's malloc_stats(3) lists its arenas on stderr before the
// call and after the threads, between marker lines; the report goes to stdout as JSON.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { limitMallocArenas } from '../src/malloc-arenas.js';

const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
const libc = koffi.load('libc.so.6');
const mallocStats = libc.func('void malloc_stats(void)');

// `thresholds` (argv[3]): malloc 1 MiB, free it, malloc 1 MiB again, and report how many bytes
// that second block added to those glibc holds mmap'd (mallinfo2's hblkhd, its fifth size_t): with the dynamic
// threshold the free raised it to 1 MiB and the second block comes from the heap (0 bytes mmap'd);
// with the threshold fixed at 128 KiB it is mmap'd (1 MiB and a page).
async function mmapAfterFree(): Promise<number> {
  const malloc = libc.func('void *malloc(size_t size)');
  const free = libc.func('void free(void *ptr)');
  const MallInfo2 = koffi.struct('mallinfo2_t', { arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t', usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t' });
  const mallinfo2 = libc.func('mallinfo2', MallInfo2, []);
  const mmapped = () => Number((mallinfo2() as { hblkhd: number | bigint }).hblkhd);
  free(malloc(1 << 20));
  const before = mmapped(); // other blocks the process holds mmap'd
  const b = malloc(1 << 20);
  const held = mmapped() - before;
  free(b);
  return held;
}
// stderr is a pipe here: Node writes it synchronously, so the markers and glibc's lines stay in order
process.stderr.write('-- before\n');
mallocStats();
const report = process.argv[2] === 'no-limit' ? undefined : await limitMallocArenas();
if (process.argv[3] === 'thresholds') {
  process.stdout.write(`${JSON.stringify({ report, mmapAfterFree: await mmapAfterFree() })}\n`);
  process.exit(0);
}
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
