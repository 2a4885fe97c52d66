#!/usr/bin/env node
// `pnpm release`: builds every install artifact into dist-release/ (see deploy/README.md).
//   node scripts/release/release.mjs [--only binary|npm|deb|image|sea[,…]] [--arch x64|arm64|all] [--no-build] [--measure]
// Default: binary, npm, deb and the container image for x64 (the arch of this machine). `sea` (Node's single executable,
// measured against the directory and not shipped; deploy/README.md says why) only when asked.
// `--measure` prints sizes and cold starts of what was built, as JSON (deploy/README.md quotes them).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, largestInputs, readJson } from './bundle.mjs';
import { buildDeb } from './deb.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT = join(ROOT, 'dist-release');
const CACHE = join(ROOT, 'node_modules/.cache/sockscope-release');
const ARCHES = ['x64', 'arm64'];
const DEB_ARCH = { x64: 'amd64', arm64: 'arm64' };

/** The release version: the exporter's package.json. */
export function releaseVersion() {
  return readJson(join(ROOT, 'apps/exporter/package.json')).version;
}

/** Short commit of HEAD, `-dirty` when tracked files changed; `unknown` outside git. */
export function gitRevision() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

/** Where the executable directory of `arch` is put. */
export function binaryDir(version, arch) {
  return join(OUT, `sockscope-${version}-linux-${arch}`);
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}

function log(msg) {
  process.stderr.write(`release: ${msg}\n`);
}

function mib(bytes) {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** Bytes of a file, or of every file under a directory. */
export function sizeOf(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

function pnpm(args, opts) {
  return run('npx', ['--yes', 'pnpm@10', ...args], opts);
}

/** Builds every workspace package (turbo), then the exporter again so its dist carries this revision. */
function buildWorkspace(revision) {
  log('building the workspace packages');
  pnpm(['turbo', 'run', 'build', '--output-logs=errors-only'], { env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'inherit', 'inherit'] });
  // turbo may replay a cached dist built at another commit: build the exporter once more
  run('npx', ['tsup'], { cwd: join(ROOT, 'apps/exporter'), env: { ...process.env, SOCKSCOPE_REVISION: revision }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The npm package `node-linux-<arch>` of this Node version (the official build's binary, from the
 * npm registry, cached): build time only; nothing is downloaded at run time.
 */
function nodeRuntime(arch) {
  const version = process.versions.node;
  const dir = join(CACHE, `node-linux-${arch}-${version}`);
  const bin = join(dir, 'package/bin/node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  log(`fetching node-linux-${arch}@${version} from the npm registry (build time only)`);
  const file = run('npm', ['pack', `node-linux-${arch}@${version}`, '--silent', '--pack-destination', dir]).trim().split('\n').pop();
  run('tar', ['-xzf', join(dir, file), '-C', dir]);
  rmSync(join(dir, file));
  if (!existsSync(bin)) throw new Error(`node-linux-${arch}@${version} has no package/bin/node`);
  return bin;
}

/** The koffi version the netlink collector depends on (as installed in the workspace). */
function koffiVersion() {
  return readJson(join(ROOT, 'packages/collector-linux-netlink/node_modules/koffi/package.json')).version;
}

/** koffi's native module for `arch` (glibc), from its per-platform npm package in the workspace. */
function koffiNative(arch) {
  const store = join(ROOT, 'node_modules/.pnpm');
  const version = koffiVersion();
  const file = join(store, `@koromix+koffi-linux-${arch}@${version}/node_modules/@koromix/koffi-linux-${arch}/linux_${arch}/koffi.node`);
  if (existsSync(file)) return file;
  // pnpm installs only this machine's: fetch the other arch's package from the registry
  const dir = join(CACHE, `koffi-linux-${arch}-${version}`);
  const cached = join(dir, `package/linux_${arch}/koffi.node`);
  if (existsSync(cached)) return cached;
  mkdirSync(dir, { recursive: true });
  log(`fetching @koromix/koffi-linux-${arch}@${version} from the npm registry (build time only)`);
  const tgz = run('npm', ['pack', `@koromix/koffi-linux-${arch}@${version}`, '--silent', '--pack-destination', dir]).trim().split('\n').pop();
  run('tar', ['-xzf', join(dir, tgz), '-C', dir]);
  if (!existsSync(cached)) throw new Error(`@koromix/koffi-linux-${arch} has no linux_${arch}/koffi.node`);
  return cached;
}

const LAUNCHER = `#!/bin/sh
# sockscope: runs the bundled agent on the Node.js runtime beside it, with the Node flags the CLI
# needs (--max-semi-space-size=4 --single-threaded-gc --max-old-space-size=1024, see apps/exporter/src/node-flags.ts).
# Works through symlinks (/usr/bin/sockscope -> /usr/lib/sockscope/sockscope).
self=$0
while [ -L "$self" ]; do
  target=$(readlink "$self")
  case $target in
    /*) self=$target ;;
    *) self=\${self%/*}/$target ;;
  esac
done
case $self in
  */*) here=\${self%/*} ;;
  *) here=. ;;
esac
exec "$here/lib/node" --max-semi-space-size=4 --single-threaded-gc --max-old-space-size=1024 "$here/lib/sockscope.mjs" "$@"
`;

/**
 * The executable directory: `sockscope` (a POSIX sh launcher), `lib/node` (the official Node
 * runtime, symbols stripped), `lib/sockscope.mjs` (the bundle), `lib/koffi.node`,
 * `lib/node_modules/koffi` (a stand-in package for it), `lib/node_modules/bcryptjs`, `lib/web/` (the
 * connections page's files), LICENSE; and its .tar.gz.
 */
async function buildBinary({ version, revision, arch }) {
  const dir = binaryDir(version, arch);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'lib/node_modules'), { recursive: true });
  const meta = await bundle({ root: ROOT, entry: 'scripts/release/entry.ts', outfile: join(dir, 'lib/sockscope.mjs'), format: 'esm', version, revision });
  log(`bundle ${mib(sizeOf(join(dir, 'lib/sockscope.mjs')))}; largest inputs: ${largestInputs(meta, 5).map(([f, b]) => `${f} ${(b / 1024).toFixed(0)} KiB`).join(', ')}`);
  const node = join(dir, 'lib/node');
  copyFileSync(nodeRuntime(arch), node);
  // the official binary carries its symbol tables (13 MiB); the dynamic symbols native modules link against stay
  const strip = arch === 'x64' || process.arch === 'arm64' ? 'strip' : 'aarch64-linux-gnu-strip';
  try {
    run(strip, ['--strip-all', node]);
  } catch {
    log(`${strip} not found: lib/node keeps its symbol tables`);
  }
  chmodSync(node, 0o755);
  copyFileSync(koffiNative(arch), join(dir, 'lib/koffi.node'));
  // code that resolves koffi at run time (the netlink destroy-event worker loads it by path in its
  // thread) finds this stand-in package, which is the native module beside the bundle
  mkdirSync(join(dir, 'lib/node_modules/koffi'), { recursive: true });
  writeFileSync(join(dir, 'lib/node_modules/koffi/package.json'), `${JSON.stringify({ name: 'koffi', version: koffiVersion(), main: 'index.cjs', description: "sockscope release: koffi's native module beside the bundle (lib/koffi.node)" }, null, 2)}\n`);
  writeFileSync(join(dir, 'lib/node_modules/koffi/index.cjs'), "'use strict';\nmodule.exports = require('../../koffi.node');\n");
  const bcrypt = dirname(join(ROOT, 'apps/exporter/node_modules/bcryptjs/package.json'));
  cpSync(bcrypt, join(dir, 'lib/node_modules/bcryptjs'), { recursive: true, dereference: true, filter: (src) => !/\.(md|ts|map)$/.test(src) || src.endsWith('LICENSE') });
  const webAssets = join(ROOT, 'packages/web/dist/assets');
  if (existsSync(join(ROOT, 'packages/web/package.json'))) cpSync(webAssets, join(dir, 'lib/web'), { recursive: true });
  copyFileSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
  writeFileSync(join(dir, 'sockscope'), LAUNCHER, { mode: 0o755 });
  writeFileSync(join(dir, 'VERSION'), `sockscope ${version} (revision ${revision}) linux-${arch}, Node.js ${process.versions.node}\n`);
  const tgz = `${dir}.tar.gz`;
  run('tar', ['--owner=0', '--group=0', '--numeric-owner', '-czf', tgz, '-C', OUT, relative(OUT, dir)]);
  log(`${relative(ROOT, dir)}/ ${mib(sizeOf(dir))} (lib/node ${mib(sizeOf(node))}); ${relative(ROOT, tgz)} ${mib(sizeOf(tgz))}`);
  return { dir, tgz };
}

/**
 * Node's single executable application, for comparison only: the bundle as CommonJS injected into
 * a copy of the runtime with postject (from the npm registry), koffi.node beside it.
 */
async function buildSea({ version, revision, arch }) {
  if (arch !== process.arch) throw new Error(`a single executable for ${arch} needs a Node.js ${arch} to make its blob; this is ${process.arch}`);
  const dir = join(OUT, `sockscope-${version}-linux-${arch}-sea`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const work = join(CACHE, 'sea');
  mkdirSync(work, { recursive: true });
  await bundle({ root: ROOT, entry: 'scripts/release/entry.ts', outfile: join(work, 'sockscope.cjs'), format: 'cjs', version, revision });
  writeFileSync(join(work, 'sea.json'), JSON.stringify({ main: 'sockscope.cjs', output: 'sea.blob', disableExperimentalSEAWarning: true, useCodeCache: true }));
  run(process.execPath, ['--experimental-sea-config', 'sea.json'], { cwd: work });
  const exe = join(dir, 'sockscope');
  copyFileSync(nodeRuntime(arch), exe);
  run('strip', ['--strip-all', exe]);
  run('npx', ['--yes', 'postject@1.0.0-alpha.6', exe, 'NODE_SEA_BLOB', join(work, 'sea.blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'ignore'] });
  chmodSync(exe, 0o755);
  copyFileSync(koffiNative(arch), join(dir, 'koffi.node'));
  mkdirSync(join(dir, 'node_modules/koffi'), { recursive: true });
  writeFileSync(join(dir, 'node_modules/koffi/package.json'), `${JSON.stringify({ name: 'koffi', version: koffiVersion(), main: 'index.cjs' })}\n`);
  writeFileSync(join(dir, 'node_modules/koffi/index.cjs'), "'use strict';\nmodule.exports = require('../../koffi.node');\n");
  if (existsSync(join(ROOT, 'packages/web/package.json'))) cpSync(join(ROOT, 'packages/web/dist/assets'), join(dir, 'web'), { recursive: true });
  const tgz = `${dir}.tar.gz`;
  run('tar', ['--owner=0', '--group=0', '--numeric-owner', '-czf', tgz, '-C', OUT, relative(OUT, dir)]);
  log(`${relative(ROOT, dir)}/ ${mib(sizeOf(dir))}; ${relative(ROOT, tgz)} ${mib(sizeOf(tgz))}`);
  return { dir, tgz };
}

/** Every workspace package that is not private: the ones `npm install` users get. */
export function publishablePackages() {
  const dirs = ['packages', 'apps'].flatMap((top) => readdirSync(join(ROOT, top)).map((name) => join(ROOT, top, name)));
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: readJson(join(dir, 'package.json')) }))
    .filter(({ pkg }) => pkg.private !== true);
}

/**
 * `pnpm pack` of every publishable package into dist-release/npm/ (pnpm turns `workspace:` ranges
 * into the versions). The repository's LICENSE, and for the exporter the top README, are copied
 * into the package for the pack and removed after.
 */
function buildNpm() {
  const out = join(OUT, 'npm');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tarballs = [];
  for (const { dir, pkg } of publishablePackages()) {
    const added = [];
    try {
      if (!existsSync(join(dir, 'LICENSE'))) {
        copyFileSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
        added.push(join(dir, 'LICENSE'));
      }
      if (!existsSync(join(dir, 'README.md'))) {
        copyFileSync(join(ROOT, 'README.md'), join(dir, 'README.md'));
        added.push(join(dir, 'README.md'));
      }
      const printed = pnpm(['pack', '--pack-destination', out], { cwd: dir });
      const file = printed.trim().split('\n').pop().trim();
      tarballs.push(file);
      log(`npm: ${pkg.name}@${pkg.version} ${relative(ROOT, file)} ${(sizeOf(file) / 1024).toFixed(0)} KiB`);
    } finally {
      for (const f of added) rmSync(f, { force: true });
    }
  }
  return tarballs;
}

function parseArgs(argv) {
  const opts = { only: ['binary', 'npm', 'deb', 'image'], arches: [process.arch], build: true, measure: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only' || a.startsWith('--only=')) opts.only = value().split(',');
    else if (a === '--arch' || a.startsWith('--arch=')) {
      const v = value();
      opts.arches = v === 'all' ? ARCHES : v.split(',');
    } else if (a === '--no-build') opts.build = false;
    else if (a === '--measure') opts.measure = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: pnpm release [--only binary,npm,deb,image,sea] [--arch x64|arm64|all] [--no-build] [--measure]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}; see pnpm release --help`);
  }
  for (const o of opts.only) if (!['binary', 'npm', 'deb', 'image', 'sea'].includes(o)) throw new Error(`--only ${o}: not one of binary, npm, deb, image, sea`);
  for (const a of opts.arches) if (!ARCHES.includes(a)) throw new Error(`--arch ${a}: not one of ${ARCHES.join(', ')}, all`);
  return opts;
}

export async function release(argv) {
  const opts = parseArgs(argv);
  const version = releaseVersion();
  const revision = gitRevision();
  log(`sockscope ${version} revision ${revision}: ${opts.only.join(', ')} for ${opts.arches.join(', ')}`);
  mkdirSync(OUT, { recursive: true });
  if (opts.build) buildWorkspace(revision);
  const made = {};
  for (const arch of opts.arches) {
    if (opts.only.includes('binary') || opts.only.includes('deb') || opts.only.includes('image')) made[`binary-${arch}`] = await buildBinary({ version, revision, arch });
    if (opts.only.includes('deb')) {
      const deb = buildDeb({ root: ROOT, out: OUT, version, arch: DEB_ARCH[arch], binaryDir: made[`binary-${arch}`].dir });
      log(`${relative(ROOT, deb)} ${mib(sizeOf(deb))}`);
      made[`deb-${arch}`] = deb;
    }
    if (opts.only.includes('sea')) made[`sea-${arch}`] = await buildSea({ version, revision, arch });
    // the container image (deploy/container/build.mjs: buildah, the libraries ldd finds here, so this machine's arch only)
    if (opts.only.includes('image')) {
      if (arch !== process.arch) log(`image: ${arch} skipped: the image's libraries come from this ${process.arch} machine`);
      else made[`image-${arch}`] = (await import('../../deploy/container/build.mjs')).buildImage({ releaseDir: made[`binary-${arch}`].dir, log }).path;
    }
  }
  if (opts.only.includes('npm')) made.npm = buildNpm();
  if (opts.measure) {
    const { measureRelease } = await import('./measure-release.mjs');
    process.stdout.write(`${JSON.stringify(await measureRelease(made), null, 2)}\n`);
  }
  return made;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  release(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`release: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
