// Unknown fields. Kubernetes' OpenAPI schemas (and so kubernetes-models' validators) allow any
// extra property, so a misspelt `readOnlyRootFileSystem` would pass them and be dropped by the
// API server without a word. This check types each object with the model's TypeScript
// interface (kubernetes-models ships them) and lets tsc's excess-property check name every
// field no interface has, mapped back to its path in the object.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './repo.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const interfaces = {
  'v1/Namespace': ['kubernetes-models/v1/Namespace', 'INamespace'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'apps/v1/DaemonSet': ['kubernetes-models/apps/v1/DaemonSet', 'IDaemonSet'],
  'monitoring.coreos.com/v1/ServiceMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', 'IServiceMonitor'],
  'monitoring.coreos.com/v1/PodMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor', 'IPodMonitor'],
};

/** Serializes `value` one property per line, recording the path of the key on each line. */
function emit(value, path, lines, paths, indent) {
  const pad = '  '.repeat(indent);
  if (Array.isArray(value)) {
    lines[lines.length - 1] += '[';
    value.forEach((v, i) => {
      lines.push(pad + '  ');
      paths.push(`${path}[${i}]`);
      emit(v, `${path}[${i}]`, lines, paths, indent + 1);
      lines[lines.length - 1] += ',';
    });
    lines.push(`${pad}]`);
    paths.push(path);
  } else if (value !== null && typeof value === 'object') {
    lines[lines.length - 1] += '{';
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      lines.push(`${pad}  ${JSON.stringify(k)}: `);
      paths.push(p);
      emit(v, p, lines, paths, indent + 1);
      lines[lines.length - 1] += ',';
    }
    lines.push(`${pad}}`);
    paths.push(path);
  } else {
    lines[lines.length - 1] += JSON.stringify(value);
  }
}

/** "Kind name: unknown field a.b[0].c" for every field of `objects` their interfaces lack. */
export function excessProperties(objects) {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-strict-'));
  try {
    symlinkSync(join(here, '..', 'node_modules'), join(dir, 'node_modules'));
    const lines = [];
    const paths = [];
    const owners = [];
    const imports = new Map();
    objects.forEach((obj, i) => {
      const entry = interfaces[`${obj.apiVersion}/${obj.kind}`];
      if (!entry) throw new Error(`no TypeScript interface for ${obj.apiVersion} ${obj.kind}`);
      imports.set(entry[1], entry[0]);
      const start = lines.length;
      lines.push(`export const o${i}: ${entry[1]} = `);
      paths.push('');
      emit(obj, '', lines, paths, 0);
      lines[lines.length - 1] += ';';
      for (let l = start; l < lines.length; l++) owners[l] = `${obj.kind} ${obj.metadata?.name}`;
    });
    const head = [...imports].map(([name, from]) => `import type { ${name} } from '${from}';`);
    writeFileSync(join(dir, 'objects.ts'), [...head, ...lines].join('\n') + '\n');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: true, types: [] }, files: ['objects.ts'] }));
    let out = '';
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      if (!out) throw e;
    }
    const found = [];
    for (const line of out.split('\n').filter(Boolean)) {
      const m = /objects\.ts\((\d+),\d+\): error TS(\d+): (.*)$/.exec(line);
      if (!m) {
        if (/error TS/.test(line)) throw new Error(`tsc: ${line}`);
        continue;
      }
      const l = Number(m[1]) - 1 - head.length;
      // TS2353/TS2561: an object literal's property its type does not have (a typo gets TS2561)
      if (m[2] === '2353' || m[2] === '2561') found.push(`${owners[l]}: unknown field ${paths[l]}`);
      else throw new Error(`tsc on the rendered objects: ${line}`);
    }
    return found;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
