import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { TimeSlice, errorMessage, type SinkContext } from '@sockscope/core';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { TEXT_CONTENT_TYPE, expositionChunks } from './exposition.js';
import { healthDocument } from './health.js';
import { indexPage } from './index-page.js';
import { parseListenAddress } from './listen-address.js';
import type { PrometheusSinkConfig } from './config.js';
import { listenError } from './errors.js';

declare module '@sockscope/core' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- augmentation must repeat the type parameter
  interface SinkContext<C> {
    /** Builds the HTTP(S) server; the app passes one for TLS and basic auth (`--web.config.file`). */
    createServer?: (listener: RequestListener) => Server;
  }
}

// Yield to the event loop after this much serializing, so /health answers during a big scrape.
const SLICE_MS = 8;

/** Resolves when `out` can take more, or when the response is gone (client hung up). */
function drained(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      res.off('close', done);
      resolve();
    };
    out.once('drain', done);
    res.once('close', done);
  });
}

/** A running Prometheus sink, with the address it actually bound. */
export interface PrometheusSinkInstance {
  /** Binds the listen address. */
  start(): Promise<void>;
  /** Stops accepting, finishes in-flight scrapes, closes the server. */
  stop(): Promise<void>;
  /** The bound address, after start. */
  address(): { host: string; port: number } | undefined;
}

/**
 * Builds the sink. It serializes what core rendered (`rendered.families`: flows, aggregates,
 * host, collector families, collector status, self metrics) and adds only what belongs to the
 * Node runtime serving it: prom-client's process_* and nodejs_* metrics and `sockscope_build_info`.
 */
export function createPrometheusSink(ctx: SinkContext<PrometheusSinkConfig>): PrometheusSinkInstance {
  const { config, pipeline, build, logger } = ctx;
  const listen = parseListenAddress(config.listen_address);
  const self = new Registry();
  if (config.process_metrics) {
    collectDefaultMetrics({ register: self });
    // These gauges end in _total, which promtool's lint flags; they are not worth the noise.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) self.removeSingleMetric(name);
  }
  const buildInfo = new Gauge({
    name: 'sockscope_build_info',
    help: 'A metric with a constant 1 labelled by the version of sockscope, Node.js, platform and architecture.',
    labelNames: ['version', 'nodeversion', 'platform', 'arch'],
    registers: [self],
  });
  buildInfo.set({ version: build.version, nodeversion: build.nodeVersion, platform: build.platform, arch: build.arch }, 1);

  let server: Server | undefined;
  let stopping: Promise<void> | undefined;
  // While stopping, answers carry `Connection: close` so keep-alive clients do not hold the server open.
  let closing = false;

  /**
   * Writes the exposition chunk by chunk (gzipped when asked), waiting when the client reads
   * slowly and yielding to the event loop between chunks: a scrape of hundreds of thousands of
   * series neither builds one string of it all nor keeps the agent from answering meanwhile.
   */
  async function metrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { families } = await pipeline.collect();
    const processText = await self.metrics();
    const wantsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const headers: Record<string, string> = { 'content-type': TEXT_CONTENT_TYPE };
    if (closing) headers.connection = 'close';
    let out: Writable = res;
    if (wantsGzip) {
      headers['content-encoding'] = 'gzip';
      const zip = createGzip();
      zip.pipe(res);
      out = zip;
    }
    res.writeHead(200, headers);
    const slice = new TimeSlice(SLICE_MS);
    for (const chunk of expositionChunks(families)) {
      if (res.destroyed) return;
      if (!out.write(chunk)) await drained(out, res);
      if (slice.due()) await slice.next();
    }
    out.end(processText);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === config.metrics_path) return metrics(req, res);
    if (path === '/health') {
      const doc = healthDocument(pipeline, ctx.health.all(), build);
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(indexPage(build.version, config.metrics_path));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try ${config.metrics_path}, /health or /\n`);
  }

  return {
    async start() {
      if (server) return;
      stopping = undefined;
      closing = false;
      const srv = (ctx.createServer ?? createServer)((req, res) => {
        handle(req, res).catch((err: unknown) => {
          logger.error('request failed', { path: req.url, err: errorMessage(err) });
          // half an exposition must not pass for a whole one: cut the connection instead
          if (res.headersSent) return void res.destroy(err instanceof Error ? err : new Error(errorMessage(err)));
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${errorMessage(err)}\n`);
        });
      });
      server = srv;
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          server = undefined;
          reject(listenError(err, `${listen.host ?? '*'}:${listen.port}`));
        };
        srv.once('error', onError);
        srv.listen({ host: listen.host, port: listen.port }, () => {
          srv.off('error', onError);
          resolve();
        });
      });
      const a = this.address();
      logger.info('listening', { address: a ? `${a.host}:${a.port}` : '' });
    },
    stop() {
      if (!server) return stopping ?? Promise.resolve();
      const srv = server;
      server = undefined;
      closing = true;
      stopping ??= new Promise<void>((resolve) => {
        // close() stops accepting and waits for in-flight requests; idle keep-alive sockets are closed now.
        srv.close(() => resolve());
        srv.closeIdleConnections();
      });
      return stopping;
    },
    address() {
      const a = server?.address();
      if (!a || typeof a === 'string') return undefined;
      return { host: a.address, port: a.port };
    },
  };
}
