// deploy/compose/compose.yaml validated against the compose-spec JSON schema (vendored in
// schemas/, see schemas/README.md) with ajv, and run the way the DaemonSet runs the agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { checkConfig, enricherHostPaths, kustomize, root, version } from './lib/repo.mjs';

const schema = JSON.parse(readFileSync(join(root, 'deploy/test/schemas/compose-spec.json'), 'utf8'));
const composePath = join(root, 'deploy/compose/compose.yaml');
const compose = parse(readFileSync(composePath, 'utf8'));

function validator() {
  // the schema names draft-07 by an https URL ajv does not know as its meta-schema: validate the
  // documents against it without checking it against the meta-schema
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  return ajv.compile(schema);
}

test('compose.yaml is valid against the compose-spec schema', () => {
  const validate = validator();
  const ok = validate(compose);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
});

test('the schema check can fail: an unknown service key and a wrong type are refused', () => {
  const validate = validator();
  const bad = structuredClone(compose);
  bad.services.sockscope.capabilities_add = ['SYS_PTRACE'];
  assert.equal(validate(bad), false);
  assert.ok(validate.errors.some((e) => e.params?.additionalProperty === 'capabilities_add'), JSON.stringify(validate.errors));
  const wrong = structuredClone(compose);
  wrong.services.sockscope.cap_add = 'SYS_PTRACE';
  assert.equal(validate(wrong), false);
});

test('compose runs the agent as the DaemonSet does: host network and PID, same user, capabilities and mounts', () => {
  const s = compose.services.sockscope;
  const ds = kustomize('deploy/kubernetes/base').find((o) => o.kind === 'DaemonSet');
  const c = ds.spec.template.spec.containers[0];
  assert.equal(s.network_mode, 'host');
  assert.equal(s.pid, 'host');
  assert.equal(s.user, `${ds.spec.template.spec.securityContext.runAsUser}:${ds.spec.template.spec.securityContext.runAsGroup}`);
  assert.equal(s.read_only, true);
  assert.deepEqual(s.cap_drop, c.securityContext.capabilities.drop);
  assert.deepEqual(s.cap_add, c.securityContext.capabilities.add);
  assert.deepEqual(s.security_opt, ['no-new-privileges:true']);
  assert.equal(s.image, `sockscope:${version}`);
  assert.equal(s.build.dockerfile, 'deploy/container/Containerfile');
  assert.deepEqual(s.command, c.args);
  const mounts = s.volumes.map((v) => (typeof v === 'string' ? { target: v.split(':')[1], read_only: v.endsWith(':ro'), source: v.split(':')[0] } : v));
  assert.deepEqual(mounts.map((m) => m.target).sort(), enricherHostPaths());
  for (const m of mounts) {
    assert.equal(m.read_only, true, m.target);
    assert.equal(m.source, m.target);
  }
  assert.deepEqual(s.configs, [{ source: 'sockscope', target: '/etc/sockscope/sockscope.yml' }]);
});

test('the mounted config passes `sockscope check-config`', () => {
  const r = checkConfig(join(root, 'deploy/compose', compose.configs.sockscope.file));
  assert.equal(r.status, 0, r.output);
});
