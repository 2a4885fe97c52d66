// A small host for the connections views' tests, built as a collector and the enrichers would
// hand it over (core reads no /proc): two local processes talking over loopback (one of them in
// a container, behind a dual-stack listener), a public client, outbound peers, UDP, TIME_WAIT
// and CLOSE_WAIT, and a process in a named network namespace whose peer lives in another one.
// Directions are set by the direction enricher's own logic (classifyDirections). Not exported.
import { classifyDirections } from '../enrichers/direction.js';
import { listener, tcpSocket } from '../flows/sockets.fixture.js';
import type { ContainerInfo, ProcessInfo, SocketRecord } from '../types/socket.js';

export const NGINX: ProcessInfo = { pid: 10, comm: 'nginx', cmdline: 'nginx: master process /usr/sbin/nginx -g daemon on;' };
export const POSTGRES: ProcessInfo = { pid: 20, comm: 'postgres', cmdline: `/usr/lib/postgresql/16/bin/postgres ${'-c shared_buffers=128MB '.repeat(10).trim()}` };
export const APP: ProcessInfo = { pid: 30, comm: 'app', cmdline: '/usr/bin/app --serve' };
export const DNS: ProcessInfo = { pid: 40, comm: 'dnsmasq' };
export const CURL: ProcessInfo = { pid: 50, comm: 'curl', cmdline: 'curl http://10.200.0.1:8080/' };
export const API: ProcessInfo = { pid: 60, comm: 'api' };
export const DB_CONTAINER: ContainerInfo = { id: 'abcdef0123456789'.repeat(4), name: 'db', pod: 'db-0', podUid: 'pod-uid-1', namespace: 'prod', image: 'postgres:16', unitName: 'db-unit' };
export const BLUE_NETNS = 4026532000;

const udp = (over: Partial<SocketRecord>): SocketRecord => ({
  protocol: 'udp',
  family: 'ipv4',
  state: 'CLOSE',
  local: { address: '0.0.0.0', port: 0 },
  remote: { address: '0.0.0.0', port: 0 },
  inode: 0,
  uid: 0,
  recvQueue: 0,
  sendQueue: 0,
  ...over,
});

/** The host's sockets, directions classified; the comment after each says what it is. */
export function hostSockets(): SocketRecord[] {
  const sockets: SocketRecord[] = [
    listener(80, { process: NGINX, uid: 33, inode: 100 }), // 0 nginx listens on 0.0.0.0:80
    listener(5432, { family: 'ipv6', local: { address: '::', port: 5432 }, remote: { address: '::', port: 0 }, v6only: false, process: POSTGRES, container: DB_CONTAINER, uid: 999, inode: 101 }), // 1 dual-stack
    listener(8080, { local: { address: '10.200.0.1', port: 8080 }, process: API, inode: 102 }), // 2 api on the veth address
    udp({ family: 'ipv6', local: { address: '::', port: 53 }, remote: { address: '::', port: 0 }, v6only: false, process: DNS, inode: 103 }), // 3 udp46 listener
    udp({ family: 'ipv6', local: { address: '::', port: 5353 }, remote: { address: '::', port: 0 }, v6only: true, process: DNS, inode: 104 }), // 4 udp6 listener (v6only)
    // 5 a public client of nginx
    tcpSocket({ local: { address: '10.0.0.1', port: 80 }, remote: { address: '203.0.113.5', port: 50001 }, process: NGINX, uid: 33, inode: 200, cookie: 9001n, tcp: { rttUs: 12_500, totalRetrans: 2 } }),
    // 6 app → postgres over loopback (client side), 7 postgres' accepted socket (v4-mapped)
    tcpSocket({ local: { address: '127.0.0.1', port: 41000 }, remote: { address: '127.0.0.1', port: 5432 }, process: APP, uid: 1000, inode: 201, tcp: { rttUs: 40 } }),
    tcpSocket({ family: 'ipv6', local: { address: '::ffff:127.0.0.1', port: 5432 }, remote: { address: '::ffff:127.0.0.1', port: 41000 }, process: POSTGRES, container: DB_CONTAINER, uid: 999, inode: 202, tcp: { rttUs: 30 } }),
    // 8, 9 app → 10.1.2.3:443 twice (aggregated into one row)
    tcpSocket({ local: { address: '10.0.0.1', port: 43001 }, remote: { address: '10.1.2.3', port: 443 }, process: APP, uid: 1000, inode: 203, recvQueue: 5, sendQueue: 1, tcp: { rttUs: 20_000, rttvarUs: 1000, rcvRttUs: 100, totalRetrans: 3, lost: 1, unacked: 2, sacked: 0, sndCwnd: 10, sndSsthresh: 20, sndMss: 1448, rtoUs: 204_000 } }),
    tcpSocket({ local: { address: '10.0.0.1', port: 43002 }, remote: { address: '10.1.2.3', port: 443 }, process: APP, uid: 1000, inode: 204, recvQueue: 1, sendQueue: 7, tcp: { rttUs: 30_000, rttvarUs: 500, rcvRttUs: 300, totalRetrans: 1, lost: 0, unacked: 1, sacked: 4, sndCwnd: 4, sndSsthresh: 30, sndMss: 1400, rtoUs: 210_000 } }),
    // 10 app → 8.8.8.8:53 connected UDP
    udp({ state: 'ESTABLISHED', local: { address: '10.0.0.1', port: 45000 }, remote: { address: '8.8.8.8', port: 53 }, process: APP, uid: 1000, inode: 205 }),
    // 11 TIME_WAIT of an earlier nginx client, no process
    { ...tcpSocket({ state: 'TIME_WAIT', local: { address: '10.0.0.1', port: 80 }, remote: { address: '198.51.100.7', port: 50100 }, inode: 0 }), tcp: undefined },
    // 12 CLOSE_WAIT: app's peer closed
    tcpSocket({ state: 'CLOSE_WAIT', local: { address: '10.0.0.1', port: 43003 }, remote: { address: '10.1.2.4', port: 443 }, process: APP, uid: 1000, inode: 206 }),
    // 13 curl in netns blue → api at 10.200.0.1:8080 (a peer in another namespace), 14 api's accepted socket
    tcpSocket({ local: { address: '10.200.0.2', port: 45500 }, remote: { address: '10.200.0.1', port: 8080 }, netns: BLUE_NETNS, netnsName: 'blue', process: CURL, uid: 1000, inode: 207 }),
    tcpSocket({ local: { address: '10.200.0.1', port: 8080 }, remote: { address: '10.200.0.2', port: 45500 }, process: API, inode: 208 }),
  ];
  classifyDirections(sockets);
  return sockets;
}
