import { describeSinkConformance, startOtlpReceiver, type OtlpReceiver } from '@sockscope/test-utils';
import { afterAll, beforeAll } from 'vitest';
import type { OtlpSinkConfig } from './config.js';
import { otlpSink } from './plugin.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.stop());

describeSinkConformance<OtlpSinkConfig>({
  definition: otlpSink,
  config: () => ({ metrics_endpoint: receiver.metricsUrl, interval: '20ms', timeout: '500ms' }),
});
