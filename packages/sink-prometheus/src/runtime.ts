import type { BuildInfo, MetricFamily } from '@sockscope/core';

/**
 * The one family the sink adds to what core rendered: `sockscope_build_info`, which is always
 * there (node_exporter too keeps its build info when `--web.disable-exporter-metrics` drops its
 * process and Go metrics). The Node runtime's `process_*` and `nodejs_*` are not the sink's: the
 * agent provides them as self-metrics, so they come in `rendered.families` like the rest and every
 * sink publishes them.
 */
export function buildInfoFamily(build: BuildInfo): MetricFamily {
  return {
    name: 'sockscope_build_info',
    help: 'A metric with a constant 1 labelled by the version and git revision of sockscope, Node.js, platform and architecture.',
    type: 'gauge',
    samples: [{ labels: { version: build.version, revision: build.revision ?? 'unknown', nodeversion: build.nodeVersion, platform: build.platform, arch: build.arch }, value: 1 }],
  };
}
