// A holder process: keeps loopback TCP connections open for the bench, as the server side
// (`holder.mjs server HOST PORT`) or the client side (`holder.mjs client HOST PORT`).
// It reads one command per line on stdin and answers each with one JSON line on stdout;
// it exits when stdin closes, so it cannot outlive the bench. Commands: `status`; for a client
// `open N [BYTES] [CONNECT_TIMEOUT_MS]` (each new connection sends BYTES bytes once, 0: nothing,
// default a 6-byte greeting; a connect that takes longer than the timeout counts as an error) and
// `churn PER_SECOND`; for either `spread K`: K `sleep` processes take over its connections, an
// equal share each (the fds are inherited, the holder closes its own), so that each can be put
// in a cgroup of its own (the bench's fake containers); the reply lists their pids, and they are
// killed when the holder ends. Every reply says how many bytes the holder's connections received.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const [role, host, portText] = process.argv.slice(2);
const port = Number(portText);
if ((role !== 'server' && role !== 'client') || !host || !(port > 0)) {
  process.stderr.write('usage: holder.mjs server|client HOST PORT\n');
  process.exit(2);
}

// Ctrl-C reaches the whole process group: the bench, not the terminal, decides when holders end.
process.on('SIGINT', () => {});

const open = new Set(); // insertion order: the first is the oldest (closed first when churning)
let errors = 0;
let lastError = '';
let opened = 0;
let closed = 0;
let received = 0;
let churnTimer;
const sleepers = [];
const reply = (obj) => process.stdout.write(JSON.stringify({ role, port, open: open.size, errors, lastError, opened, closed, received, ...obj }) + '\n');
const noteError = (err) => {
  errors++;
  lastError = err.code ?? err.message;
};

function keep(socket) {
  open.add(socket);
  opened++;
  socket.on('error', noteError);
  socket.on('data', (d) => (received += d.length)); // read and drop (the client's greeting)
  socket.once('close', () => {
    if (open.delete(socket)) closed++;
  });
}

/**
 * Opens one connection; resolves true once it is established. It sends `bytes` bytes once (the
 * greeting when undefined; nothing for 0); a connect slower than `timeoutMs` (0: no limit) fails.
 */
function connectOne(bytes, timeoutMs = 0) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    if (timeoutMs > 0) socket.setTimeout(timeoutMs, () => fail(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.removeListener('error', fail);
      socket.setTimeout(0);
      keep(socket);
      // a few bytes each way make tcp_info's byte counters non-zero
      if (bytes === undefined) socket.write('hello\n');
      else if (bytes > 0) socket.write(Buffer.alloc(bytes, 0x61));
      resolve(true);
    });
    const fail = (err) => {
      noteError(err);
      socket.destroy();
      resolve(false);
    };
    socket.once('error', fail);
  });
}

/** Opens `count` connections, at most 256 handshakes in flight. */
async function openMany(count, bytes, timeoutMs) {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await connectOne(bytes, timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(256, count) }, worker));
}

/** Every 100 ms closes the oldest rate/10 connections and opens as many new ones. */
function churn(perSecond) {
  clearInterval(churnTimer);
  if (perSecond <= 0) return;
  const step = Math.max(1, Math.round(perSecond / 10));
  let inFlight = 0;
  churnTimer = setInterval(() => {
    let n = 0;
    for (const s of open) {
      if (n++ >= step) break;
      open.delete(s);
      closed++;
      s.destroy();
    }
    if (inFlight > step * 5) return; // the kernel is not keeping up: do not pile up handshakes
    for (let i = 0; i < step; i++) {
      inFlight++;
      connectOne().finally(() => inFlight--);
    }
  }, 100);
}

/**
 * Hands every open connection over to `k` new `sleep` processes (contiguous shares, sizes
 * differing by one at most). Closing the holder's fd does not close the connection: the sleeper's
 * copy keeps it open (no shutdown is sent), so the kernel now names the sleeper as its owner.
 */
function spread(k) {
  const sockets = [...open];
  if (!(k >= 1) || k > sockets.length) return reply({ error: `cannot spread ${sockets.length} connections over ${k} processes` });
  const pids = [];
  for (let i = 0; i < k; i++) {
    const share = sockets.slice(Math.floor((i * sockets.length) / k), Math.floor(((i + 1) * sockets.length) / k));
    const child = spawn('sleep', ['infinity'], { stdio: ['ignore', 'ignore', 'ignore', ...share.map((s) => s._handle.fd)] });
    sleepers.push(child);
    pids.push(child.pid);
    for (const s of share) {
      open.delete(s);
      s.destroy();
    }
  }
  return reply({ pids });
}

/** Kills the sleepers and waits until they have exited (reaped here, not left as zombies). */
async function endSleepers() {
  await Promise.all(sleepers.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((resolve) => {
    c.once('exit', resolve);
    c.kill('SIGKILL');
  }))));
}
process.on('exit', () => sleepers.forEach((c) => c.kill('SIGKILL')));
process.on('SIGTERM', () => endSleepers().finally(() => process.exit(0)));

async function handle(line) {
  const [cmd, arg, bytes, timeoutMs] = line.trim().split(/\s+/);
  if (cmd === 'status') return reply({});
  if (role === 'client' && cmd === 'open') {
    await openMany(Number(arg), bytes === undefined ? undefined : Number(bytes), Number(timeoutMs ?? 0));
    return reply({});
  }
  if (role === 'client' && cmd === 'churn') {
    churn(Number(arg));
    return reply({});
  }
  if (cmd === 'spread') return spread(Number(arg));
  return reply({ error: `unknown command "${line.trim()}" for a ${role} holder` });
}

const lines = createInterface({ input: process.stdin });
let chain = Promise.resolve();
lines.on('line', (line) => {
  chain = chain.then(() => handle(line));
});
lines.on('close', () => endSleepers().finally(() => process.exit(0)));

if (role === 'server') {
  const server = net.createServer(keep);
  server.on('error', (err) => {
    reply({ error: `listen ${host}:${port}: ${err.message}` });
    process.exit(1);
  });
  server.listen({ host, port, backlog: 65535 }, () => reply({ listening: true }));
} else {
  reply({ ready: true });
}
