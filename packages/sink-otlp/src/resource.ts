import { hostname } from 'node:os';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { BuildInfo } from '@sockscope/core';

/** `os.type` as the semantic conventions spell it, from a `process.platform` name. */
export function osType(platform: NodeJS.Platform): string {
  if (platform === 'win32') return 'windows';
  if (platform === 'sunos') return 'solaris';
  return platform;
}

/** `host.arch` as the semantic conventions spell it, from a `process.arch` name (others as Node names them). */
export function hostArch(arch: string): string {
  const known: Record<string, string> = { x64: 'amd64', ia32: 'x86', arm: 'arm32', arm64: 'arm64', ppc64: 'ppc64', s390x: 's390x' };
  return known[arch] ?? arch;
}

/**
 * The resource every export carries: host.name, host.arch, os.type, service.version and the Node
 * runtime (process.runtime.name/version) from the host and the build — over OTLP what
 * `sockscope_build_info{version,nodeversion,platform,arch}` says on /metrics — then the user's
 * attributes (service.name, OTEL_RESOURCE_ATTRIBUTES, config), which win, so a DaemonSet can set
 * host.name to the node name.
 */
export function buildResource(userAttributes: Readonly<Record<string, string>>, build: BuildInfo, platform: NodeJS.Platform): Resource {
  return resourceFromAttributes({
    'host.name': hostname(),
    'host.arch': hostArch(build.arch),
    'os.type': osType(platform),
    'service.version': build.version,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': build.nodeVersion.replace(/^v/, ''),
    ...userAttributes,
  });
}
