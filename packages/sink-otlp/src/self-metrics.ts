import type { HealthRegistry, MetricFamily } from '@sockscope/core';
import type { ExportCounts } from './export-queue.js';

/** The /health component the OTLP sink publishes under. */
export const OTLP_HEALTH_COMPONENT = 'otlp';

/** `sockscope_otlp_exports_total{result}` from export counts; all three results are always present. */
export function otlpExportsFamily(counts: ExportCounts): MetricFamily {
  return {
    name: 'sockscope_otlp_exports_total',
    help: 'OTLP metric exports by result: success, failure (after retries) or dropped (replaced unsent by a newer batch).',
    type: 'counter',
    samples: (['success', 'failure', 'dropped'] as const).map((result) => ({ labels: { result }, value: counts[result] })),
  };
}

/**
 * The OTLP sink's self-metrics, read from what it published in the health registry, so the
 * Prometheus sink can render them without a reference to the OTLP sink. Empty when the OTLP sink
 * never started.
 */
export function otlpSelfFamilies(health: Pick<HealthRegistry, 'all'>): MetricFamily[] {
  const exports = health.all()[OTLP_HEALTH_COMPONENT]?.exports as Partial<ExportCounts> | undefined;
  if (!exports) return [];
  return [otlpExportsFamily({ success: exports.success ?? 0, failure: exports.failure ?? 0, dropped: exports.dropped ?? 0 })];
}
