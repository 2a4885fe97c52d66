import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { TimeSlice, errorMessage, type CollectRequest, type SinkContext } from '@sockscope/core';
import { expositionChunks, CHUNK_BYTES } from './exposition.js';
import { NOT_COLLECTED, healthDocument } from './health.js';
import { indexPage, type PluginListing } from './index-page.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import type { PrometheusSinkConfig } from './config.js';
import { listenError } from './errors.js';
import { negotiateFormat } from './negotiate.js';
import { runtimeFamilies } from './runtime.js';

declare module '@sockscope/core' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- augmentation must repeat the type parameter
  interface SinkContext<C> {
    /** Builds the HTTP(S) server; the app passes one for TLS and basic auth (`--web.config.file`). */
    createServer?: (listener: RequestListener) => Server;
    /**
     * True when the server the app builds has TLS or authentication (`--web.config.file` given).
     * When it is not and the sink listens on every interface, it warns once at start.
     */
    secured?: boolean;
    /** Every plugin the agent knows, with its description and whether it is on, for the index page. */
    plugins?: readonly PluginListing[];
  }
}

/** The warning logged once when /metrics is served on every interface without TLS or authentication. */
export const OPEN_BIND_WARNING =
  'per-flow series name peers and commands: /metrics is served on all interfaces without TLS or authentication; bind to a private address or use --web.config.file';

/** True when the listen address binds every interface: no host, `0.0.0.0` or `::`. */
export function bindsAllInterfaces(listen: ListenAddress): boolean {
  const host = listen.host;
  return host === undefined || host === '0.0.0.0' || /^[0:]+$/.test(host);
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

const TEXT_PLAIN = 'text/plain; charset=utf-8';

/**
 * Builds the sink. It serializes what core rendered (`rendered.families`: flows, aggregates,
 * host, collector families, collector status, self metrics) and adds only what belongs to the
 * Node runtime serving it: prom-client's process_* and nodejs_* metrics and `sockscope_build_info`.
 */
export function createPrometheusSink(ctx: SinkContext<PrometheusSinkConfig>): PrometheusSinkInstance {
  const { config, pipeline, build, logger } = ctx;
  const listen = parseListenAddress(config.listen_address);
  const runtime = runtimeFamilies(build, config.process_metrics);

  let server: Server | undefined;
  let stopping: Promise<void> | undefined;
  // While stopping, answers carry `Connection: close` so keep-alive clients do not hold the server open.
  let closing = false;
  // Scrapes of the metrics endpoint being served now, against max_requests.
  let scrapes = 0;
  let warnedOpen = false;

  const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': TEXT_PLAIN, ...headers, ...(closing ? { connection: 'close' } : {}) }).end(`${body}\n`);
  };

  /**
   * node_exporter's scrape parameters: `collect[]` names the only collectors to run, `exclude[]`
   * the ones to leave out. Undefined when neither is given; a string when the request is wrong.
   */
  function collectRequest(query: URLSearchParams): CollectRequest | string | undefined {
    const only = query.getAll('collect[]');
    const exclude = query.getAll('exclude[]');
    if (only.length > 0 && exclude.length > 0) return 'collect[] and exclude[] cannot be combined: name the collectors to run, or the ones to leave out';
    if (only.length > 0) return { collectors: [...new Set(only)] };
    if (exclude.length === 0) return undefined;
    const known = pipeline.collectorNames();
    const unknown = exclude.filter((n) => !known.includes(n));
    if (unknown.length > 0) return `exclude[]: no collector ${unknown.map((n) => `"${n}"`).join(', ')} in this agent; running: ${known.join(', ')}`;
    return { collectors: known.filter((n) => !exclude.includes(n)) };
  }

  /**
   * Writes the exposition chunk by chunk (gzipped when asked), waiting when the client reads
   * slowly and yielding to the event loop between chunks: a scrape of hundreds of thousands of
   * series neither builds one string of it all nor keeps the agent from answering meanwhile.
   */
  async function metrics(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const request = collectRequest(query);
    if (typeof request === 'string') return text(res, 400, request);
    let rendered;
    try {
      rendered = await (request ? pipeline.collect(request) : pipeline.collect());
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_PIPELINE_UNKNOWN_COLLECTOR') return text(res, 400, `collect[]: ${errorMessage(err)}`);
      throw err;
    }
    const families = [...rendered.families, ...(await runtime())];
    const { format, contentType } = negotiateFormat(req.headers.accept);
    const wantsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const headers: Record<string, string> = { 'content-type': contentType };
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
    for (const chunk of expositionChunks(families, CHUNK_BYTES, format)) {
      if (res.destroyed) return;
      if (!out.write(chunk)) await drained(out, res);
      if (slice.due()) await slice.next();
    }
    out.end();
  }

  /** Prometheus' `/-/reload`: POST or PUT, only with `enable_lifecycle`, through the app's lifecycle. */
  async function reload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (req.method !== 'POST' && req.method !== 'PUT') return text(res, 405, 'only POST or PUT reloads the config', { allow: 'POST, PUT' });
    if (!config.enable_lifecycle) return text(res, 403, 'lifecycle APIs are not enabled (start with --web.enable-lifecycle)');
    if (!ctx.lifecycle) return text(res, 501, 'this agent offers no lifecycle actions: /-/reload needs sockscope started from its command line');
    let result;
    try {
      result = await ctx.lifecycle.reload();
    } catch (err) {
      logger.error('reload failed', { err: errorMessage(err) });
      return text(res, 500, `reload failed: ${errorMessage(err)}`);
    }
    if (result.ok) return text(res, 200, 'reloaded');
    return text(res, 400, ['config not reloaded, the old one stays:', ...result.errors].join('\n'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sockscope');
    const path = url.pathname;
    if (path === '/-/reload') return reload(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    if (path === config.metrics_path) {
      if (config.max_requests > 0 && scrapes >= config.max_requests) {
        return text(res, 503, `too many concurrent scrapes: ${scrapes} are being served, the limit is ${config.max_requests} (max_requests, --web.max-requests); try again later`);
      }
      scrapes++;
      try {
        return await metrics(req, res, url.searchParams);
      } finally {
        scrapes--;
      }
    }
    if (path === '/health') {
      const doc = healthDocument(pipeline, ctx.health.all(), build);
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    if (path === '/-/healthy') return text(res, 200, 'sockscope is healthy.');
    if (path === '/-/ready') {
      if (closing) return text(res, 503, 'sockscope is not ready: shutting down');
      if (!pipeline.latest()) return text(res, 503, `sockscope is not ready: ${NOT_COLLECTED}`);
      return text(res, 200, 'sockscope is ready.');
    }
    if (path === '/') {
      const page = indexPage({ version: build.version, metricsPath: config.metrics_path, collectors: pipeline.collectorNames(), plugins: ctx.plugins, lifecycle: config.enable_lifecycle });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    text(res, 404, `not found: try ${config.metrics_path}, /health, /-/healthy, /-/ready or /`);
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
      if (!ctx.secured && bindsAllInterfaces(listen) && !warnedOpen) {
        warnedOpen = true;
        logger.warn(OPEN_BIND_WARNING, { address: config.listen_address });
      }
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
