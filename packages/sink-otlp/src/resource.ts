import { hostname } from 'node:os';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { BuildInfo } from '@sockscope/core';

/** `os.type` as the semantic conventions spell it, from a `process.platform` name. */
export function osType(platform: NodeJS.Platform): string {
  if (platform === 'win32') return 'windows';
  if (platform === 'sunos') return 'solaris';
  return platform;
}

/**
 * The resource every export carries: host.name, os.type and service.version from the host and the
 * build, then the user's attributes (service.name, OTEL_RESOURCE_ATTRIBUTES, config), which win,
 * so a DaemonSet can set host.name to the node name.
 */
export function buildResource(userAttributes: Readonly<Record<string, string>>, build: BuildInfo, platform: NodeJS.Platform): Resource {
  return resourceFromAttributes({
    'host.name': hostname(),
    'os.type': osType(platform),
    'service.version': build.version,
    ...userAttributes,
  });
}
