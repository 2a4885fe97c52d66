// What the deploy tests read from the repository: the version, the README's least-privilege
// capabilities, the container enricher's default paths, the bench's measured RSS, and the
// sockscope executable to run `check-config` with.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const version = JSON.parse(readFileSync(join(root, 'apps/exporter/package.json'), 'utf8')).version;

/** The `CAP_*` names of the README's "Security and least privilege" section, without `CAP_`. */
export function readmeCapabilities() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = /^## Security and least privilege\n([\s\S]*?)^## /m.exec(readme)?.[1]?.replace(/\s+/g, ' ');
  if (!section) throw new Error('README.md has no "## Security and least privilege" section');
  const all = [...new Set([...section.matchAll(/`CAP_([A-Z_]+)`/g)].map((m) => m[1]))];
  // "`CAP_SYS_ADMIN` is needed only to read other network namespaces"
  const onlyForNamespaces = all.filter((c) => new RegExp(`CAP_${c}\` is needed only to read other network namespaces`).test(section));
  return { all: all.sort(), always: all.filter((c) => !onlyForNamespaces.includes(c)).sort(), namespaces: onlyForNamespaces };
}

/** The container enricher's default runtime roots and netns directory (its config schema). */
export function enricherHostPaths() {
  const src = readFileSync(join(root, 'packages/collector-linux-procfs/src/config.ts'), 'utf8');
  const roots = [...src.matchAll(/rootList\(\[([^\]]*)\]/g)].flatMap((m) => [...m[1].matchAll(/'([^']+)'/g)].map((q) => q[1]));
  const netns = /netns_run_dir: \{[^}]*default: '([^']+)'/.exec(src)?.[1];
  if (roots.length === 0 || !netns) throw new Error('cannot read runtime_roots / netns_run_dir defaults from collector-linux-procfs/src/config.ts');
  return [...new Set([...roots, netns])].sort();
}

/** The bench's peak RSS of the CLI at 30,000 connections with the default config, in bytes. */
export function benchPeakRssBytes() {
  const md = readFileSync(join(root, 'apps/exporter/bench/results/latest.md'), 'utf8');
  const m = /^\| RSS ≤ [^|]*default config\) \| ([\d.]+) MB at 30,000/m.exec(md);
  if (!m) throw new Error('apps/exporter/bench/results/latest.md: no "RSS ≤ … default config" goal row');
  return Number(m[1]) * 1e6;
}

/** How to run sockscope here: the release executable when built, else the checkout's CLI. */
export function sockscopeCommand() {
  const exe = join(root, 'dist-release', `sockscope-${version}-linux-${process.arch}`, 'sockscope');
  if (existsSync(exe)) return [exe];
  const cli = join(root, 'apps/exporter/dist/cli.js');
  if (existsSync(cli)) return [process.execPath, cli];
  throw new Error(`neither ${exe} nor ${cli} exists: run \`npx --yes pnpm@10 release --only binary\` (or \`pnpm build\`) first`);
}

/** `sockscope check-config FILE`: exit code and output. */
export function checkConfig(file, env = {}) {
  const [cmd, ...pre] = sockscopeCommand();
  const r = spawnSync(cmd, [...pre, 'check-config', file], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** `kubectl kustomize DIR`, parsed: every object rendered. */
export function kustomize(dir) {
  const out = execFileSync('kubectl', ['kustomize', join(root, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length > 0) throw new Error(`${dir}: ${d.errors[0].message}`);
    return d.toJS();
  });
}

/** Bytes of a Kubernetes quantity ("128Mi", "1G", "500M"). */
export function quantityBytes(q) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const mult = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * mult;
}
