import { createRequire } from 'node:module';
import type { BuildInfo } from '@sockscope/core';

// Set at build time (tsup's and the release bundle's `define`): the version from the exporter's
// package.json and the git revision the build was made from. Run from source without a build
// (vitest), the version is read from package.json and the revision is unknown.
declare const __SOCKSCOPE_VERSION__: string | undefined;
declare const __SOCKSCOPE_REVISION__: string | undefined;

function packageVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** The sockscope version, from the exporter's package.json. */
export const VERSION: string = typeof __SOCKSCOPE_VERSION__ === 'string' ? __SOCKSCOPE_VERSION__ : packageVersion();

/** The git revision (abbreviated commit, `-dirty` when the tree had changes) sockscope was built from, or `unknown`. */
export const REVISION: string = typeof __SOCKSCOPE_REVISION__ === 'string' ? __SOCKSCOPE_REVISION__ : 'unknown';

/** Build facts for sockscope_build_info and the OTLP resource. */
export function buildInfo(): BuildInfo {
  return { version: VERSION, revision: REVISION, nodeVersion: process.versions.node, platform: process.platform, arch: process.arch };
}
