import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, type Sink, type SinkContext } from '@sockscope/core';
import type { OtlpSinkConfig } from './config.js';
import { ExportQueue, type ExportCounts, type ExportOutcome } from './export-queue.js';
import { resolveOtlpConfig, type ResolvedOtlpConfig } from './resolve-config.js';
import { RetryAfterReader } from './retry-after.js';
import type { Env } from './otel-env.js';
import { OTLP_HEALTH_COMPONENT, otlpExportsFamily } from './self-metrics.js';
import { SeriesStarts } from './series-starts.js';
import { familiesToMetricData } from './to-metric-data.js';

/** A running OTLP sink, with the internals tests and /health look at. */
export interface OtlpSink extends Sink {
  /** The settings in force. */
  readonly config: ResolvedOtlpConfig;
  /** The export queue of the current run (undefined before the first start). */
  readonly queue: ExportQueue | undefined;
}

/**
 * Pushes the shared pipeline to an OTLP/HTTP collector on its own timer: each tick asks the
 * pipeline for a snapshot (sharing a collection in flight with the Prometheus sink), converts its
 * families and hands the batch to a bounded export queue. A failing collector or pipeline is
 * reported in /health and the log, never thrown. Once started (enabled), it publishes its export
 * counts through `ctx.selfMetrics` as `sockscope_otlp_exports_total`, which core renders for every
 * sink (this one included).
 */
export function createOtlpSink(ctx: SinkContext<OtlpSinkConfig>, env: Env = process.env): OtlpSink {
  const cfg = resolveOtlpConfig(ctx.config, env);
  // set by start(): building it loads @opentelemetry/resources, which the agent loads only with the sink on
  let resource: Resource | undefined;
  const scope = { name: '@sockscope/sink-otlp', version: ctx.build.version };
  const starts = new SeriesStarts();
  const health = { lastSuccess: null as string | null, lastError: null as string | null, lastErrorAt: null as string | null, heldUntil: null as string | null };
  let exporter: PushMetricExporter | undefined;
  let queue: ExportQueue | undefined;
  let timer: NodeJS.Timeout | undefined;
  let collecting: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  let failing = false;
  const counts = (): ExportCounts => ({ ...(queue?.counts ?? { success: 0, failure: 0, dropped: 0 }) });

  const publish = () =>
    ctx.health.set(OTLP_HEALTH_COMPONENT, {
      endpoint: cfg.endpoint,
      protocol: cfg.protocol,
      intervalSeconds: cfg.intervalMs / 1000,
      ...health,
      exports: counts(),
      waiting: queue?.waitingCount ?? 0,
      series: starts.size,
    });

  const fail = (error: string) => {
    health.lastError = error;
    health.lastErrorAt = new Date().toISOString();
    // One warning per outage, not one per interval.
    if (!failing) ctx.logger.warn(`OTLP export to ${cfg.endpoint} failing: ${error}`);
    failing = true;
  };

  const onOutcome = (outcome: ExportOutcome) => {
    health.heldUntil = outcome.heldUntil === undefined ? null : new Date(outcome.heldUntil).toISOString();
    if (outcome.ok) {
      health.lastSuccess = new Date().toISOString();
      if (failing) ctx.logger.info(`OTLP export to ${cfg.endpoint} recovered`);
      failing = false;
    } else {
      fail(outcome.error ?? 'export failed');
    }
    publish();
  };

  const tick = () => {
    // A tick that finds the previous collection still running skips: the pipeline is slower than
    // the interval and stacking collections would not make it faster.
    if (collecting || !queue || !resource) return;
    const q = queue;
    const res = resource;
    collecting = (async () => {
      try {
        const rendered = await ctx.pipeline.collect();
        const metrics = familiesToMetricData(rendered.families, { nowMs: rendered.snapshot.timestamp, starts, report: ctx.reportOnce });
        const batch: ResourceMetrics = { resource: res, scopeMetrics: [{ scope, metrics }] };
        q.submit(batch);
      } catch (err) {
        fail(`collection failed: ${errorMessage(err)}`);
      } finally {
        collecting = undefined;
        publish();
      }
    })();
  };

  const begin = async (): Promise<void> => {
    // OTel's SDK, exporters and resources (some 300 modules, ~10 MB resident) are loaded here,
    // when the sink is on, not with the package: an agent without OTLP never loads them
    const [{ createMetricExporter }, { buildResource }] = await Promise.all([import('./exporter.js'), import('./resource.js')]);
    resource = buildResource(cfg.resourceAttributes, ctx.build, ctx.platform);
    exporter = createMetricExporter(cfg);
    const retryAfter = new RetryAfterReader(exporter);
    if (!retryAfter.hooked) ctx.logger.warn("OTLP: this OTel exporter's transport was not found, so a collector's Retry-After longer than the export timeout is not honoured");
    queue = new ExportQueue(exporter, cfg.timeoutMs, onOutcome, retryAfter);
    timer = setInterval(tick, cfg.intervalMs);
    timer.unref();
    ctx.selfMetrics.provide(OTLP_HEALTH_COMPONENT, () => [otlpExportsFamily(counts())]);
    publish();
    ctx.logger.info(`OTLP export to ${cfg.endpoint} (${cfg.protocol}) every ${cfg.intervalMs / 1000} s`);
    tick();
  };

  return {
    config: cfg,
    get queue() {
      return queue;
    },
    async start() {
      if (timer) return;
      if (starting) return starting;
      if (!cfg.enabled) {
        ctx.logger.info('OTLP export is off: set OTEL_EXPORTER_OTLP_ENDPOINT or sinks.otlp.endpoint to turn it on');
        return;
      }
      starting = begin();
      try {
        await starting;
      } finally {
        starting = undefined;
      }
    },
    async stop() {
      // a start still loading the exporter finishes first, then is stopped like any other
      if (starting) await starting.catch(() => undefined);
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      // Finish what is in flight: the running collection's batch is still exported. A pipeline
      // that never answers must not hold shutdown, so that wait is bounded by the export deadline.
      if (collecting) await Promise.race([collecting, delay(cfg.timeoutMs)]);
      // A batch held for a collector's Retry-After is dropped, not waited for.
      await queue?.close();
      await exporter?.shutdown();
      exporter = undefined;
      publish();
    },
  };
}

function delay(ms: number): Promise<void> {
  return sleep(ms, undefined, { ref: false });
}
