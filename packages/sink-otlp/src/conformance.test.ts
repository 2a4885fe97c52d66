import { describeSinkConformance, startOtlpReceiver, type OtlpReceiver } from '@sockscope/test-utils';
import { afterAll, beforeAll } from 'vitest';
import type { OtlpSinkConfig } from './config-schema.js';
import { otlpSink } from './index.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.stop());

describeSinkConformance<OtlpSinkConfig>({
  definition: otlpSink,
  config: () => ({ metricsEndpoint: receiver.metricsUrl, interval: '20ms', timeout: '500ms' }),
});
