// `pnpm release --measure` (after a build) or `node scripts/release/measure-release.mjs`: sizes and
// cold starts (spawn to the first 200 on /health, median of 7 after a warm-up) of the executable
// directory, the single executable when built (--only sea), and Debian's prometheus-node-exporter
// measured the same way (/metrics: it has no /health) when it is installed. The numbers in
// deploy/README.md and the README come from this.
import { existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { medianColdStart } from './measure.mjs';
import { OUT, binaryDir, releaseVersion, sizeOf } from './release.mjs';

const MiB = (b) => Math.round((b / 1048576) * 10) / 10;
const ms = (r) => ({ median_ms: Math.round(r.median), min_ms: Math.round(r.min), max_ms: Math.round(r.max), runs: r.runs });

export async function measureRelease() {
  const version = releaseVersion();
  const arch = process.arch;
  const result = { machine: { cpus: (await import('node:os')).cpus().length, load_average: (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100) } };
  const dir = binaryDir(version, arch);
  if (existsSync(dir)) {
    result.directory = {
      size_mib: MiB(sizeOf(dir)),
      node_mib: MiB(sizeOf(join(dir, 'lib/node'))),
      bundle_mib: MiB(sizeOf(join(dir, 'lib/sockscope.mjs'))),
      tar_gz_mib: MiB(sizeOf(`${dir}.tar.gz`)),
      cold_start_health: ms(await medianColdStart(join(dir, 'sockscope'), [], { runs: 7, cwd: '/' })),
      version_ms: ms(await medianVersion(join(dir, 'sockscope'))),
    };
  }
  const deb = join(OUT, `sockscope_${version}_${{ x64: 'amd64', arm64: 'arm64' }[arch]}.deb`);
  if (existsSync(deb)) result.deb = { size_mib: MiB(statSync(deb).size) };
  const sea = join(OUT, `sockscope-${version}-linux-${arch}-sea`);
  if (existsSync(sea)) {
    result.single_executable = {
      size_mib: MiB(sizeOf(sea)),
      executable_mib: MiB(sizeOf(join(sea, 'sockscope'))),
      tar_gz_mib: MiB(sizeOf(`${sea}.tar.gz`)),
      cold_start_health: ms(await medianColdStart(join(sea, 'sockscope'), [], { runs: 7, cwd: '/' })),
      version_ms: ms(await medianVersion(join(sea, 'sockscope'))),
    };
  }
  const ne = '/usr/bin/prometheus-node-exporter';
  if (existsSync(ne)) {
    result.node_exporter = {
      version: execFileSync(ne, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0],
      binary_mib: MiB(statSync(ne).size),
      cold_start_metrics: ms(await medianColdStart(ne, [], { runs: 7, path: '/metrics', cwd: '/' })),
    };
  }
  return result;
}

/** Median wall time of `cmd --version` (runtime start and bundle load, no agent). */
async function medianVersion(cmd, runs = 7) {
  const times = [];
  execFileSync(cmd, ['--version']);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync(cmd, ['--version']);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)], min: times[0], max: times[runs - 1], runs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await measureRelease(), null, 2)}\n`);
}
