import type { MetricFamily } from '../types/family.js';
import type { Snapshot } from '../types/snapshot.js';

/**
 * Self-metrics of one collection: `sockscope_scrape_collector_success{collector}` and
 * `sockscope_scrape_collector_duration_seconds{collector}`, one series per collector and enricher.
 */
export function renderCollectorStatus(snapshot: Pick<Snapshot, 'status'>): MetricFamily[] {
  return [
    {
      name: 'sockscope_scrape_collector_success',
      help: 'Whether a collector succeeded in the last collection (1) or failed or timed out (0).',
      type: 'gauge',
      samples: snapshot.status.map((s) => ({ labels: { collector: s.name }, value: s.success ? 1 : 0 })),
      otel: { name: 'sockscope.scrape.collector.success', unit: '1' },
    },
    {
      name: 'sockscope_scrape_collector_duration_seconds',
      help: 'How long a collector took in the last collection.',
      type: 'gauge',
      samples: snapshot.status.map((s) => ({ labels: { collector: s.name }, value: s.durationSeconds })),
      otel: { name: 'sockscope.scrape.collector.duration', unit: 's' },
    },
  ];
}
