// The /health prober's own thread (see health-probe.mjs): asks `url` every `everyMs` until told to
// stop, one request at a time over one kept-alive connection, and posts what it measured. On a
// thread of its own, a bench busy reading a 90 MB exposition does not delay reading the answers.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

const { url, everyMs } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
const errors = [];
let failed = 0;
let newConnections = 0;
let done = false;
const start = performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
parentPort.on('message', (m) => {
  if (m === 'stop') done = true;
});
const once = () =>
  new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 30_000 }, (res) => res.resume().on('end', () => resolve(req.reusedSocket)).on('error', reject));
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
for (let next = performance.now(); !done; ) {
  const wait = next - performance.now();
  if (wait > 0) await sleep(wait);
  if (done) break;
  const t0 = performance.now();
  try {
    const reused = await once();
    if (!reused) newConnections++;
    latencies.push({ t: Number(((t0 - start) / 1000).toFixed(3)), ms: Number((performance.now() - t0).toFixed(2)) });
  } catch (err) {
    failed++;
    newConnections++; // a failed request may have opened (and lost) a connection; counted as one
    if (errors.length < 5) errors.push(err.message);
  }
  next = Math.max(next + everyMs, performance.now());
}
agent.destroy();
parentPort.postMessage({ latencies, failed, newConnections, errors });
