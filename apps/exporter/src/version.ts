import { createRequire } from 'node:module';
import type { BuildInfo } from '@sockscope/core';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** The sockscope version, from the exporter's package.json. */
export const VERSION: string = pkg.version;

/** Build facts for sockscope_build_info and the OTLP resource. */
export function buildInfo(): BuildInfo {
  return { version: VERSION, nodeVersion: process.versions.node, platform: process.platform, arch: process.arch };
}
