import { describe, expect, it } from 'vitest';
import { createPluginContext } from '../contracts/context.js';
import { enrichRecords } from '../pipeline/list.js';
import { directionEnricher } from '../plugins/direction.js';
import type { SocketRecord } from '../types/socket.js';
import { classifyDirections, isListening, unmapAddress } from './direction.js';

type Spec = Partial<SocketRecord> & { l: string; r?: string };
// "addr:port" with the port after the last colon, so IPv6 reads naturally: "::1:8080"
const ep = (s: string) => ({ address: s.slice(0, s.lastIndexOf(':')), port: Number(s.slice(s.lastIndexOf(':') + 1)) });
function rec({ l, r, ...rest }: Spec): SocketRecord {
  const local = ep(l);
  const v6 = local.address.includes(':');
  return {
    protocol: 'tcp',
    family: v6 ? 'ipv6' : 'ipv4',
    state: 'ESTABLISHED',
    local,
    remote: r ? ep(r) : { address: v6 ? '::' : '0.0.0.0', port: 0 },
    inode: 1,
    uid: 0,
    recvQueue: 0,
    sendQueue: 0,
    ...rest,
  };
}
const classify = (...specs: Spec[]) => {
  const list = specs.map(rec);
  classifyDirections(list);
  return list.map((s) => s.direction);
};

describe('classifyDirections', () => {
  it('calls TCP LISTEN and unconnected bound UDP sockets listen, and leaves an unconnected TCP socket alone', () => {
    expect(
      classify(
        { l: '0.0.0.0:22', state: 'LISTEN' },
        { l: '0.0.0.0:53', protocol: 'udp', state: 'CLOSE' },
        { l: '10.0.0.5:40000', state: 'CLOSE' },
      ),
    ).toEqual(['listen', 'listen', undefined]);
  });

  it('calls a connection to a listening port inbound and any other outbound', () => {
    expect(
      classify(
        { l: '0.0.0.0:443', state: 'LISTEN' },
        { l: '10.0.0.5:443', r: '203.0.113.9:51000' },
        { l: '10.0.0.5:51001', r: '198.51.100.7:443' },
      ),
    ).toEqual(['listen', 'inbound', 'outbound']);
  });

  it('matches an IPv6 wildcard listener for v4-mapped connections, and a v6only one only for IPv6', () => {
    expect(classify({ l: ':::8080', state: 'LISTEN' }, { l: '::ffff:10.0.0.5:8080', r: '::ffff:203.0.113.9:1234' })).toEqual(['listen', 'inbound']);
    expect(classify({ l: ':::8080', state: 'LISTEN', v6only: true }, { l: '10.0.0.5:8080', r: '203.0.113.9:1234' })).toEqual(['listen', 'outbound']);
    // an IPv4 wildcard listener takes v4-mapped connections (same address family once unmapped)
    expect(classify({ l: '0.0.0.0:8080', state: 'LISTEN' }, { l: '::ffff:10.0.0.5:8080', r: '::ffff:203.0.113.9:1' })[1]).toBe('inbound');
  });

  it('does not take an outbound ephemeral port for inbound when the listener is on another address', () => {
    expect(classify({ l: '127.0.0.53:5000', state: 'LISTEN' }, { l: '10.0.0.5:5000', r: '198.51.100.7:443' })).toEqual(['listen', 'outbound']);
  });

  it('matches listeners by protocol and network namespace', () => {
    expect(classify({ l: '0.0.0.0:53', protocol: 'udp', state: 'CLOSE' }, { l: '10.0.0.5:53', r: '198.51.100.7:53' })[1]).toBe('outbound');
    expect(classify({ l: '0.0.0.0:80', state: 'LISTEN', netns: 1 }, { l: '10.0.0.5:80', r: '203.0.113.9:1', netns: 2 })[1]).toBe('outbound');
    expect(classify({ l: '0.0.0.0:80', state: 'LISTEN', netns: 2 }, { l: '10.0.0.5:80', r: '203.0.113.9:1', netns: 2 })[1]).toBe('inbound');
  });

  it('calls a connection local when its peer is loopback or an address a socket of this namespace is bound to', () => {
    expect(
      classify(
        { l: '127.0.0.1:6379', state: 'LISTEN' },
        { l: '127.0.0.1:6379', r: '127.0.0.1:40000' },
        { l: '::1:40001', r: '::1:9000' },
        { l: '::ffff:127.0.0.1:9000', r: '::ffff:127.0.0.1:40002' },
        { l: '10.0.0.5:40003', r: '10.0.0.5:443' },
      ),
    ).toEqual(['listen', 'local', 'local', 'local', 'local']);
    // the same address bound in another namespace is another host
    expect(classify({ l: '10.0.0.5:443', state: 'LISTEN', netns: 1 }, { l: '10.0.0.6:40003', r: '10.0.0.5:443', netns: 2 })[1]).toBe('outbound');
  });

  it('calls a connected UDP socket on a listening UDP port inbound (per-client sockets of a QUIC server)', () => {
    expect(classify({ l: '0.0.0.0:443', protocol: 'udp', state: 'CLOSE' }, { l: '10.0.0.5:443', r: '203.0.113.9:5000', protocol: 'udp' })[1]).toBe('inbound');
  });

  it('calls unix listeners listen and other unix sockets local', () => {
    const unix = (state: SocketRecord['state']): SocketRecord => ({ ...rec({ l: '/run/x.sock:0' }), protocol: 'unix', family: 'unix', state });
    const list = [unix('LISTEN'), unix('ESTABLISHED')];
    classifyDirections(list);
    expect(list.map((s) => s.direction)).toEqual(['listen', 'local']);
  });
});

describe('direction helpers and plugin', () => {
  it('unmaps only v4-mapped addresses', () => {
    expect(unmapAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(unmapAddress('::ffff:a:b')).toBe('::ffff:a:b');
  });

  it('does not call a UDP socket bound to port 0 (unbound) listening', () => {
    expect(isListening(rec({ l: '0.0.0.0:0', protocol: 'udp', state: 'CLOSE' }))).toBe(false);
  });

  it('runs as an enricher after process and container, on any platform', async () => {
    expect(directionEnricher).toMatchObject({ name: 'direction', kind: 'enricher', platforms: ['any'], after: ['process', 'container'], defaultEnabled: true });
    const e = await directionEnricher.create(createPluginContext(directionEnricher));
    const list = [rec({ l: '0.0.0.0:22', state: 'LISTEN' })];
    await expect(enrichRecords(e, list)).resolves.toEqual({});
    expect(list[0]?.direction).toBe('listen');
    await e.close();
  });
});

describe('direction, streamed record by record', () => {
  const streamed = async (...specs: Spec[]) => {
    const e = await directionEnricher.create(createPluginContext(directionEnricher));
    const run = await e.prepare(new AbortController().signal);
    const list = specs.map(rec);
    for (const s of list) run.enrich(s);
    expect(run.finish()).toEqual({});
    return list.map((s) => s.direction);
  };

  it('gives the whole-snapshot answers when listening sockets come first', async () => {
    const cases: Spec[][] = [
      [{ l: '0.0.0.0:80', state: 'LISTEN', netns: 2 }, { l: '10.0.0.5:80', r: '203.0.113.9:1', netns: 2 }, { l: '10.0.0.5:80', r: '203.0.113.9:1', netns: 1 }],
      [{ l: ':::80', state: 'LISTEN', v6only: true }, { l: '10.0.0.5:80', r: '203.0.113.9:1' }, { l: '::ffff:10.0.0.5:80', r: '::ffff:203.0.113.9:2' }],
      [{ l: '0.0.0.0:443', protocol: 'udp', state: 'CLOSE' }, { l: '10.0.0.5:443', r: '203.0.113.9:5000', protocol: 'udp' }],
      [{ l: '127.0.0.1:6379', state: 'LISTEN' }, { l: '127.0.0.1:6379', r: '127.0.0.1:40000' }, { l: '10.0.0.5:40003', r: '10.0.0.5:443' }, { l: '10.0.0.5:40004', r: '198.51.100.1:443' }],
    ];
    for (const specs of cases) expect(await streamed(...specs)).toEqual(classify(...specs));
  });

  it('calls a peer local only once a socket bound to its address has been read', async () => {
    // 10.0.0.6 → 10.0.0.5, both this host's, the source bound by hand: the server side is read second.
    const specs: Spec[] = [{ l: '10.0.0.6:40000', r: '10.0.0.5:9000' }, { l: '10.0.0.5:9000', r: '10.0.0.6:40000' }];
    expect(classify(...specs)).toEqual(['local', 'local']);
    expect(await streamed(...specs)).toEqual(['outbound', 'local']);
  });
});
