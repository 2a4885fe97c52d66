import type { MetricFamily } from '@sockscope/core';
import type { ExportCounts } from './export-queue.js';

/** The component the OTLP sink publishes under: its /health facts and its self metrics. */
export const OTLP_HEALTH_COMPONENT = 'otlp';

/**
 * `sockscope_otlp_exports_total{result}` from export counts; all three results are always present.
 * Over OTLP it is `sockscope.otlp.exports` (unit `{export}`), with the same `result` attribute.
 */
export function otlpExportsFamily(counts: ExportCounts): MetricFamily {
  return {
    name: 'sockscope_otlp_exports_total',
    help: 'OTLP metric exports by result: success, failure (after retries) or dropped (replaced unsent by a newer batch, or held for Retry-After when the agent stopped).',
    type: 'counter',
    samples: (['success', 'failure', 'dropped'] as const).map((result) => ({ labels: { result }, value: counts[result] })),
    otel: { name: 'sockscope.otlp.exports', unit: '{export}' },
  };
}
