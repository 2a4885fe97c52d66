// Asks sockscope's /health again and again while a scrape or a soak runs: how long an answer
// takes is how long the agent's event loop was blocked, seen from outside. The asking runs on a
// thread of its own: on the bench's main thread, answers waited while the bench itself read a big
// exposition (counting 400k series of a 40 MB text blocked it 50-150 ms), which was then charged
// to the agent.
import { Worker } from 'node:worker_threads';
import { progress } from './measure.mjs';

/**
 * Starts asking `url` every `everyMs` (one request at a time, one kept-alive connection).
 * `stop()` resolves `{ latencies: [{ t, ms }], failed, newConnections }` (requests that had to
 * open a connection: each is closed by then).
 */
export function startHealthProbe(url, everyMs) {
  const worker = new Worker(new URL('./health-probe-thread.mjs', import.meta.url), { workerData: { url, everyMs } });
  const result = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the /health probe thread exited (code ${code}) before it reported`)));
  });
  result.catch(() => undefined);
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await result;
      for (const e of r.errors) progress(`health probe failed: ${e}`);
      await worker.terminate();
      return { latencies: r.latencies, failed: r.failed, newConnections: r.newConnections };
    },
  };
}
