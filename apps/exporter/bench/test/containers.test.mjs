// Pure parts of the containers step: the fake containers' names, cgroup paths and bundles, what
// an exposition says was named, and the ≤ 5 % goal. The live part runs in pnpm bench (root).
// Run with: node --test apps/exporter/bench/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleConfig, cgroupPathOf, containerSpec } from '../lib/fake-containers.mjs';
import { cpuMs, namedContainers } from '../lib/containers-step.mjs';
import { evaluateEarlierGoals, describeGoal } from '../lib/goals.mjs';
import { summarize } from '../lib/measure.mjs';

test('fake containers: two per pod, ids and pod UIDs in the formats the runtime and kubelet use, deterministic per seed', () => {
  const specs = Array.from({ length: 200 }, (_, i) => containerSpec('seed', i));
  assert.equal(new Set(specs.map((s) => s.id)).size, 200);
  assert.ok(specs.every((s) => /^[0-9a-f]{64}$/.test(s.id)));
  assert.ok(specs.every((s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s.podUid)));
  assert.equal(new Set(specs.map((s) => s.pod)).size, 100);
  assert.equal(new Set(specs.map((s) => s.namespace)).size, 10);
  assert.deepEqual(new Set(specs.map((s) => s.qos)), new Set(['burstable', 'besteffort', 'guaranteed']));
  // a Deployment's pod name: <deployment>-<pod-template-hash>-<5 chars>, both in Kubernetes' safe alphabet
  assert.ok(specs.every((s) => /^svc\d\d-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(s.pod)), specs[0].pod);
  assert.deepEqual(containerSpec('seed', 7), specs[7]);
  assert.notEqual(containerSpec('other', 7).id, specs[7].id);
});

test('fake containers: the systemd driver cgroup path of each QoS class, and a bundle naming the same pod', () => {
  const spec = { ...containerSpec('seed', 0), podUid: '9e1b5a5c-7f0e-4d2b-a8c3-2f6d9b0e4a11' };
  assert.equal(cgroupPathOf('r.slice', { ...spec, qos: 'burstable' }),
    `r.slice/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod9e1b5a5c_7f0e_4d2b_a8c3_2f6d9b0e4a11.slice/cri-containerd-${spec.id}.scope`);
  assert.equal(cgroupPathOf('r.slice', { ...spec, qos: 'guaranteed' }),
    `r.slice/kubepods.slice/kubepods-pod9e1b5a5c_7f0e_4d2b_a8c3_2f6d9b0e4a11.slice/cri-containerd-${spec.id}.scope`);
  const bundle = bundleConfig(spec, cgroupPathOf('r.slice', { ...spec, qos: 'besteffort' }));
  assert.equal(bundle.annotations['io.kubernetes.cri.sandbox-name'], spec.pod);
  assert.equal(bundle.annotations['io.kubernetes.cri.sandbox-uid'], spec.podUid);
  assert.equal(bundle.annotations['io.kubernetes.cri.container-name'], spec.name);
  assert.equal(bundle.linux.cgroupsPath, `kubepods-besteffort-pod9e1b5a5c_7f0e_4d2b_a8c3_2f6d9b0e4a11.slice:cri-containerd:${spec.id}`);
  assert.equal(typeof bundle.ociVersion, 'string');
});

test('named containers: info series with a pod, distinct pods and namespaces', () => {
  const text = [
    '# TYPE sockscope_container_info gauge',
    'sockscope_container_info{container_id="a",container="app",pod="p1",namespace="n1",image="i",runtime="containerd",workload="p"} 1',
    'sockscope_container_info{container_id="b",container="sidecar",pod="p1",namespace="n1",image="i",runtime="containerd",workload="p"} 1',
    'sockscope_container_info{container_id="c",container="app",pod="p1",namespace="n2",image="i",runtime="containerd",workload="p"} 1',
    'sockscope_container_info{container_id="d",container="x",pod="",namespace="",image="",runtime="docker",workload=""} 1',
    'sockscope_flow_sockets{pod="p9"} 1',
  ].join('\n');
  assert.deepEqual(namedContainers(text), { infoSeries: 4, withPod: 3, pods: 2, namespaces: 2 });
});

test('goals: the container enricher judged on median on ÷ off − 1 of scrape time when CPU time was not measured, not measured without the step', () => {
  const containers = (onMs) => ({ connections: 30_000, containers: 200, addedPct: (onMs / 100 - 1) * 100, on: { ms: summarize([onMs]), memory: { peakMb: 130 } }, off: { ms: summarize([100]), memory: { peakMb: 120 } } });
  const goal = (c) => evaluateEarlierGoals([], c).at(-1);
  assert.equal(goal(containers(104)).pass, true);
  assert.equal(goal(containers(106)).pass, false);
  assert.equal(describeGoal(goal(containers(104))), '4.0 % at 30,000 (not judged: peak RSS 130 MB on, 120 MB off)');
  assert.equal(goal(undefined).pass, undefined);
});

test('cpuMs: agrees with process.cpuUsage() over a stretch of spinning (however loaded the machine)', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const before = cpuMs(process.pid);
  const start = process.cpuUsage();
  const deadline = Date.now() + 10_000;
  // spin until the kernel has given this process 50 ms of CPU, whatever the wall time it takes
  while (process.cpuUsage(start).user + process.cpuUsage(start).system < 50_000 && Date.now() < deadline);
  const used = cpuMs(process.pid) - before;
  const usage = process.cpuUsage(start);
  const expected = (usage.user + usage.system) / 1000;
  assert.ok(used > expected * 0.7 && used < expected + 100, `schedstat ${used} ms, cpuUsage ${expected} ms`);
});

test('goals: judged on the agent CPU time per scrape when measured, scrape time listed beside', () => {
  const c = (cpu) => ({ connections: 30_000, containers: 200, addedPct: -6.2, addedCpuPct: cpu, on: { memory: { peakMb: 130 } }, off: { memory: { peakMb: 120 } } });
  const g = evaluateEarlierGoals([], c(5.3)).at(-1);
  assert.equal(g.pass, false);
  assert.match(g.goal, /CPU time per scrape/);
  assert.equal(describeGoal(g), '5.3 % at 30,000 (not judged: scrape time -6.2 %, peak RSS 130 MB on, 120 MB off)');
  assert.equal(evaluateEarlierGoals([], c(4)).at(-1).pass, true);
});
