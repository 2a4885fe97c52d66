import type { SocketRecord } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../src/parse/address.js';
import { NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_OVERRUN } from '../src/parse/constants.js';
import { parseDumpDatagram } from '../src/parse/dump-datagram.js';
import { scanDatagram } from '../src/parse/netlink-messages.js';
import { parseDiagMessage } from '../src/parse/socket-record.js';
import { parseTcpInfo } from '../src/parse/tcp-info.js';
import { ALL_STATES_MASK, encodeDumpRequest, statesMask } from '../src/request.js';
import { fixture } from './fixtures.js';

// Hand-made variants of the captured datagrams: what a kernel or a damaged read could produce.
const SEQ_TCP4 = 101;
const SEQ_TCP6 = 102;

function header(type: number, len: number, seq: number, flags = 2): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  return b;
}

describe('dump control messages', () => {
  it('NLM_F_DUMP_INTR on any message marks the datagram interrupted, and its records still parse', () => {
    const buf = Buffer.from(fixture('tcp6-0.bin'));
    const second = (buf.readUInt32LE(0) + 3) & ~3;
    buf.writeUInt16LE(buf.readUInt16LE(second + 6) | NLM_F_DUMP_INTR, second + 6);
    const into: SocketRecord[] = [];
    const out = parseDumpDatagram(buf, buf.length, SEQ_TCP6, 'tcp', (r) => void into.push(r));
    expect(out.interrupted).toBe(true);
    expect(out.parsed).toBe(5);
    expect(out.problems).toEqual([]);
  });

  it('a DONE that carries an errno ends the dump with that errno', () => {
    const done = header(NLMSG_DONE, 20, SEQ_TCP4);
    done.writeInt32LE(-4, 16); // EINTR
    expect(parseDumpDatagram(done, done.length, SEQ_TCP4, 'tcp', () => {})).toMatchObject({ done: true, errno: 4 });
  });

  it('an NLMSG_ERROR too short for its error code ends the dump and is reported as malformed', () => {
    const err = header(NLMSG_ERROR, 16, SEQ_TCP4);
    const out = parseDumpDatagram(err, err.length, SEQ_TCP4, 'tcp', () => {});
    expect(out.done).toBe(true);
    expect(out.errno).toBe(0);
    expect(out.problems).toEqual(['truncated datagram: NLMSG_ERROR at byte 0 has no error code']);
  });

  it('replies to an older request (another sequence number) are skipped, not mixed in', () => {
    const buf = fixture('udp4-0.bin');
    const into: SocketRecord[] = [];
    const out = parseDumpDatagram(buf, buf.length, 999, 'udp', (r) => void into.push(r));
    expect(into).toEqual([]);
    expect(out.stale).toBe(2);
    const doneOld = header(NLMSG_DONE, 20, 7);
    expect(parseDumpDatagram(doneOld, 20, 999, 'udp', () => {})).toMatchObject({ done: false, stale: 1 });
  });

  it('NLMSG_OVERRUN is reported', () => {
    const b = Buffer.concat([header(NLMSG_OVERRUN, 16, 1), header(NLMSG_DONE, 20, 1)]);
    expect(parseDumpDatagram(b, b.length, 1, 'tcp', () => {}).problems).toEqual(['NLMSG_OVERRUN: the kernel dropped messages']);
  });
});

describe('truncated and damaged datagrams', () => {
  it('a datagram cut mid-message keeps the whole messages before the cut and says where it broke', () => {
    const full = fixture('tcp4-1.bin');
    const into: SocketRecord[] = [];
    const out = parseDumpDatagram(full, 10_000, SEQ_TCP4, 'tcp', (r) => void into.push(r));
    expect(out.parsed).toBe(into.length);
    const whole = scanDatagram(full).messages.filter((m) => m.payloadOffset + m.payloadLength <= 10_000);
    expect(into.length).toBe(whole.length);
    expect(into.length).toBeGreaterThan(15);
    const cut = whole.at(-1);
    const cutAt = (cut?.payloadOffset ?? 0) + (cut?.payloadLength ?? 0);
    expect(out.problems).toEqual([`truncated datagram: message at byte ${cutAt} claims ${full.readUInt32LE(cutAt)} bytes, ${10_000 - cutAt} are left`]);
    expect(out.done).toBe(false);
  });

  it('stray bytes after the last message are reported', () => {
    expect(scanDatagram(Buffer.alloc(7)).truncated).toBe('7 stray bytes after the last message at byte 0');
  });

  it('a message whose length is smaller than a header is refused rather than looped on', () => {
    const b = header(20, 16, 1);
    b.writeUInt32LE(3, 0);
    expect(scanDatagram(b).truncated).toBe('message at byte 0 claims 3 bytes, 16 are left');
  });

  it('an attribute running past its message still yields the record read so far, with a problem', () => {
    const buf = Buffer.from(fixture('udp4-0.bin'));
    const payload = 16;
    const firstAttr = payload + 72;
    buf.writeUInt16LE(400, firstAttr); // claims far more than the 164-byte message holds
    const parsed = parseDiagMessage(buf, payload, buf.readUInt32LE(0) - 16, 'udp');
    expect(parsed.record?.local).toEqual({ address: '127.0.0.1', port: 40005 });
    expect(parsed.problem).toMatch(/^attribute 8 at byte 88 claims 400 bytes/);
  });

  it('a reply shorter than inet_diag_msg, or of an unknown family, is refused', () => {
    const buf = fixture('udp4-0.bin');
    expect(parseDiagMessage(buf, 16, 40, 'udp').problem).toBe('inet_diag_msg of 40 bytes, needs 72');
    const other = Buffer.from(buf);
    other[16] = 1; // AF_UNIX
    expect(parseDiagMessage(other, 16, 148, 'udp').problem).toBe('inet_diag_msg with address family 1');
  });
});

describe('tcp_info of other kernels', () => {
  const buf = fixture('tcp4-1.bin');
  // INET_DIAG_INFO of the first reply in tcp4-1.bin: after nlmsghdr, inet_diag_msg and the
  // 8-byte SHUTDOWN attribute... located by scanning instead of hard-coding.
  let infoAt = -1;
  let infoLen = 0;
  for (let off = 16 + 72; off < buf.readUInt32LE(0); off += (buf.readUInt16LE(off) + 3) & ~3) {
    if (buf.readUInt16LE(off + 2) === 2) {
      infoAt = off + 4;
      infoLen = buf.readUInt16LE(off) - 4;
    }
  }

  it('reads every known field from this kernel\'s 280 bytes', () => {
    expect(infoLen).toBe(280);
    const t = parseTcpInfo(buf, infoAt, infoLen);
    expect(Object.keys(t)).toHaveLength(59); // every field of TcpInfo
    expect(t.totalRtoTimeMs).toBeTypeOf('number');
  });

  it('a 104-byte tcp_info (kernel 4.1) has no pacing rate or byte counters', () => {
    const t = parseTcpInfo(buf, infoAt, 104);
    expect(t.totalRetrans).toBeTypeOf('number');
    expect(t.pacingRate).toBeUndefined();
    expect(t.bytesAcked).toBeUndefined();
    expect(t.segsOut).toBeUndefined();
  });

  it('a 232-byte tcp_info stops before rcv_wnd, and 7 bytes give nothing', () => {
    const t = parseTcpInfo(buf, infoAt, 232);
    expect(t.sndWnd).toBeTypeOf('number');
    expect(t.rcvWnd).toBeUndefined();
    expect(t.totalRto).toBeUndefined();
    expect(parseTcpInfo(buf, infoAt, 7)).toEqual({});
  });
});

describe('addresses and requests', () => {
  it.each([
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000ffff7f000001', '::ffff:127.0.0.1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000100000000000000000000', '2001:db8:1::'],
    ['fe800000000000000a0027fffe4e5a1c', 'fe80::a00:27ff:fe4e:5a1c'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
  ])('formats %s as %s', (hex, text) => {
    expect(formatIPv6(Buffer.from(hex, 'hex'), 0)).toBe(text);
  });

  it('encodes a dump request the way the kernel reads inet_diag_req_v2', () => {
    const req = encodeDumpRequest('udp', 'ipv6', ALL_STATES_MASK, 7);
    expect(req.toString('hex')).toBe(
      `48000000140001030700000000000000` + `0a11ca00fe1f0000` + '00'.repeat(48),
    );
  });

  it('selects request sockets together with SYN_RECV', () => {
    expect(statesMask(['SYN_RECV'])).toBe((1 << 3) | (1 << 12));
    expect(statesMask(['ESTABLISHED', 'LISTEN'])).toBe((1 << 1) | (1 << 10));
    expect(statesMask(undefined)).toBe(ALL_STATES_MASK);
  });
});
