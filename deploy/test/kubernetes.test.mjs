// deploy/kubernetes: the base and every overlay rendered by `kubectl kustomize`, every object
// validated against the Kubernetes OpenAPI schemas (kubernetes-models' ajv validators) and the
// Prometheus Operator CRDs' schemas (@kubernetes-models/prometheus-operator), and the settings
// that matter checked against what the repository says they must be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { benchPeakRssBytes, checkConfig, enricherHostPaths, kustomize, quantityBytes, readmeCapabilities, root, version } from './lib/repo.mjs';
import { excessProperties } from './lib/strict.mjs';

const models = { 'v1/Namespace': Namespace, 'v1/ServiceAccount': ServiceAccount, 'v1/ConfigMap': ConfigMap, 'v1/Service': Service, 'apps/v1/DaemonSet': DaemonSet, 'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor, 'monitoring.coreos.com/v1/PodMonitor': PodMonitor };

const dirs = ['deploy/kubernetes/base', ...readdirSync(join(root, 'deploy/kubernetes/overlays')).sort().map((o) => `deploy/kubernetes/overlays/${o}`)];
const rendered = Object.fromEntries(dirs.map((d) => [d, kustomize(d)]));
const one = (objs, kind) => {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}, found ${found.length}`);
  return found[0];
};
const matches = (selector, labels) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const container = (ds) => ds.spec.template.spec.containers[0];

test('the base and the overlays all-namespaces, otlp and podmonitor render', () => {
  assert.deepEqual(dirs.map((d) => d.split('/').pop()), ['base', 'all-namespaces', 'otlp', 'podmonitor']);
  for (const d of dirs) assert.ok(rendered[d].length >= 5, `${d} renders ${rendered[d].length} objects`);
});

for (const d of dirs) {
  test(`${d}: every object is valid against its schema`, () => {
    for (const obj of rendered[d]) {
      const Model = models[`${obj.apiVersion}/${obj.kind}`];
      assert.ok(Model, `${d}: no schema for ${obj.apiVersion} ${obj.kind}`);
      assert.doesNotThrow(() => new Model(obj).validate(), `${d}: ${obj.kind} ${obj.metadata.name}`);
    }
  });
}

test('every object is checked for fields its schema does not have (the OpenAPI schemas allow any)', () => {
  assert.deepEqual(excessProperties(Object.values(rendered).flat()), []);
});

test('the schema check refuses a wrong type and the strict check an unknown field (both can fail)', () => {
  const ds = structuredClone(one(rendered['deploy/kubernetes/base'], 'DaemonSet'));
  ds.spec.template.spec.hostNetwork = 'yes';
  assert.throws(() => new DaemonSet(ds).validate(), /hostNetwork must be boolean/);
  const typo = structuredClone(one(rendered['deploy/kubernetes/base'], 'DaemonSet'));
  container(typo).securityContext.readOnlyRootFileSystem = true;
  assert.deepEqual(excessProperties([typo]), [`DaemonSet sockscope: unknown field spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem`]);
});

test('base DaemonSet: host network and PID, non-root, read-only root, RuntimeDefault seccomp, only the README\'s capabilities', () => {
  const ds = one(rendered['deploy/kubernetes/base'], 'DaemonSet');
  const pod = ds.spec.template.spec;
  const sc = container(ds).securityContext;
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.hostPID, true);
  assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 65532);
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(sc.privileged, false);
  assert.deepEqual(sc.capabilities.drop, ['ALL']);
  // the README: CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH always, CAP_SYS_ADMIN only for namespaces
  const caps = readmeCapabilities();
  assert.deepEqual(caps.namespaces, ['SYS_ADMIN']);
  assert.deepEqual([...sc.capabilities.add].sort(), caps.always);
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(container(ds).image, `sockscope:${version}`);
});

test('base DaemonSet: probes on /-/healthy and /-/ready of the metrics port', () => {
  const c = container(one(rendered['deploy/kubernetes/base'], 'DaemonSet'));
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 8020, protocol: 'TCP' }]);
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/-/healthy', port: 'metrics' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/-/ready', port: 'metrics' });
});

test('base DaemonSet: memory request covers the bench\'s peak RSS at 30,000 connections, the limit twice that', () => {
  const { requests, limits } = container(one(rendered['deploy/kubernetes/base'], 'DaemonSet')).resources;
  const peak = benchPeakRssBytes();
  assert.ok(quantityBytes(requests.memory) >= peak, `requests.memory ${requests.memory} < ${peak / 1e6} MB`);
  assert.ok(quantityBytes(limits.memory) >= 2 * peak, `limits.memory ${limits.memory} < 2 × ${peak / 1e6} MB`);
  assert.ok(requests.cpu && limits.cpu);
});

test('base DaemonSet: every directory the container enricher reads is mounted read-only from the host', () => {
  const ds = one(rendered['deploy/kubernetes/base'], 'DaemonSet');
  const volumes = Object.fromEntries(ds.spec.template.spec.volumes.map((v) => [v.name, v]));
  const hostMounts = container(ds).volumeMounts.filter((m) => volumes[m.name].hostPath);
  assert.deepEqual(hostMounts.map((m) => m.mountPath).sort(), enricherHostPaths());
  for (const m of hostMounts) {
    assert.equal(m.readOnly, true, m.mountPath);
    assert.equal(volumes[m.name].hostPath.path, m.mountPath);
  }
  const config = container(ds).volumeMounts.find((m) => m.mountPath === '/etc/sockscope');
  assert.equal(config.readOnly, true);
  assert.ok(volumes[config.name].configMap);
});

test('base: the Service selects the DaemonSet\'s pods and the ServiceMonitor the Service, by port name', () => {
  const objs = rendered['deploy/kubernetes/base'];
  const ds = one(objs, 'DaemonSet');
  const svc = one(objs, 'Service');
  const sm = one(objs, 'ServiceMonitor');
  assert.ok(matches(svc.spec.selector, ds.spec.template.metadata.labels));
  assert.ok(matches(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels));
  assert.ok(matches(sm.spec.selector.matchLabels, svc.metadata.labels));
  assert.equal(sm.spec.endpoints[0].port, svc.spec.ports[0].name);
  assert.equal(svc.spec.ports[0].targetPort, container(ds).ports[0].name);
  const ns = one(objs, 'Namespace');
  assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged');
  for (const o of objs.filter((x) => x.kind !== 'Namespace')) assert.equal(o.metadata.namespace, ns.metadata.name, `${o.kind} namespace`);
});

test('overlay podmonitor: a PodMonitor selecting the DaemonSet\'s pods replaces the ServiceMonitor and the Service', () => {
  const objs = rendered['deploy/kubernetes/overlays/podmonitor'];
  const ds = one(objs, 'DaemonSet');
  const pm = one(objs, 'PodMonitor');
  assert.ok(matches(pm.spec.selector.matchLabels, ds.spec.template.metadata.labels));
  assert.equal(pm.spec.podMetricsEndpoints[0].port, container(ds).ports[0].name);
  assert.equal(objs.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'Service').length, 0);
});

test('overlay all-namespaces: namespaces all, CAP_SYS_ADMIN added, user 0 (no ambient capabilities in Kubernetes)', () => {
  const ds = one(rendered['deploy/kubernetes/overlays/all-namespaces'], 'DaemonSet');
  const sc = container(ds).securityContext;
  assert.deepEqual([...sc.capabilities.add].sort(), readmeCapabilities().all);
  assert.deepEqual(sc.capabilities.drop, ['ALL']);
  assert.equal(ds.spec.template.spec.securityContext.runAsUser, 0);
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  const cm = one(rendered['deploy/kubernetes/overlays/all-namespaces'], 'ConfigMap');
  assert.match(cm.data['sockscope.yml'], /^\s+namespaces: all$/m);
});

test('overlay otlp: the OTLP endpoint in the environment, the node name as a resource attribute, no ServiceMonitor', () => {
  const objs = rendered['deploy/kubernetes/overlays/otlp'];
  const env = Object.fromEntries(container(one(objs, 'DaemonSet')).env.map((e) => [e.name, e]));
  assert.match(env.OTEL_EXPORTER_OTLP_ENDPOINT.value, /^http:\/\/[^/]+:4318$/);
  assert.equal(env.K8S_NODE_NAME.valueFrom.fieldRef.fieldPath, 'spec.nodeName');
  assert.equal(env.OTEL_RESOURCE_ATTRIBUTES.value, 'k8s.node.name=$(K8S_NODE_NAME)');
  assert.equal(objs.filter((o) => o.kind === 'ServiceMonitor').length, 0);
});

test('every rendered config passes `sockscope check-config` (with the overlay\'s OTEL_* environment)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-k8s-config-'));
  try {
    for (const d of dirs) {
      const objs = rendered[d];
      const file = join(dir, `${d.split('/').pop()}.yml`);
      writeFileSync(file, one(objs, 'ConfigMap').data['sockscope.yml']);
      const env = Object.fromEntries((container(one(objs, 'DaemonSet')).env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value.replace('$(K8S_NODE_NAME)', 'node-1')]));
      const r = checkConfig(file, env);
      assert.equal(r.status, 0, `${d}: ${r.output}`);
      // the DaemonSet's args name the file where the ConfigMap is mounted
      assert.deepEqual(container(one(objs, 'DaemonSet')).args, ['--config=/etc/sockscope/sockscope.yml']);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
