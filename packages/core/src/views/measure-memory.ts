// Measures what the connections fold's rows cost in memory (not a test, no timing asserted):
//   cd packages/core && node ../../node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild \
//     src/views/measure-memory.ts --bundle --platform=node --format=esm --outfile=/tmp/measure-memory.mjs \
//     && node --expose-gc /tmp/measure-memory.mjs 30000
// It folds N random established sockets (shared process strings, as the process enricher hands
// them over), drops the records, and prints the heap the snapshot holds (rows and the address
// strings they keep) per row, and the time one detailed and one
// aggregated answer take. README.md quotes its output.
import { prng, randomSockets } from '../flows/sockets.fixture.js';
import { foldRecords } from '../pipeline/list.js';
import type { SocketRecord } from '../types/socket.js';
import { queryConnections } from './answer.js';
import { createConnectionsFold } from './connections-fold.js';
import { parseConnectionsQuery } from './query.js';

const gc = (globalThis as { gc?: () => void }).gc;
const n = Number(process.argv[2] ?? 30000);
if (!gc) throw new Error('run with node --expose-gc');
const fold = createConnectionsFold({ userName: (uid) => (uid === 0 ? 'root' : undefined), portName: (p) => (p === 443 ? 'https' : undefined) });
// warm up: compile the fold's code and fill its memos before measuring
foldRecords(createConnectionsFold(), Date.now(), randomSockets(prng(2), 2000));
gc();
const before = process.memoryUsage().heapUsed;
let sockets: SocketRecord[] | undefined = randomSockets(prng(1), n);
// one ProcessInfo per pid and one ContainerInfo per container, as the enrichers hand them over
const processes = new Map<number, SocketRecord['process']>();
const containers = new Map<string, SocketRecord['container']>();
for (const s of sockets) {
  if (s.process) {
    const p = processes.get(s.process.pid);
    if (p) s.process = p;
    else processes.set(s.process.pid, s.process);
  }
  if (s.container?.id) {
    const c = containers.get(s.container.id);
    if (c) s.container = c;
    else containers.set(s.container.id, s.container);
  }
}
const snapshot = foldRecords(fold, Date.now(), sockets);
sockets = undefined; // the records go; what the rows share of them (addresses, names) stays
gc();
const after = process.memoryUsage().heapUsed;
const per = (after - before) / snapshot.rows.length;
let t = performance.now();
const detailed = queryConnections(snapshot, parseConnectionsQuery({ limit: '100000' }));
const detailedMs = performance.now() - t;
const json = JSON.stringify(detailed).length;
t = performance.now();
const aggregated = queryConnections(snapshot, parseConnectionsQuery({ view: 'aggregated', limit: '100000' }));
const aggregatedMs = performance.now() - t;
process.stdout.write(
  `${snapshot.rows.length} rows: ${((after - before) / 1048576).toFixed(1)} MiB of heap, ${per.toFixed(0)} bytes a row\n` +
    `detailed answer ${detailedMs.toFixed(0)} ms, ${(json / 1048576).toFixed(1)} MiB of JSON; aggregated answer ${aggregatedMs.toFixed(0)} ms, ${aggregated.rows?.length} rows\n`,
);
