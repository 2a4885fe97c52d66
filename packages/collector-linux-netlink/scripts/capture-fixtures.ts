// Opens known loopback sockets (IPv4, IPv6, v4-mapped, listen, established, time-wait, UDP),
// dumps them through NETLINK_SOCK_DIAG and writes every raw datagram, a manifest of what was
// opened, and `ss -tuanemiH` of the same moment. Run through capture-fixtures.sh.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import * as ffi from '../src/ffi/index.js';
import { ALL_STATES_MASK, encodeDumpRequest } from '../src/request.js';

process.noDeprecation = true; // socket._handle.fd is the only way to an fd's inode here
const dir = process.argv[2] ?? 'test/fixtures';
mkdirSync(dir, { recursive: true });
const manifest: Record<string, unknown>[] = [];

function inodeOf(handle: unknown): number {
  const fd = (handle as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
  if (!m) throw new Error(`fd ${fd} is not a socket`);
  return Number(m[1]);
}

const ep = (address: string, port: number | undefined): { address: string; port: number } => ({ address, port: port ?? 0 });

function note(name: string, s: net.Socket | net.Server | dgram.Socket, extra: Record<string, unknown>): void {
  manifest.push({ name, inode: inodeOf(s), ...extra });
}

async function listen(port: number, host: string, ipv6Only = false): Promise<{ server: net.Server; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    s.on('data', () => undefined);
  });
  server.listen({ port, host, ipv6Only, backlog: 64 });
  await once(server, 'listening');
  return { server, accepted };
}

async function connect(port: number, host: string): Promise<net.Socket> {
  const c = net.connect({ port, host });
  await once(c, 'connect');
  return c;
}

async function settle(ms = 200): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

// TCP over IPv4 with data both ways.
const a = await listen(40001, '127.0.0.1');
const a1 = await connect(40001, '127.0.0.1');
a1.write(Buffer.alloc(100_000, 1));
await settle();
a.accepted[0]?.write(Buffer.alloc(5000, 2));
await settle();
note('tcp4-listen', a.server, { protocol: 'tcp', family: 'ipv4', state: 'LISTEN', local: ep('127.0.0.1', 40001), backlog: 64 });
note('tcp4-client', a1, { protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: ep('127.0.0.1', a1.localPort), remote: ep('127.0.0.1', 40001), sent: 100_000, received: 5000 });
note('tcp4-server', a.accepted[0] as net.Socket, { protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: ep('127.0.0.1', 40001), remote: ep('127.0.0.1', a1.localPort), sent: 5000, received: 100_000 });

// TCP over IPv6, v6-only listener.
const b = await listen(40002, '::1', true);
const b1 = await connect(40002, '::1');
b1.write(Buffer.alloc(20_000, 3));
await settle();
note('tcp6-listen-v6only', b.server, { protocol: 'tcp', family: 'ipv6', state: 'LISTEN', local: ep('::1', 40002), v6only: true, backlog: 64 });
note('tcp6-client', b1, { protocol: 'tcp', family: 'ipv6', state: 'ESTABLISHED', local: ep('::1', b1.localPort), remote: ep('::1', 40002), sent: 20_000 });

// Dual-stack listener accepting an IPv4 client: the accepted socket shows v4-mapped addresses.
const c = await listen(40003, '::');
const c1 = await connect(40003, '127.0.0.1');
await settle();
note('tcp6-listen-dual', c.server, { protocol: 'tcp', family: 'ipv6', state: 'LISTEN', local: ep('::', 40003), v6only: false, backlog: 64 });
note('tcp6-mapped-server', c.accepted[0] as net.Socket, { protocol: 'tcp', family: 'ipv6', state: 'ESTABLISHED', local: ep('::ffff:127.0.0.1', 40003), remote: ep('::ffff:127.0.0.1', c1.localPort) });

// Active close on the client side leaves it in TIME_WAIT.
const d = await listen(40004, '127.0.0.1');
const d1 = await connect(40004, '127.0.0.1');
const twPort = d1.localPort;
await settle(50);
d.accepted[0]?.on('end', () => d.accepted[0]?.end());
d1.end();
await settle();
manifest.push({ name: 'tcp4-time-wait', protocol: 'tcp', family: 'ipv4', state: 'TIME_WAIT', local: ep('127.0.0.1', twPort), remote: ep('127.0.0.1', 40004), inode: 0 });

// UDP: an unconnected socket (CLOSE) and a connected one (ESTABLISHED), IPv4 and IPv6.
const u4 = dgram.createSocket('udp4');
u4.bind(40005, '127.0.0.1');
await once(u4, 'listening');
const u4c = dgram.createSocket('udp4');
u4c.connect(40005, '127.0.0.1');
await once(u4c, 'connect');
const u6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
u6.bind(40006, '::1');
await once(u6, 'listening');
note('udp4-bound', u4, { protocol: 'udp', family: 'ipv4', state: 'CLOSE', local: ep('127.0.0.1', 40005) });
note('udp4-connected', u4c, { protocol: 'udp', family: 'ipv4', state: 'ESTABLISHED', local: ep('127.0.0.1', u4c.address().port), remote: ep('127.0.0.1', 40005) });
note('udp6-bound', u6, { protocol: 'udp', family: 'ipv6', state: 'CLOSE', local: ep('::1', 40006), v6only: true });

// Enough extra connections that the IPv4 TCP dump spans more than one datagram.
await listen(40007, '127.0.0.1');
const bulkClients: net.Socket[] = [];
for (let i = 0; i < 60; i++) bulkClients.push(await connect(40007, '127.0.0.1'));
await settle();
manifest.push({ name: 'tcp4-bulk', protocol: 'tcp', family: 'ipv4', local: ep('127.0.0.1', 40007), connections: 60 });

// The dumps, every datagram as it came.
const MSG_TRUNC = 0x20;
const sock = ffi.sysSocket(16, 3 | 0o2000000, 4);
if (sock.errno) throw new Error(`socket: ${ffi.errnoName(sock.errno)}`);
const buf = Buffer.alloc(32 * 1024);
const files: Record<string, string[]> = {};
let seq = 100;
function dumpRaw(label: string, request: Buffer): void {
  const sent = ffi.sysSend(sock.value, request);
  if (sent.errno) throw new Error(`send: ${ffi.errnoName(sent.errno)}`);
  files[label] = [];
  for (let i = 0; ; i++) {
    const r = ffi.sysRecv(sock.value, buf, MSG_TRUNC);
    if (r.errno) throw new Error(`recv: ${ffi.errnoName(r.errno)}`);
    const name = `${label}-${i}.bin`;
    writeFileSync(`${dir}/${name}`, buf.subarray(0, r.value));
    files[label]?.push(name);
    // The last message of a datagram tells whether the dump is over (DONE or ERROR).
    let off = 0;
    let last = 0;
    while (off + 16 <= r.value) {
      last = buf.readUInt16LE(off + 4);
      off += (buf.readUInt32LE(off) + 3) & ~3;
    }
    if (last === 2 || last === 3) break;
  }
}
for (const protocol of ['tcp', 'udp'] as const) {
  for (const family of ['ipv4', 'ipv6'] as const) {
    dumpRaw(`${protocol}${family === 'ipv4' ? 4 : 6}`, encodeDumpRequest(protocol, family, ALL_STATES_MASK, ++seq));
  }
}
const ss = execFileSync('/usr/bin/ss', ['-tuanemiH'], { encoding: 'utf8' });
writeFileSync(`${dir}/ss-tuanemiH.txt`, ss.replace(/[ \t]+$/gm, ''));
// A request the kernel refuses: address family 99 has no sock_diag handler.
const bad = encodeDumpRequest('tcp', 'ipv4', ALL_STATES_MASK, ++seq);
bad[16] = 99;
dumpRaw('error-family99', bad);
ffi.sysClose(sock.value);

writeFileSync(`${dir}/manifest.json`, `${JSON.stringify({ kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), files, sockets: manifest }, null, 2)}\n`);
console.log(`wrote ${Object.values(files).flat().length} datagrams to ${dir}`);
process.exit(0);
