// The bench's spawner (see spawner.mjs): a small process that starts every timed reference
// command for the bench, so that the bench's own big process never forks during a measurement.
// Requests over IPC: `{ id, kind, file, args }`, kind `time` (stdout counted and dropped) or
// `output` (stdout kept too); stderr is kept either way (GNU time reports there); answers
// `{ id, ms, bytes, code, signal, stdout, stderr }` or `{ id, error }`.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** Most of a child's stdout (`output`) or stderr kept, in bytes: the rest is counted only. */
const KEEP_MAX = 1 << 20;

function run({ kind, file, args }) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length;
      if (kind === 'output' && stdout.length < KEEP_MAX) stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      if (stderr.length < KEEP_MAX) stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ ms: performance.now() - start, bytes, code, signal, stdout, stderr }));
  });
}

process.on('message', (m) => {
  run(m).then(
    (r) => process.send({ id: m.id, ...r }),
    (err) => process.send({ id: m.id, error: err.message }),
  );
});
// the bench going away (its end of the channel closed) ends this process too
process.on('disconnect', () => process.exit(0));
