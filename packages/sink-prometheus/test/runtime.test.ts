import { describe, expect, it } from 'vitest';
import { testBuild } from '@sockscope/test-utils';
import { buildInfoFamily } from '../src/runtime.js';

// The conversion of prom-client's registry (and its test) moved to the app with the registry
// (apps/exporter/src/runtime-metrics.ts, issue 14): the agent provides process_* and nodejs_* as
// self-metrics, and the sink adds only its build info.
describe('buildInfoFamily', () => {
  it('is sockscope_build_info, a constant 1 labelled by version, Node.js version, platform and arch', () => {
    expect(buildInfoFamily(testBuild)).toEqual({
      name: 'sockscope_build_info',
      help: 'A metric with a constant 1 labelled by the version of sockscope, Node.js, platform and architecture.',
      type: 'gauge',
      samples: [{ labels: { version: testBuild.version, nodeversion: testBuild.nodeVersion, platform: testBuild.platform, arch: testBuild.arch }, value: 1 }],
    });
  });
});
