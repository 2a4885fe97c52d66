// See capture-destroy-fixtures.sh. Subscribes to the four destroy groups, closes known sockets
// (TCP over IPv4 and IPv6 with known bytes each way, their listeners, connected UDP pairs, a
// refused connect), and writes each datagram the kernel sent as <n>.bin with manifest.json:
// what each file should parse to.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { DiagSocket, openDiagSocket } from '../src/diag-socket.js';
import { SKNLGRP_DESTROY_GROUPS } from '../src/destroy/source.js';
import { exchange, udpExchange } from '../test/destroy-events.js';

const dir = process.argv[2] ?? 'test/fixtures/destroy';
const ffi = await import('../src/ffi/index.js');
const sock = openDiagSocket(ffi);
if (!(sock instanceof DiagSocket)) throw new Error(`socket: ${sock.step} ${sock.errnoName}`);
for (const group of Object.values(SKNLGRP_DESTROY_GROUPS)) {
  const r = ffi.sysSetsockoptInt(sock.fd, 270, 1, group);
  if (r.errno) throw new Error(`NETLINK_ADD_MEMBERSHIP ${group}: ${ffi.errnoName(r.errno)}`);
}
const expected: object[] = [];
const tcp4 = await exchange('127.0.0.1', [{ up: 12345, down: 678 }]);
const tcp6 = await exchange('::1', [{ up: 100_000, down: 1 }]);
for (const [family, x] of [['ipv4', tcp4], ['ipv6', tcp6]] as const) {
  const e = x.exchanges[0];
  if (!e) continue;
  expected.push({ what: `${family} client`, protocol: 'tcp', family, local: e.clientPort, remote: e.serverPort, bytesAcked: e.up + 2, bytesReceived: e.down + 1 });
  expected.push({ what: `${family} server`, protocol: 'tcp', family, local: e.serverPort, remote: e.clientPort, bytesAcked: e.down + 1, bytesReceived: e.up + 1 });
  expected.push({ what: `${family} listener`, protocol: 'tcp', family, local: x.listenerPort, remote: 0 });
}
const u4 = await udpExchange('udp4', '127.0.0.1', 3);
const u6 = await udpExchange('udp6', '::1', 3);
for (const [family, u] of [['ipv4', u4], ['ipv6', u6]] as const) {
  expected.push({ what: `${family} udp a`, protocol: 'udp', family, local: u.a, remote: u.b });
  expected.push({ what: `${family} udp b`, protocol: 'udp', family, local: u.b, remote: u.a });
}
const gone = net.createServer().listen(0, '127.0.0.1');
await once(gone, 'listening');
const closedPort = (gone.address() as net.AddressInfo).port;
await new Promise<void>((r) => gone.close(() => r()));
expected.push({ what: 'ipv4 listener (for the refused connect)', protocol: 'tcp', family: 'ipv4', local: closedPort, remote: 0 });
const refused = net.connect(closedPort, '127.0.0.1');
await once(refused, 'error').catch(() => undefined);
refused.destroy();
expected.push({ what: 'refused connect', protocol: 'tcp', family: 'ipv4', remote: closedPort, segsOut: 1, segsIn: 1 });
await new Promise((r) => setTimeout(r, 300));

const files: string[] = [];
for (;;) {
  const r = ffi.sysRecv(sock.fd, sock.buffer, 0x40 /* MSG_DONTWAIT */);
  if (r.errno) break;
  const name = `${files.length}.bin`;
  writeFileSync(`${dir}/${name}`, sock.buffer.subarray(0, r.value));
  files.push(name);
}
sock.close();
const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
writeFileSync(`${dir}/manifest.json`, `${JSON.stringify({ kernel, files, expected }, null, 2)}\n`);
console.log(`${files.length} datagrams, ${expected.length} sockets expected, kernel ${kernel}`);
