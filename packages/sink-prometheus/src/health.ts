import type { Pipeline } from '@sockscope/core';

/** The /health document: overall status, per-collector status of the last cycle, notices. */
export function healthDocument(pipeline: Pipeline, components: Record<string, Record<string, unknown>>, build: { version: string }): Record<string, unknown> {
  const latest = pipeline.latest();
  const status = latest?.snapshot.status ?? [];
  const failed = status.filter((s) => !s.success).map((s) => s.name);
  return {
    status: failed.length === 0 ? 'ok' : 'degraded',
    version: build.version,
    last_collection: latest
      ? {
          time: new Date(latest.snapshot.timestamp).toISOString(),
          duration_seconds: latest.snapshot.durationSeconds,
          sockets: latest.socketCount,
        }
      : null,
    failed_collectors: failed,
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
