import { describe, expect, it } from 'vitest';
import { testBuild } from '@sockscope/test-utils';
import { buildInfoFamily } from '../src/runtime.js';

// The conversion of prom-client's registry (and its test) moved to the app with the registry
// (apps/exporter/src/runtime-metrics.ts, issue 14): the agent provides process_* and nodejs_* as
// self-metrics, and the sink adds only its build info.
describe('buildInfoFamily', () => {
  it('is sockscope_build_info, a constant 1 labelled by version, git revision, Node.js version, platform and arch', () => {
    const build = { ...testBuild, revision: '0123456789ab' };
    expect(buildInfoFamily(build)).toEqual({
      name: 'sockscope_build_info',
      help: 'A metric with a constant 1 labelled by the version and git revision of sockscope, Node.js, platform and architecture.',
      type: 'gauge',
      samples: [{ labels: { version: build.version, revision: '0123456789ab', nodeversion: build.nodeVersion, platform: build.platform, arch: build.arch }, value: 1 }],
    });
  });

  it('says revision="unknown" when the build could not tell its revision (the label set stays the same)', () => {
    expect(buildInfoFamily({ ...testBuild, revision: undefined }).samples?.[0]?.labels?.revision).toBe('unknown');
  });
});
