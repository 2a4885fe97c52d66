import { describe, expect, it } from 'vitest';
import { parseIfList } from '../src/parse/iflist.js';
import { ifinfoMessage, newaddrMessage } from './fixture-writer.js';

const em0 = ifinfoMessage({
  index: 1, flags: 0x8843, name: 'em0', mac: [0x00, 0x0c, 0x29, 0xab, 0xcd, 0xef],
  data: { ibytes: 1_000_000, obytes: 2_000_000, ipackets: 1000, opackets: 2000, ierrors: 1, oerrors: 2, iqdrops: 3, oqdrops: 4, imcasts: 5, omcasts: 6, collisions: 7, mtu: 9000, baudrate: 1_000_000_000, linkState: 2 },
});
const lo0 = ifinfoMessage({ index: 2, flags: 0x8048, name: 'lo0', data: { ibytes: 42, obytes: 42, mtu: 16384, linkState: 0 } });

describe('NET_RT_IFLISTL interface list', () => {
  it('reads if_data counters, name and MAC of every RTM_IFINFO message and skips address messages', () => {
    const { interfaces, warnings } = parseIfList(Buffer.concat([em0, newaddrMessage(), newaddrMessage(120), lo0, newaddrMessage()]));
    expect(warnings).toEqual([]);
    expect(interfaces).toEqual([
      {
        device: 'em0',
        counters: {
          receive_bytes: 1_000_000, receive_packets: 1000, receive_errs: 1, receive_drop: 3, receive_multicast: 5,
          transmit_bytes: 2_000_000, transmit_packets: 2000, transmit_errs: 2, transmit_drop: 4, transmit_colls: 7, transmit_multicast: 6,
        },
        info: { ifindex: 1, mtu: 9000, speedBytes: 125_000_000, operstate: 'up', flags: 0x8843, up: true, address: '00:0c:29:ab:cd:ef' },
      },
      expect.objectContaining({ device: 'lo0', info: expect.objectContaining({ ifindex: 2, mtu: 16384, operstate: 'unknown', up: false }) }),
    ]);
    expect(interfaces[1]?.info?.address).toBeUndefined();
  });

  it('stops at a message whose length runs past the buffer or is below 4, keeping what came before', () => {
    const cut = Buffer.concat([em0, lo0]).subarray(0, em0.length + 100);
    const r = parseIfList(cut);
    expect(r.interfaces.map((i) => i.device)).toEqual(['em0']);
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_DECODE', message: expect.stringMatching(/has length \d+ with 100 bytes left/) }]);
    const zero = Buffer.concat([em0, Buffer.alloc(8)]);
    expect(parseIfList(zero).warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_DECODE', message: expect.stringMatching(/has length 0/) }]);
  });

  it('skips messages of another routing-socket version with one warning', () => {
    const other = Buffer.from(em0);
    other[2] = 7;
    const r = parseIfList(Buffer.concat([other, other, lo0]));
    expect(r.interfaces.map((i) => i.device)).toEqual(['lo0']);
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_LAYOUT', message: 'interface list: routing message version 7, expected 5; such messages skipped' }]);
  });
});
