// Loopback tools of the fault script: a GET that never throws, an OTLP/HTTP receiver that counts
// requests and answers as told, a client that reads an answer slowly, a process's descriptors.
import { execFileSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sleep } from './measure.mjs';

/**
 * One GET of `url`, uncompressed. Resolves `{ status, ms, bytes, body?, error? }`: status 0 with
 * `error` when no full answer came within `timeoutMs` (from the request to the last byte).
 * Never rejects. `keepBody` keeps the body as text.
 */
export function get(url, { headers = {}, timeoutMs = 10_000, agent, keepBody = false } = {}) {
  return new Promise((resolve) => {
    const start = performance.now();
    let settled = false;
    const done = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ms: performance.now() - start, bytes: 0, ...r });
    };
    const req = request(url, { headers: { 'accept-encoding': 'identity', ...headers }, agent }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('end', () => done({ status: res.statusCode, bytes, body: keepBody ? Buffer.concat(chunks).toString('utf8') : undefined }));
      res.on('error', (err) => done({ status: 0, error: err.code ?? err.message }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: 0, error: `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    req.on('error', (err) => done({ status: 0, error: err.code ?? err.message }));
    req.end();
  });
}

/** `Basic …` header value for `user:password`. */
export const basicAuth = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * An OTLP/HTTP receiver on 127.0.0.1 that only counts: `answer(n)` says how to answer the n-th
 * request (from 0): `{ status, headers }`; a 200 carries an empty ExportMetricsServiceResponse.
 * `requests` holds `{ at, status }` (`at`: performance.now() when it arrived).
 */
export async function startCountingReceiver(answer) {
  const requests = [];
  const server = createServer((req, res) => {
    const at = performance.now();
    req.resume();
    req.once('end', () => {
      const { status, headers = {} } = answer(requests.length);
      requests.push({ at, status });
      res.writeHead(status, { 'content-type': status === 200 ? 'application/x-protobuf' : 'text/plain', ...headers }).end();
    });
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Sends `GET path` to 127.0.0.1:port on a fresh connection and reads the answer `chunk` bytes
 * every `everyMs` at most (Node stops reading from the kernel once its own buffer is full, so
 * the sender sees a slow reader). `received` grows as it reads; `ended` once the agent closed.
 */
export function slowReader(port, path, { chunk = 4096, everyMs = 100 } = {}) {
  const socket = net.connect({ host: '127.0.0.1', port });
  const state = { received: 0, ended: false, error: undefined, rate: (chunk * 1000) / everyMs };
  socket.on('readable', () => {}); // paused mode: data stays in the buffer until read()
  socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n`));
  socket.on('error', (err) => (state.error = err.code ?? err.message));
  socket.once('close', () => (state.ended = true));
  const timer = setInterval(() => {
    const n = Math.min(chunk, socket.readableLength);
    const c = n > 0 ? socket.read(n) : null;
    if (c) state.received += c.length;
  }, everyMs);
  return Object.assign(state, {
    close() {
      clearInterval(timer);
      socket.destroy();
    },
  });
}

/** Resolves once `check()` is true; throws `what` after `timeoutMs`. */
export async function waitUntil(check, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/** How many descriptors a process holds, and its open-file limit (undefined when unreadable). */
export function descriptorsOf(pid) {
  try {
    const open = readdirSync(`/proc/${pid}/fd`).length;
    const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1]);
    return { open, limit: Number.isFinite(limit) ? limit : undefined };
  } catch {
    return { open: undefined, limit: undefined };
  }
}

/**
 * Bytes queued in the kernel on the TCP connections of a local port (Recv-Q plus Send-Q of both
 * ends, read with `ss`): what the agent has written that its client has not read yet.
 */
export function queuedBytes(port) {
  const out = execFileSync('ss', ['-tnH', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8' });
  let total = 0;
  for (const line of out.split('\n')) {
    const [, recvQ, sendQ] = line.trim().split(/\s+/);
    if (recvQ !== undefined) total += Number(recvQ) + Number(sendQ);
  }
  return total;
}
