import { afterEach, describe, expect, it, vi } from 'vitest';
import { tcpSocket } from '../flows/sockets.fixture.js';
import { resolveFlowsConfig } from '../flows/schema.js';
import type { ContainerInfo, SocketRecord } from '../types/socket.js';
import { compileSelection } from './compile.js';
import { GlobSet, globProblem, globToRegExp } from './glob.js';
import type { SelectionCriteria } from './schema.js';
import { validateCriteria } from './validate.js';

// Issue 16: selection by names — containers by name glob, pods by name and namespace/pod globs,
// namespaces, images (the workload group, ORed with units) — and by remote address space (a group
// of its own).

const ID_WEB = '3f4e'.repeat(16);
const web: ContainerInfo = Object.freeze({ id: ID_WEB, name: 'nginx', pod: 'web-7d9c5b-xk2p9', namespace: 'prod', image: 'docker.io/library/nginx:1.27', podUid: 'uid-web' });
const dns: ContainerInfo = Object.freeze({ id: 'c'.repeat(64), name: 'coredns', pod: 'coredns-5d78c9869d-abcde', namespace: 'kube-system', image: 'registry.k8s.io/coredns/coredns:v1.11.1' });
const db: ContainerInfo = Object.freeze({ id: 'd'.repeat(64), name: 'compose-db-1', image: 'postgres:16', runtime: 'docker' });
const svc: ContainerInfo = Object.freeze({ systemdUnit: 'nginx.service', unitName: 'nginx' });

const mk = (container: ContainerInfo | undefined, remote: string, over: Partial<SocketRecord> = {}): SocketRecord =>
  tcpSocket({ remote: { address: remote, port: 443 }, ...(container ? { container } : {}), ...over });
const sWeb = mk(web, '8.8.8.8');
const sDns = mk(dns, '10.96.0.1');
const sDb = mk(db, '127.0.0.1');
const sSvc = mk(svc, '::ffff:192.168.1.1', { family: 'ipv6', local: { address: '::ffff:10.0.0.1', port: 40000 } });
const sBare = mk(undefined, 'fe80::1', { family: 'ipv6', local: { address: 'fe80::2', port: 40000 } });
const sEnriched = mk(undefined, '10.0.0.7', { remoteSpace: 'public' }); // the enricher's answer wins
const all = [sWeb, sDns, sDb, sSvc, sBare, sEnriched];
const name = new Map<SocketRecord, string>([[sWeb, 'web'], [sDns, 'dns'], [sDb, 'db'], [sSvc, 'svc'], [sBare, 'bare'], [sEnriched, 'enriched']]);

function kept(c: SelectionCriteria): { include: string[]; exclude: string[] } {
  const inc = compileSelection({ include: c, exclude: {} });
  const exc = compileSelection({ include: {}, exclude: c });
  return {
    include: all.filter((s) => inc.matches(s, undefined)).map((s) => name.get(s) as string),
    exclude: all.filter((s) => exc.matches(s, undefined)).map((s) => name.get(s) as string),
  };
}

const others = (included: string[]) => [...name.values()].filter((n) => !included.includes(n));

const cases: Array<[string, SelectionCriteria, string[]]> = [
  ['containers: a name glob', { containers: ['core*'] }, ['dns']],
  ['containers: an exact name', { containers: ['compose-db-1'] }, ['db']],
  ['containers: ? is one character', { containers: ['ngin?'] }, ['web']],
  ['containers: an id still matches, and a 12+ hex prefix', { containers: [ID_WEB.slice(0, 12)] }, ['web']],
  ['containers: a full id in upper case', { containers: ['D'.repeat(64)] }, ['db']],
  ['pods: a pod name glob', { pods: ['web-*'] }, ['web']],
  ['pods: a namespace/pod glob', { pods: ['kube-system/coredns-*'] }, ['dns']],
  ['pods: namespace/* for every pod of a namespace', { pods: ['prod/*'] }, ['web']],
  ['pods: a pod UID still matches', { pods: ['uid-web'] }, ['web']],
  ['pods: a namespace/pod glob of another namespace matches nothing', { pods: ['prod/coredns-*'] }, []],
  ['namespaces', { namespaces: ['kube-*'] }, ['dns']],
  ['namespaces: several', { namespaces: ['prod', 'kube-system'] }, ['web', 'dns']],
  ['images: a glob over the whole reference', { images: ['*/nginx:*'] }, ['web']],
  ['images: a plain reference', { images: ['postgres:16'] }, ['db']],
  ['images: * spans / and :', { images: ['*coredns*'] }, ['dns']],
  ['workload group: namespaces OR units OR images', { namespaces: ['prod'], units: ['nginx.service'], images: ['postgres:*'] }, ['web', 'db', 'svc']],
  ['remote_spaces: public (the enricher\'s remoteSpace wins over the address)', { remote_spaces: ['public'] }, ['web', 'enriched']],
  ['remote_spaces: private, v4-mapped as IPv4', { remote_spaces: ['private'] }, ['dns', 'svc']],
  ['remote_spaces: loopback and link_local', { remote_spaces: ['loopback', 'link_local'] }, ['db', 'bare']],
  ['remote_spaces is its own group: ANDed with the workload group', { namespaces: ['prod', 'kube-system'], remote_spaces: ['private'] }, ['dns']],
];

describe('selection by names and address space', () => {
  it.each(cases)('%s', (_label, criteria, included) => {
    const r = kept(criteria);
    expect(r.include).toEqual(included);
    if (Object.keys(criteria).length === 1) expect(r.exclude).toEqual(others(included));
  });

  it('excluding loopback keeps everything else', () => {
    expect(kept({ remote_spaces: ['loopback'] }).exclude).toEqual(['web', 'dns', 'svc', 'bare', 'enriched']);
  });
});

describe('compiled once', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs a glob once per distinct name, not once per socket', () => {
    const test = vi.spyOn(RegExp.prototype, 'test');
    const sel = compileSelection({ include: { containers: ['ngin*'], namespaces: ['pr*'], images: ['*nginx*'] }, exclude: {} });
    const before = test.mock.calls.length;
    for (let i = 0; i < 1000; i++) sel.matches(mk(web, '8.8.8.8'), undefined);
    for (let i = 0; i < 1000; i++) sel.matches(mk(db, '8.8.8.8'), undefined);
    // web matches on its name at once; db is tried by name and by image (it has no namespace): three regex runs in all
    expect(test.mock.calls.length - before).toBe(3);
  });

  it('turns a glob into one anchored expression: * any run, ? one character, the rest literal', () => {
    expect(globToRegExp('web-*').source).toBe('^web-.*$');
    expect(globToRegExp('a.b?').test('a.bc')).toBe(true);
    expect(globToRegExp('a.b?').test('axbc')).toBe(false);
    expect(new GlobSet(['web']).matches('web-1')).toBe(false);
    expect(new GlobSet(['web*']).matches('web-1')).toBe(true);
  });
});

describe('errors name the key and the fix', () => {
  it('refuses regex syntax, white space and a second "/" in names', () => {
    expect(validateCriteria({ containers: ['web.+'], pods: ['a/b/c'], namespaces: ['Prod'], images: ['nginx [1]'] }, 'flows.selection.include')).toEqual([
      'flows.selection.include.containers[0]: "web.+" holds "+": a glob takes * (any characters) and ? (one character) only, e.g. "web-*"',
      'flows.selection.include.pods[0]: "a/b/c" has more than one "/": give a pod UID, a pod name glob, or namespace/pod (e.g. "prod/web-*")',
      'flows.selection.include.namespaces[0]: "Prod" cannot match a Kubernetes namespace (lower-case letters, digits and "-" only, plus * and ?), e.g. "kube-*"',
      'flows.selection.include.images[0]: "nginx [1]" holds white space: a glob takes * (any characters) and ? (one character) only, e.g. "web-*"',
    ]);
    expect(globProblem('web-*')).toBeUndefined();
  });

  it('refuses an unknown address space, listing the known ones', () => {
    expect(() => resolveFlowsConfig({ selection: { exclude: { remote_spaces: ['internet'] } } } as never)).toThrow(
      expect.objectContaining({
        details: expect.arrayContaining(['flows.selection.exclude.remote_spaces[0]: must be one of "unspecified", "loopback", "link_local", "multicast", "private", "public"']),
      }),
    );
  });
});
