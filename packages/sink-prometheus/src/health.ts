import type { CollectorStatus, Pipeline } from '@sockscope/core';

/**
 * The /health document: overall status, per-collector status of the last cycle, notices.
 * `status` is `starting` until the first collection finished, then `ok`, or `degraded` when a
 * collector or enricher failed; `reason` says why in one line when it is not `ok`.
 */
export function healthDocument(pipeline: Pipeline, components: Record<string, Record<string, unknown>>, build: { version: string }): Record<string, unknown> {
  const latest = pipeline.latest();
  const status = latest?.snapshot.status ?? [];
  const failed = status.filter((s) => !s.success);
  const state = !latest ? 'starting' : failed.length === 0 ? 'ok' : 'degraded';
  return {
    status: state,
    ...(state === 'ok' ? {} : { reason: !latest ? NOT_COLLECTED : failed.map(failure).join('; ') }),
    version: build.version,
    last_collection: latest
      ? {
          time: new Date(latest.snapshot.timestamp).toISOString(),
          duration_seconds: latest.snapshot.durationSeconds,
          sockets: latest.socketCount,
        }
      : null,
    failed_collectors: failed.map((s) => s.name),
    collectors: status.map((s) => ({
      name: s.name,
      success: s.success,
      duration_seconds: s.durationSeconds,
      ...(s.error ? { error: s.error } : {}),
      ...(s.errorCode ? { error_code: s.errorCode } : {}),
      ...(s.warnings?.length ? { warnings: s.warnings } : {}),
      ...(s.inconsistent ? { inconsistent: true } : {}),
    })),
    notices: pipeline.notices(),
    components,
  };
}

/** Why /health says `starting` and /-/ready answers 503 before the first collection. */
export const NOT_COLLECTED = 'no collection has finished yet';

/** `collector linux-procfs failed: …`, or `enricher process failed: …` for core's `enricher:<name>` entries. */
function failure(s: CollectorStatus): string {
  const what = s.name.startsWith('enricher:') ? `enricher ${s.name.slice('enricher:'.length)}` : `collector ${s.name}`;
  return `${what} failed: ${s.error ?? 'unknown error'}`;
}
