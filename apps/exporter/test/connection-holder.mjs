// Holds loopback TCP connections for the live tests, one side per process (each side of 9,000
// connections is 9,000 descriptors, and a process may hold 20,000):
//
//   node connection-holder.mjs server PORT    listens on 127.0.0.1:PORT; PORT `low` picks a free
//                                             port below the kernel's ephemeral range
//   node connection-holder.mjs client PORT    connects to 127.0.0.1:PORT on command
//
// It reads one command per line on stdin and answers each with one JSON line on stdout:
//   status                      → { port, open, received, localPorts? }
//   open N BYTES    (client)    → opens N connections, each sending BYTES bytes once, then idle
//   close-listener  (server)    → closes the listening socket; accepted connections stay open
// The first line is `{ port }` once the server listens (or `{ ready }` for a client). It exits when
// stdin closes, so it cannot outlive the test.
import net from 'node:net';
import { createInterface } from 'node:readline';

const [role, portText] = process.argv.slice(2);
const HOST = '127.0.0.1';
const open = new Set();
let received = 0;
let errors = 0;
let lastError = '';
const reply = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function keep(socket) {
  open.add(socket);
  socket.on('data', (d) => (received += d.length));
  socket.on('error', (err) => {
    errors++;
    lastError = err.code ?? err.message;
  });
  socket.once('close', () => open.delete(socket));
}

/** Opens one connection that sends `bytes` bytes once; resolves when they are written. */
function connectOne(port, bytes) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const fail = (err) => {
      errors++;
      lastError = err.code ?? err.message;
      socket.destroy();
      resolve();
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.removeListener('error', fail);
      keep(socket);
      socket.write(Buffer.alloc(bytes, 0x61), () => resolve());
    });
  });
}

async function openMany(port, count, bytes) {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await connectOne(port, bytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(256, count) }, worker));
}

let server;
let port = Number(portText);

async function handle(line) {
  const [cmd, a, b] = line.trim().split(/\s+/);
  const localPorts = role === 'client' ? [...open].map((s) => s.localPort) : undefined;
  if (cmd === 'status') return reply({ port, open: open.size, received, errors, lastError, localPorts });
  if (cmd === 'open' && role === 'client') {
    await openMany(port, Number(a), Number(b));
    return reply({ port, open: open.size, errors, lastError });
  }
  if (cmd === 'close-listener' && role === 'server') {
    await new Promise((resolve) => {
      server.close(() => resolve());
      // close() calls back only once every connection has ended: answer when the port is released
      setImmediate(resolve);
    });
    return reply({ port, open: open.size, listening: server.listening });
  }
  return reply({ error: `unknown command "${line.trim()}" for a ${role}` });
}

/** Listens on `wanted`, or on a free port in 20000–32767 (below the default ephemeral range) for `low`. */
async function listen(wanted) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = wanted === 'low' ? 20000 + Math.floor(Math.random() * 12000) : Number(wanted);
    const s = net.createServer(keep);
    const ok = await new Promise((resolve) => {
      s.once('error', () => resolve(false));
      s.listen({ host: HOST, port: p, backlog: 4096 }, () => resolve(true));
    });
    if (ok) return s;
    if (wanted !== 'low') break;
  }
  reply({ error: `cannot listen on ${HOST}:${wanted}` });
  process.exit(1);
}

const lines = createInterface({ input: process.stdin });
let chain = Promise.resolve();
lines.on('line', (line) => (chain = chain.then(() => handle(line))));
lines.on('close', () => process.exit(0));

if (role === 'server') {
  server = await listen(portText);
  port = server.address().port;
  reply({ port });
} else if (role === 'client') {
  reply({ ready: true });
} else {
  process.stderr.write('usage: connection-holder.mjs server|client PORT\n');
  process.exit(2);
}
