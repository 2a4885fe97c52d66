import { describeCollectorConformance } from '@sockscope/test-utils';
import { linuxNetlinkCollector } from '../src/index.js';

describeCollectorConformance({
  definition: linuxNetlinkCollector,
  config: {},
  live: process.platform === 'linux',
  // A namespace name that does not exist: reported as a warning, the rest still collected.
  brokenConfig: { namespaces: ['sockscope-nl-does-not-exist'] },
});
