import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { holdInNamespaces, type HeldNamespaces } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CGROUP_HIERARCHIES, kubepodsCgroup, placeInCgroup, removeCgroups, writeContainerdBundle } from './fake-containers.js';
import { httpGet, logEntries, startCli, type RunningCli } from './run-cli.js';

// Workload identity through the real CLI (issue 16), with no runtime running: a child holding
// loopback connections is moved into a cgroup shaped like a Kubernetes container of containerd
// (kubelet's systemd driver, burstable QoS), and the OCI bundle containerd would have written for
// it (config.json with the CRI annotations) sits under a temp state root the agent is pointed at.
// A second child sits in a docker-shaped cgroup whose runtime root does not exist (the notice), a
// third in a network namespace of its own (`ip netns add`). Every name is unique to the run.

const u = randomBytes(3).toString('hex');
const RUN = `${process.pid}-${u}`;
// Kubernetes' generated name parts avoid vowels and 0, 1, 3: this pod name reads as a Deployment's
const POD = `web${u}-7d4b9c8f6d-x2x9z`;
const WORKLOAD = `web${u}`;
const NAMESPACE = `shop-${u}`;
const POD_UID = `9e1b5a5c-7f0e-4d2b-a8c3-${u}${u}`;
const CONTAINER = 'nginx';
const IMAGE = `registry.example/web-${u}:1.27`;
const ID_K8S = randomBytes(32).toString('hex');
const ID_DOCKER = randomBytes(32).toString('hex');
const NETNS = `sockscope-idt-${RUN}`;
const NETNS_PORT = 47831;

const TOP = `sockscope-test-${RUN}.slice`;
const K8S_CGROUP = kubepodsCgroup(TOP, 'burstable', POD_UID.replaceAll('-', '_'), ID_K8S);
const DOCKER_CGROUP = `${TOP}/system.slice/docker-${ID_DOCKER}.scope`;

// Holds `count` loopback connections to its own listener (port 0: the kernel picks); prints the
// port once every one was accepted; exits when stdin ends.
const holder = (port: number, count: number) => `
const net = require('net');
let accepted = 0;
const server = net.createServer(() => { if (++accepted === ${count}) console.log(JSON.stringify({ port: server.address().port })); });
server.listen(${port}, '127.0.0.1', () => { for (let i = 0; i < ${count}; i++) net.connect({ port: server.address().port, host: '127.0.0.1' }); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** Starts a holder child; resolves with it and its listening port. */
async function startHolder(count: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', holder(0, count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, port: (JSON.parse(line) as { port: number }).port };
}


/** A sample line's labels as an object. */
function labelsOf(line: string): Record<string, string> {
  const inside = /\{(.*)\}/.exec(line)?.[1] ?? '';
  return Object.fromEntries([...inside.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
}

/** Series of a family (every sample line starting with its name and a label set). */
const series = (body: string, family: string) => body.split('\n').filter((l) => l.startsWith(`${family}{`)).map(labelsOf);

/** Scrapes once /-/ready says the first collection is done (sockets opened before the agent started). */
async function readyMetrics(cli: RunningCli): Promise<string> {
  for (let i = 0; i < 400 && (await httpGet(cli.port, '/-/ready')).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
  return (await httpGet(cli.port, '/metrics')).body;
}

const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;

describe.runIf(linux && root && CGROUP_HIERARCHIES.length > 0)('workload identity through the real CLI (fake containerd and docker containers, a named netns)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-identity-'));
  const stateRoot = join(dir, 'containerd');
  const missingDockerRoot = join(dir, 'no-docker-here');
  const children: ChildProcess[] = [];
  let k8sPort = 0;
  let dockerPort = 0;
  let held: HeldNamespaces | undefined;

  const writeConfig = (name: string, flows: string, extra = ''): string => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        'collection: { min_interval: 0s }',
        'collectors:',
        '  linux-netlink: { namespaces: all }',
        'enrichers:',
        '  container:',
        `    runtime_roots: { containerd: [${stateRoot}], docker: [${missingDockerRoot}] }`,
        `flows: ${flows}`,
        extra,
      ].join('\n') + '\n',
    );
    return file;
  };

  beforeAll(async () => {
    writeContainerdBundle(stateRoot, { id: ID_K8S, container: CONTAINER, image: IMAGE, pod: POD, namespace: NAMESPACE, podUid: POD_UID, args: ['nginx', '-g', 'daemon off;'] });
    const k8s = await startHolder(3);
    children.push(k8s.child);
    k8sPort = k8s.port;
    placeInCgroup(K8S_CGROUP, k8s.child.pid!);
    const docker = await startHolder(2);
    children.push(docker.child);
    dockerPort = docker.port;
    placeInCgroup(DOCKER_CGROUP, docker.child.pid!);
    held = await holdInNamespaces([NETNS], holder(NETNS_PORT, 2));
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        child.stdin?.end();
        await once(child, 'exit');
      }
    }
    await held?.release();
    await removeCgroups(TOP);
    rmSync(dir, { recursive: true, force: true });
  });

  it('container folding: flows keyed by namespace, pod and container; sockscope_container_info carries the names and the inferred workload', async () => {
    const cli = await startCli(['--config', writeConfig('container', '{ folding: container, families: { flow_sockets: true } }')]);
    try {
      const body = await readyMetrics(cli);
      const info = series(body, 'sockscope_container_info').filter((l) => l.container_id === ID_K8S);
      expect(info).toEqual([{ container_id: ID_K8S, container: CONTAINER, pod: POD, namespace: NAMESPACE, image: IMAGE, runtime: 'containerd', workload: WORKLOAD }]);
      // the pod's own flows: three connections, both ends held by the pod's process (6 sockets)
      const flows = series(body, 'sockscope_flow_sockets').filter((l) => l.pod === POD);
      expect(flows.length).toBeGreaterThan(0);
      for (const f of flows) expect(f).toMatchObject({ namespace: NAMESPACE, pod: POD, container: CONTAINER });
      expect(Object.keys(flows[0]!)).toEqual(expect.arrayContaining(['namespace', 'pod', 'container', 'unit', 'process']));
      // the docker container's runtime state is missing: it still has its own flows, keyed by its short id
      const dockerInfo = series(body, 'sockscope_container_info').filter((l) => l.container_id === ID_DOCKER);
      expect(dockerInfo).toHaveLength(1);
      expect(dockerInfo[0]).toMatchObject({ runtime: 'docker', pod: '', namespace: '' });
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('a missing runtime root is named once, with the fix, in /health and in the log, however many collections see its container', async () => {
    const cli = await startCli(['--config', writeConfig('notice', '{ folding: service }')]);
    try {
      await readyMetrics(cli);
      for (let i = 0; i < 3; i++) await httpGet(cli.port, '/metrics');
      const { notices, ...rest } = JSON.parse((await httpGet(cli.port, '/health')).body) as { notices: string[] };
      const named = notices.filter((n) => n.includes(missingDockerRoot));
      expect(named).toHaveLength(1);
      // which runtime, which root, and the two fixes: mount it, or say where the state is
      expect(named[0]).toMatch(/^enricher container: docker containers run on this host/);
      expect(named[0]).toContain(`Mount ${missingDockerRoot} read-only`);
      expect(named[0]).toContain('enrichers.container.runtime_roots.docker');
      // the later collections' status does not say it again
      expect(JSON.stringify(rest)).not.toContain(missingDockerRoot);
      expect(logEntries(cli).filter((e) => JSON.stringify(e).includes(missingDockerRoot))).toHaveLength(1);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('selection by pod name glob keeps only that pod\'s flows (not the docker container\'s, the netns child\'s or the host\'s)', async () => {
    const cli = await startCli(['--config', writeConfig('select', `{ folding: raw_endpoint, families: { flow_sockets: true }, selection: { include: { pods: ['web${u}-*'] } } }`)]);
    try {
      const body = await readyMetrics(cli);
      const flows = series(body, 'sockscope_flow_sockets');
      const ports = new Set(flows.flatMap((f) => [f.src_port, f.dst_port]));
      // three connections seen from both ends
      expect(flows.filter((f) => f.src_port === String(k8sPort) || f.dst_port === String(k8sPort))).toHaveLength(6);
      expect(flows.every((f) => f.src_port === String(k8sPort) || f.dst_port === String(k8sPort))).toBe(true);
      expect(ports.has(String(dockerPort))).toBe(false);
      expect(flows.some((f) => f.netns === NETNS)).toBe(false);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('service folding: loopback flows carry remote_space="loopback"; the named netns child\'s flows carry its name', async () => {
    const cli = await startCli(['--config', writeConfig('service', '{ folding: service, families: { flow_sockets: true } }')]);
    try {
      const body = await readyMetrics(cli);
      const flows = series(body, 'sockscope_flow_sockets');
      const outbound = flows.filter((f) => f.direction === 'outbound' && f.dst_port === String(k8sPort) && f.netns !== NETNS);
      expect(outbound).toHaveLength(1);
      expect(outbound[0]).toMatchObject({ dst: '127.0.0.1', remote_space: 'loopback' });
      const inbound = flows.filter((f) => f.direction === 'inbound' && f.local_port === String(k8sPort) && f.netns !== NETNS);
      expect(inbound).toHaveLength(1);
      expect(inbound[0]).toMatchObject({ remote_space: 'loopback' });
      const inNetns = flows.filter((f) => f.dst_port === String(NETNS_PORT) || f.local_port === String(NETNS_PORT));
      expect(inNetns.length).toBeGreaterThan(0);
      for (const f of inNetns) expect(f.netns).toBe(NETNS);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
