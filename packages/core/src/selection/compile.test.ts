import { describe, expect, it } from 'vitest';
import { tcpSocket } from '../flows/sockets.fixture.js';
import type { Direction, SocketRecord } from '../types/socket.js';
import { compileSelection } from './compile.js';
import type { SelectionCriteria } from './schema.js';

const nginx = tcpSocket({
  uid: 33,
  local: { address: '10.0.0.1', port: 443 },
  remote: { address: '192.168.1.20', port: 51000 },
  process: { pid: 10, comm: 'nginx', cmdline: 'nginx: worker process' },
  container: { id: 'a'.repeat(64), systemdUnit: 'nginx.service', podUid: 'pod-1' },
  netns: 4026531840,
  netnsName: 'blue',
});
const curl = tcpSocket({
  family: 'ipv6',
  state: 'SYN_SENT',
  uid: 1000,
  local: { address: '2001:db8::1', port: 40000 },
  remote: { address: '2001:db8:1::9', port: 8443 },
  process: { pid: 20, comm: 'curl', cmdline: '/usr/bin/curl https://example.org' },
});
const bare: SocketRecord = { ...tcpSocket({ local: { address: '127.0.0.1', port: 9000 }, remote: { address: '127.0.0.1', port: 53000 } }), protocol: 'udp' };
const all = [nginx, curl, bare];
const dirs = new Map<SocketRecord, Direction>([[nginx, 'inbound'], [curl, 'outbound']]);

/** Which of `all` each side keeps: include-only, exclude-only. */
function kept(c: SelectionCriteria): { include: SocketRecord[]; exclude: SocketRecord[] } {
  const inc = compileSelection({ include: c, exclude: {} });
  const exc = compileSelection({ include: {}, exclude: c });
  return {
    include: all.filter((s) => inc.matches(s, dirs.get(s))),
    exclude: all.filter((s) => exc.matches(s, dirs.get(s))),
  };
}

const cases: Array<[string, SelectionCriteria, SocketRecord[]]> = [
  ['pids', { pids: [10] }, [nginx]],
  ['commands', { commands: ['curl'] }, [curl]],
  ['cmdline regex', { cmdline: ['^nginx: worker'] }, [nginx]],
  ['users', { users: [1000] }, [curl]],
  ['addresses (v6, other spelling)', { addresses: ['2001:db8:1:0:0:0:0:9'] }, [curl]],
  ['networks v4', { networks: ['192.168.0.0/16'] }, [nginx]],
  ['networks v6', { networks: ['2001:db8:1::/48'] }, [curl]],
  ['local_ports', { local_ports: ['400-500'] }, [nginx]],
  ['remote_ports', { remote_ports: [8443] }, [curl]],
  ['ports on either side', { ports: ['9000'] }, [bare]],
  ['protocols', { protocols: ['udp'] }, [bare]],
  ['families', { families: ['ipv6'] }, [curl]],
  ['states', { states: ['SYN_SENT'] }, [curl]],
  ['directions', { directions: ['inbound'] }, [nginx]],
  ['containers by short id', { containers: ['aaaaaaaaaaaa'] }, [nginx]],
  ['units', { units: ['nginx.service'] }, [nginx]],
  ['pods', { pods: ['pod-1'] }, [nginx]],
  ['netns by inode', { netns: [4026531840] }, [nginx]],
  ['netns by name', { netns: ['blue'] }, [nginx]],
];

describe('every selector, on both sides', () => {
  for (const [name, criteria, expected] of cases) {
    it(name, () => {
      const { include, exclude } = kept(criteria);
      expect(include).toEqual(expected);
      expect(exclude).toEqual(all.filter((s) => !expected.includes(s)));
    });
  }

  it('a short container prefix does not match (too ambiguous)', () => {
    expect(kept({ containers: ['aaaa'] }).include).toEqual([]);
  });
});

describe('combining', () => {
  it('ORs values inside a group and ANDs groups', () => {
    expect(kept({ pids: [10], commands: ['curl'] }).include).toEqual([nginx, curl]);
    expect(kept({ commands: ['nginx', 'curl'], families: ['ipv6'] }).include).toEqual([curl]);
    expect(kept({ addresses: ['192.168.1.20'], networks: ['2001:db8::/32'] }).include).toEqual([nginx, curl]);
  });

  it('lets exclude win over include', () => {
    const sel = compileSelection({ include: { commands: ['nginx', 'curl'] }, exclude: { networks: ['2001:db8::/32'] } });
    expect(all.filter((s) => sel.matches(s, undefined))).toEqual([nginx]);
  });

  it('keeps everything when empty', () => {
    const sel = compileSelection({ include: {}, exclude: {} });
    expect(sel.all).toBe(true);
    expect(all.every((s) => sel.matches(s, undefined))).toBe(true);
  });

  it('an unknown direction never matches a direction criterion', () => {
    const sel = compileSelection({ include: { directions: ['outbound'] }, exclude: {} });
    expect(sel.matches(curl, undefined)).toBe(false);
  });
});

describe('host names', () => {
  it('resolve in the background, refresh after the TTL, and keep the last answer on failure', async () => {
    let clock = 0;
    const answers: Array<string[] | Error> = [['192.168.1.20'], new Error('SERVFAIL'), ['2001:db8:1::9']];
    const asked: string[] = [];
    const sel = compileSelection(
      { include: { hosts: ['web.example'] }, exclude: {}, host_ttl: '1m' },
      {
        now: () => clock,
        resolveHost: (name) => {
          asked.push(name);
          const a = answers.shift() ?? [];
          return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
        },
      },
    );
    // before the first answer nothing matches, and tick() did not wait for it
    sel.tick();
    expect(sel.matches(nginx, undefined)).toBe(false);
    await sel.settled();
    expect(sel.matches(nginx, undefined)).toBe(true);
    clock = 30_000;
    sel.tick();
    expect(asked).toHaveLength(1);
    clock = 61_000;
    sel.tick();
    await sel.settled();
    expect(asked).toHaveLength(2);
    expect(sel.matches(nginx, undefined)).toBe(true);
    clock = 130_000;
    sel.tick();
    await sel.settled();
    expect(sel.matches(nginx, undefined)).toBe(false);
    expect(sel.matches(curl, undefined)).toBe(true);
  });

  it('match nothing without a resolver', async () => {
    const sel = compileSelection({ include: { hosts: ['localhost'] }, exclude: {} });
    sel.tick();
    await sel.settled();
    expect(all.filter((s) => sel.matches(s, undefined))).toEqual([]);
  });
});
