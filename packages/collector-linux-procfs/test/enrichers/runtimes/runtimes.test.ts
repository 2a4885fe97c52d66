import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MAX_RUNTIME_FILE_BYTES,
  inferWorkload,
  parseContainerdBundle,
  parseCrioPodmanConfig,
  parseDockerConfigV2,
  type RuntimeContainer,
  type RuntimeParseResult,
} from '../../../src/enrichers/runtimes/index.js';

const ID = '3f4e7d0c2a9b8e1f6d5c4b3a29181716f5e4d3c2b1a09f8e7d6c5b4a39281706';
const SB = '8c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d';
const fixture = (name: string): Buffer => readFileSync(new URL(`fixtures/${name}.json`, import.meta.url));

type Parser = (input: Buffer | string, id: string) => RuntimeParseResult;
const PARSERS: [string, Parser][] = [
  ['containerd', parseContainerdBundle],
  ['cri-o/podman', parseCrioPodmanConfig],
  ['docker', parseDockerConfigV2],
];

describe('runtime state parsers: fixtures', () => {
  it.each<[string, Parser, string, RuntimeContainer]>([
    [
      'containerd 1.7 CRI container',
      parseContainerdBundle,
      'containerd-1.7-cri-container',
      { id: ID, runtime: 'containerd', name: 'nginx', pod: 'web-7d4b9c8f6d-x2x9z', namespace: 'shop', podUid: '9e1b5a5c-7f0e-4d2b-a8c3-2f6d9b0e4a11', image: 'docker.io/library/nginx:1.27', type: 'container' },
    ],
    ['containerd 2.0 CRI sandbox', parseContainerdBundle, 'containerd-2.0-cri-sandbox', { id: SB, runtime: 'containerd', pod: 'db-0', namespace: 'data', podUid: '5b0c2f7e-1d3a-4c9b-8e6f-0a1b2c3d4e5f', type: 'sandbox' }],
    ['containerd 2.0 nerdctl', parseContainerdBundle, 'containerd-2.0-nerdctl', { id: ID, runtime: 'containerd', name: 'cache' }],
    [
      'CRI-O 1.30 container',
      parseCrioPodmanConfig,
      'crio-1.30-container',
      { id: ID, runtime: 'cri-o', name: 'node-exporter', pod: 'node-exporter-x7k2p', namespace: 'monitoring', podUid: '2a7f4c1e-9b3d-4e8a-b6c5-7d0e1f2a3b4c', image: 'quay.io/prometheus/node-exporter:v1.8.2', type: 'container' },
    ],
    [
      'CRI-O 1.30 sandbox',
      parseCrioPodmanConfig,
      'crio-1.30-sandbox',
      { id: SB, runtime: 'cri-o', pod: 'node-exporter-x7k2p', namespace: 'monitoring', podUid: '2a7f4c1e-9b3d-4e8a-b6c5-7d0e1f2a3b4c', image: 'registry.k8s.io/pause:3.10', type: 'sandbox' },
    ],
    ['Podman 5 container', parseCrioPodmanConfig, 'podman-5-container', { id: ID, runtime: 'podman' }],
    ['Podman 5 pod member', parseCrioPodmanConfig, 'podman-5-kube-play', { id: ID, runtime: 'podman', name: 'httpd', pod: 'blog', namespace: 'default', type: 'container' }],
    ['Docker 27 Compose', parseDockerConfigV2, 'docker-27-compose', { id: ID, runtime: 'docker', name: 'shop-web-1', image: 'nginx:1.27', composeProject: 'shop', composeService: 'web' }],
    ['Docker 27 plain', parseDockerConfigV2, 'docker-27-plain', { id: ID, runtime: 'docker', name: 'quirky_turing', image: 'redis' }],
    [
      'Docker dockershim',
      parseDockerConfigV2,
      'docker-dockershim',
      {
        id: ID,
        runtime: 'docker',
        name: 'coredns',
        pod: 'coredns-5dd5756b68-7rtvq',
        namespace: 'kube-system',
        podUid: '4d3c2b1a-0f9e-8d7c-6b5a-493827160514',
        image: 'sha256:ead0a4a53df89fd173874b46093b6e62d8c72967bbf606d672c9e8c9b601a4fc',
        type: 'container',
      },
    ],
  ])('%s', (_label, parse, name, expected) => {
    // the directory id is the sandbox's for the sandbox fixtures, as on disk
    const dirId = name.includes('sandbox') ? SB : ID;
    expect(parse(fixture(name), dirId)).toEqual({ container: expected });
    // a string parses the same as the bytes
    expect(parse(fixture(name).toString('utf8'), dirId)).toEqual({ container: expected });
  });

  it('containerd: the id is the bundle directory name, the spec has none', () => {
    expect(parseContainerdBundle(fixture('containerd-2.0-nerdctl'), 'abc').container?.id).toBe('abc');
  });

  it('docker: a config.v2.json without ID takes the directory id', () => {
    const doc = JSON.parse(fixture('docker-27-plain').toString('utf8')) as Record<string, unknown>;
    delete doc.ID;
    expect(parseDockerConfigV2(JSON.stringify(doc), ID).container).toEqual({ id: ID, runtime: 'docker', name: 'quirky_turing', image: 'redis' });
  });
});

describe('runtime state parsers: malformed input gives undefined and a reason, never a throw', () => {
  const truncated = (name: string) => fixture(name).subarray(0, Math.floor(fixture(name).length / 2));
  const huge = Buffer.alloc(MAX_RUNTIME_FILE_BYTES + 1, 0x20);
  const binary = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe]);
  const zeroFilled = Buffer.alloc(4096, 0);
  const cases: [string, Buffer | string, RegExp][] = [
    ['empty', '', /is empty/],
    ['over the size bound', huge, /over the 4194304-byte bound/],
    ['binary (ELF, not UTF-8)', binary, /not UTF-8|NUL/],
    ['zero-filled (crashed write)', zeroFilled, /NUL bytes/],
    ['JSON array', '[]', /not an object \(array\)/],
    ['JSON null', 'null', /not an object \(null\)/],
    ['JSON number', '42', /not an object \(number\)/],
    ['JSON string', '"config"', /not an object \(string\)/],
  ];
  for (const [parserName, parse] of PARSERS) {
    it.each(cases)(`${parserName}: %s`, (_label, input, reason) => {
      const result = parse(input, ID);
      expect(result.container).toBeUndefined();
      expect(result.reason).toMatch(reason);
      expect(result.reason).toContain(ID);
    });
  }

  it.each<[string, Parser, string]>([
    ['containerd', parseContainerdBundle, 'containerd-1.7-cri-container'],
    ['cri-o', parseCrioPodmanConfig, 'crio-1.30-container'],
    ['docker', parseDockerConfigV2, 'docker-27-compose'],
  ])('%s: a file cut short while written', (_label, parse, name) => {
    const result = parse(truncated(name), ID);
    expect(result.container).toBeUndefined();
    expect(result.reason).toMatch(/not valid JSON \(truncated\?\)/);
  });

  it('containerd and CRI-O/Podman: a JSON object that is not an OCI spec', () => {
    expect(parseContainerdBundle('{"annotations":{}}', ID).reason).toMatch(/no ociVersion: not an OCI runtime spec/);
    expect(parseCrioPodmanConfig('{}', ID).reason).toMatch(/no ociVersion: not an OCI runtime spec/);
  });

  it('docker: an object without Config is not a container file', () => {
    expect(parseDockerConfigV2('{"ID":"x","Name":"/a"}', ID).reason).toMatch(/no Config object/);
  });

  it('the size bound is checked before parsing: a huge valid JSON string is refused too', () => {
    const big = JSON.stringify({ ociVersion: '1.2.0', pad: 'x'.repeat(MAX_RUNTIME_FILE_BYTES) });
    expect(parseContainerdBundle(big, ID).reason).toMatch(/over the .* bound/);
  });

  it('wrongly typed fields are ignored, not trusted', () => {
    const spec = JSON.stringify({ ociVersion: '1.2.0', annotations: { 'io.kubernetes.cri.container-name': 7, 'io.kubernetes.cri.container-type': 'vm', 'io.kubernetes.cri.sandbox-name': '' } });
    expect(parseContainerdBundle(spec, ID)).toEqual({ container: { id: ID, runtime: 'containerd' } });
    expect(parseCrioPodmanConfig(JSON.stringify({ ociVersion: '1', annotations: [] }), ID)).toEqual({ container: { id: ID, runtime: 'cri-o' } });
    expect(parseDockerConfigV2(JSON.stringify({ Config: { Labels: null, Image: 3 }, Name: '/' }), ID)).toEqual({ container: { id: ID, runtime: 'docker' } });
  });
});

describe('inferWorkload (an inference from Kubernetes naming conventions)', () => {
  it.each<[string | undefined, ReturnType<typeof inferWorkload>]>([
    ['web-7d4b9c8f6d-x2x9z', { kind: 'Deployment', name: 'web' }],
    ['coredns-5dd5756b68-7rtvq', { kind: 'Deployment', name: 'coredns' }],
    ['shop-api-v2-6c9f8b7d5-k4z2m', { kind: 'Deployment', name: 'shop-api-v2' }],
    ['db-0', { kind: 'StatefulSet', name: 'db' }],
    ['kafka-broker-12', { kind: 'StatefulSet', name: 'kafka-broker' }],
    ['node-exporter-x7k2p', { kind: 'DaemonSet', name: 'node-exporter' }],
    ['kube-proxy-9vz4q', { kind: 'DaemonSet', name: 'kube-proxy' }],
    ['backup-29412345-hx8vq', { kind: 'CronJob', name: 'backup' }],
    // generated parts never hold vowels or 0/1/3: words are not mistaken for them
    ['node-exporter-abcde', undefined],
    ['api-server', undefined],
    ['my-cache', undefined],
    // a leading zero is not an ordinal
    ['db-01', undefined],
    ['nginx', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s', (pod, expected) => {
    expect(inferWorkload(pod)).toEqual(expected);
  });
});
