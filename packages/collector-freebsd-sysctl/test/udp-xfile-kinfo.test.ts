import { socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { udpSocket } from '../src/collect/sockets.js';
import { parseKinfoProc } from '../src/parse/kinfo-proc.js';
import { parseXfiles } from '../src/parse/xfile.js';
import { parseXinpcb, type InpcbFacts } from '../src/parse/xinpcb.js';
import { kinfoProc, xfile, xinpcb } from './fixture-writer.js';

function inp(buf: Buffer): InpcbFacts {
  const r = parseXinpcb(buf);
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe('xinpcb (UDP records)', () => {
  it('decodes a bound IPv4 socket as CLOSE with its receive queue', () => {
    const { record, so } = udpSocket(inp(xinpcb({ vflag: 1, laddr: '0.0.0.0', faddr: '0.0.0.0', lport: 53, fport: 0, so: 0xabcn, uid: 53, rcvCc: 512 })));
    expect(so).toBe(0xabcn);
    expect(socketRecordProblems(record)).toEqual([]);
    expect(record).toMatchObject({ protocol: 'udp', family: 'ipv4', state: 'CLOSE', uid: 53, recvQueue: 512, local: { address: '0.0.0.0', port: 53 } });
    expect(record.tcp).toBeUndefined();
  });

  it('decodes a connected IPv6 socket as ESTABLISHED, and a dual-stack one as IPv6 ::', () => {
    expect(udpSocket(inp(xinpcb({ vflag: 2, laddr: '2001:db8::5', faddr: '2001:db8::6', lport: 5000, fport: 6000 }))).record)
      .toMatchObject({ family: 'ipv6', state: 'ESTABLISHED', local: { address: '2001:db8::5' }, remote: { address: '2001:db8::6', port: 6000 } });
    expect(udpSocket(inp(xinpcb({ vflag: 3, laddr: '::', faddr: '::', lport: 123, fport: 0 }))).record)
      .toMatchObject({ family: 'ipv6', state: 'CLOSE', v6only: false, local: { address: '::', port: 123 } });
  });

  it('formats v4-mapped and compressed IPv6 addresses', () => {
    expect(inp(xinpcb({ vflag: 2, laddr: '::ffff:10.0.0.1', faddr: '1:0:0:1:0:0:0:1', lport: 1, fport: 1 })))
      .toMatchObject({ local: { address: '::ffff:10.0.0.1' }, remote: { address: '1:0:0:1::1' } });
  });
});

describe('kern.file (struct xfile)', () => {
  it('keeps socket descriptors with their pid, uid, fd and xf_data; skips other types and empty data', () => {
    const buf = Buffer.concat([
      xfile({ pid: 700, uid: 80, fd: 3, data: 0xfffff80012345000n }),
      xfile({ pid: 700, fd: 4, type: 1, data: 0xfffff80099999000n }), // a vnode
      xfile({ pid: 701, fd: 5, data: 0n }),
      xfile({ pid: 1, fd: 9, data: 0xfffff80012345000n }),
    ]);
    expect(parseXfiles(buf)).toEqual({
      sockets: [
        { pid: 700, uid: 80, fd: 3, so: 0xfffff80012345000n },
        { pid: 1, uid: 0, fd: 9, so: 0xfffff80012345000n },
      ],
      warnings: [],
    });
  });

  it('reports an unusable xf_size and a partial trailing entry', () => {
    const bad = xfile({ pid: 1, fd: 1, data: 1n });
    bad.writeBigUInt64LE(0n, 0);
    expect(parseXfiles(bad).warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_DECODE', message: expect.stringMatching(/xf_size 0 is not a usable entry size/) }]);
    const partial = Buffer.concat([xfile({ pid: 2, fd: 1, data: 5n }), Buffer.alloc(50)]);
    const r = parseXfiles(partial);
    expect(r.sockets).toHaveLength(1);
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_DECODE', message: expect.stringMatching(/not a whole number of 128-byte entries/) }]);
  });
});

describe('kern.proc.pid (struct kinfo_proc)', () => {
  it('reads ki_comm at 447 and the ids', () => {
    expect(parseKinfoProc(kinfoProc({ pid: 4242, ppid: 1, comm: 'nginx', ruid: 80, uid: 0 }))).toEqual({ pid: 4242, ppid: 1, comm: 'nginx', ruid: 80, uid: 0 });
    expect(parseKinfoProc(kinfoProc({ pid: 1, comm: 'a-very-long-command-name' }))).toMatchObject({ comm: 'a-very-long-command' });
  });

  it('refuses a ki_structsize that does not fit the returned bytes', () => {
    expect(parseKinfoProc(kinfoProc({ pid: 1, comm: 'x', structsize: 2000 }))).toEqual({ error: expect.stringMatching(/ki_structsize 2000 does not fit the 1088 bytes/) });
    expect(parseKinfoProc(Buffer.alloc(100))).toEqual({ error: 'kinfo_proc needs 467 bytes, got 100' });
  });
});
