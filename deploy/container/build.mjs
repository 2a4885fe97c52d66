#!/usr/bin/env node
// Builds the Containerfile's runtime stage without a registry: the build stage (which needs a
// Node base image) is replaced by a root file system made here by rootfs.sh from the release
// executable's directory, handed to buildah as the build context named "build". The image is
// written as an OCI archive into dist-release/; nothing is left in buildah's local storage.
//   node deploy/container/build.mjs [--release-dir DIR] [--out FILE]
// Needs buildah, ldd and setcap (Debian: apt-get install buildah libc-bin libcap2-bin) and root.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');

export const version = JSON.parse(readFileSync(join(root, 'apps/exporter/package.json'), 'utf8')).version;
const nodeArch = { x64: 'x64', arm64: 'arm64' }[process.arch] ?? process.arch;
const ociArch = { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch;

/** Where the release puts the executable's directory (deploy/README.md). */
export const defaultReleaseDir = join(root, 'dist-release', `sockscope-${version}-linux-${nodeArch}`);
/** The image archive this writes. */
export const defaultImagePath = join(root, 'dist-release', `sockscope-${version}-image-linux-${ociArch}.oci.tar`);
/** The name and tag the archive carries (podman load, skopeo copy). */
export const imageRef = `sockscope:${version}`;

function need(cmd, pkg) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} not found: the image build needs it (Debian: apt-get install ${pkg})`);
}

function revision() {
  if (process.env.SOCKSCOPE_REVISION) return process.env.SOCKSCOPE_REVISION;
  const r = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** Bytes of every regular file under `dir`, each counted once. */
export function treeBytes(dir) {
  const out = execFileSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(out.split(/\s/)[0]);
}

/**
 * Builds the image from `releaseDir` into the OCI archive `out`. Returns the archive's path,
 * its size and the size of the root file system it holds.
 */
export function buildImage({ releaseDir = defaultReleaseDir, out = defaultImagePath, log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  if (!existsSync(join(releaseDir, 'sockscope'))) {
    throw new Error(`${releaseDir}/sockscope not found: build the executable first with \`npx --yes pnpm@10 release --only binary\``);
  }
  need('buildah', 'buildah');
  need('setcap', 'libcap2-bin');
  need('ldd', 'libc-bin');
  const work = mkdtempSync(join(tmpdir(), 'sockscope-image-'));
  try {
    const rootfs = join(work, 'build', 'rootfs');
    mkdirSync(join(work, 'context'));
    execFileSync('sh', [join(here, 'rootfs.sh'), releaseDir, rootfs], { stdio: ['ignore', 'inherit', 'inherit'] });
    const rootfsBytes = treeBytes(rootfs);
    mkdirSync(dirname(out), { recursive: true });
    rmSync(out, { force: true });
    const args = [
      'bud',
      '--build-context', `build=${join(work, 'build')}`,
      '--target', 'runtime',
      '--file', join(here, 'Containerfile'),
      '--format', 'oci',
      '--disable-compression=false',
      '--build-arg', `VERSION=${version}`,
      '--build-arg', `REVISION=${revision()}`,
      '--build-arg', `CREATED=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '--tag', `oci-archive:${out}:${imageRef}`,
      join(work, 'context'),
    ];
    log(`image: buildah ${args.join(' ')}`);
    const r = spawnSync('buildah', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`buildah bud failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    const archiveBytes = statSync(out).size;
    log(`image: ${out} (${(archiveBytes / 1e6).toFixed(1)} MB archive, root file system ${(rootfsBytes / 1e6).toFixed(1)} MB)`);
    return { path: out, archiveBytes, rootfsBytes };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opts = {};
  while (argv.length) {
    const flag = argv.shift();
    if (flag === '--release-dir') opts.releaseDir = resolve(argv.shift());
    else if (flag === '--out') opts.out = resolve(argv.shift());
    else {
      process.stderr.write(`build.mjs: unknown argument ${flag} (usage: node deploy/container/build.mjs [--release-dir DIR] [--out FILE])\n`);
      process.exit(2);
    }
  }
  try {
    buildImage(opts);
  } catch (e) {
    process.stderr.write(`build.mjs: ${e.message}\n`);
    process.exit(1);
  }
}
