import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { errorMessage, parseDuration, type CollectRequest, type RenderedSnapshot, type SinkContext } from '@sockscope/core';
import { ConnectionGuard, PROBE_PATHS, type ConnectionStats } from './connections.js';
import { expositionChunks, CHUNK_BYTES, type ExpositionFormat } from './exposition.js';
import { SharedExposition, SharedTurns } from './shared-exposition.js';
import { NOT_COLLECTED, healthDocument } from './health.js';
import { indexPage, type PluginListing } from './index-page.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import type { PrometheusSinkConfig } from './config.js';
import { listenError } from './errors.js';
import { acceptsGzip, negotiateFormat } from './negotiate.js';
import { buildInfoFamily } from './runtime.js';
import { ConnectionsEndpoints, CONNECTIONS_API_PATH, CONNECTIONS_PAGE_PATH, TOPOLOGY_API_PATH } from './connections-api.js';
import { drained } from './drained.js';

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

// Yield to the event loop after this much writing (all scrapes together), so /health answers during big scrapes.
const SLICE_MS = 4;

/** How often Node looks for connections past the header timeout (its default, 30 s, would add up to 30 s to it). */
const CHECK_INTERVAL_MS = 1000;

/**
 * The path and query of a request target: the origin form (`/metrics?x`) and the absolute form
 * (`http://host/metrics`, which a client talking to a proxy sends) alike; a string saying what is
 * wrong for anything else (`*`, a relative path, another scheme).
 */
export function requestTarget(target: string): URL | string {
  try {
    // the origin form is a path: '//metrics' is a path too, not a host
    if (target.startsWith('/')) return new URL(`http://sockscope${target}`);
    if (/^https?:\/\//i.test(target)) return new URL(target);
  } catch {
    return `bad request target ${JSON.stringify(target.slice(0, 200))}: not a valid URL`;
  }
  return `bad request target ${JSON.stringify(target.slice(0, 200))}: use a path such as /metrics`;
}

/**
 * What is wrong with a request Node's parser let through but HTTP/1.1 refuses, or undefined: an
 * HTTP/0.9 simple request (no version), and a request body whose length cannot be known
 * (`Transfer-Encoding` not ending in `chunked`, RFC 9112 §6.3).
 */
function requestFraming(req: IncomingMessage): string | undefined {
  if (req.httpVersionMajor !== 1) return `HTTP/${req.httpVersion} requests are not served: send HTTP/1.0 or HTTP/1.1`;
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && !/(?:^|,)\s*chunked\s*$/i.test(te)) return `Transfer-Encoding ${JSON.stringify(te)} does not end in chunked: the length of the body cannot be known`;
  return undefined;
}

/** The reason phrase and one-line body of a request Node's parser refused (`clientError`). */
function clientErrorAnswer(err: NodeJS.ErrnoException): { status: number; reason: string; body: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', body: 'request line and headers too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', body: 'request headers not received in time (read_header_timeout)' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large', body: 'chunk extensions too large' };
    default: {
      const why = (err as { reason?: unknown }).reason;
      return { status: 400, reason: 'Bad Request', body: `malformed request${typeof why === 'string' && why ? `: ${why.toLowerCase()}` : ''}` };
    }
  }
}

/** A running Prometheus sink, with the address it actually bound. */
export interface PrometheusSinkInstance {
  /** Binds the listen address. */
  start(): Promise<void>;
  /**
   * Stops accepting, finishes in-flight scrapes for at most `shutdown_timeout`, then cuts what is
   * left (logging it) and closes the server.
   */
  stop(): Promise<void>;
  /** The bound address, after start. */
  address(): { host: string; port: number } | undefined;
  /** Connections and scrapes now, for a state summary (SIGUSR1). */
  state(): PrometheusSinkState;
}

/** What {@link PrometheusSinkInstance.state} tells. */
export interface PrometheusSinkState {
  /** The TCP connections, against `max_connections`. */
  connections: ConnectionStats;
  /** Scrapes of the metrics endpoint being served, against `max_requests`. */
  scrapes: number;
  /** `max_requests`. */
  maxRequests: number;
}

const TEXT_PLAIN = 'text/plain; charset=utf-8';

/**
 * Builds the sink. It serializes what core rendered (`rendered.families`: flows, aggregates,
 * host, collector families, collector status, self metrics, among them the agent's process_* and
 * nodejs_* when it provides them) and adds only `sockscope_build_info`.
 */
export function createPrometheusSink(ctx: SinkContext<PrometheusSinkConfig>): PrometheusSinkInstance {
  const { config, pipeline, build, logger } = ctx;
  const listen = parseListenAddress(config.listen_address);
  const buildInfo = buildInfoFamily(build);
  const headerTimeoutMs = parseDuration(config.read_header_timeout);
  const idleTimeoutMs = parseDuration(config.idle_timeout);
  const shutdownTimeoutMs = parseDuration(config.shutdown_timeout);
  let guard = newGuard();
  // one budget of writing per turn of the event loop for every scrape being written
  const turns = new SharedTurns(SLICE_MS);
  // the exposition being written per collection and format, shared by the scrapes that read it
  const expositions = new WeakMap<RenderedSnapshot, Map<ExpositionFormat, SharedExposition>>();

  function newGuard(): ConnectionGuard {
    // Node answers a request whose headers are late with a 408 (checked every CHECK_INTERVAL_MS);
    // the guard's own deadline, just after, also bounds a TLS handshake that never completes
    const firstRequestMs = headerTimeoutMs > 0 ? headerTimeoutMs + CHECK_INTERVAL_MS + 500 : 0;
    return new ConnectionGuard({ max: config.max_connections, firstRequestMs, logger });
  }

  let server: Server | undefined;
  let stopping: Promise<void> | undefined;
  // While stopping, answers carry `Connection: close` so keep-alive clients do not hold the server open.
  let closing = false;
  // Scrapes of the metrics endpoint being served now, against max_requests.
  let scrapes = 0;
  let warnedOpen = false;
  const connections = new ConnectionsEndpoints({
    enabled: config.connections,
    maxBytes: config.connections_max_bytes,
    topologyLabels: config.connections_topology_labels,
    collect: () => pipeline.collect({ views: true }),
    extraHeaders: (): Record<string, string> => (closing ? { connection: 'close' } : {}),
  });

  /** Joins the exposition being written of this collection in this format, or starts one. */
  function exposition(rendered: RenderedSnapshot, format: ExpositionFormat): SharedExposition {
    let byFormat = expositions.get(rendered);
    if (!byFormat) expositions.set(rendered, (byFormat = new Map()));
    const map = byFormat;
    const current = map.get(format);
    if (current?.joinable()) return current;
    const source = Promise.resolve().then(() => expositionChunks([...rendered.families, buildInfo], CHUNK_BYTES, format));
    const made: SharedExposition = new SharedExposition(source, () => {
      if (map.get(format) === made) map.delete(format);
    });
    map.set(format, made);
    return made;
  }

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
   * slowly and yielding to the event loop when the writing of all scrapes together used its
   * slice: a scrape of hundreds of thousands of series neither builds one string of it all nor
   * keeps the agent from answering meanwhile. Scrapes of the same collection in the same format
   * read one serialization of it ({@link SharedExposition}).
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
    // cut by the shutdown deadline (or gone) while the collection ran
    if (res.destroyed) return;
    const { format, contentType } = negotiateFormat(req.headers.accept);
    const shared = exposition(rendered, format);
    const reader = shared.reader();
    try {
      await shared.ready;
      if (res.destroyed) return;
      const headers: Record<string, string> = { 'content-type': contentType, vary: 'Accept-Encoding' };
      if (closing) headers.connection = 'close';
      let out: Writable = res;
      if (acceptsGzip(req.headers['accept-encoding'])) {
        headers['content-encoding'] = 'gzip';
        const zip = createGzip();
        zip.pipe(res);
        out = zip;
      }
      res.writeHead(200, headers);
      // the turn is held only while writing: never across a wait for the client
      let holding = false;
      try {
        await turns.acquire();
        holding = true;
        for (;;) {
          if (res.destroyed) return;
          const chunk = reader.next();
          if (chunk === null) break;
          // the chunk's memory is reused once this write no longer reads it (and no other reader will)
          if (!out.write(chunk, () => reader.written(chunk))) {
            holding = false;
            turns.release();
            await drained(out, res);
            await turns.acquire();
            holding = true;
          } else if (turns.due()) {
            holding = false;
            turns.release();
            await turns.acquire();
            holding = true;
          }
        }
        out.end();
      } finally {
        if (holding) turns.release();
      }
    } finally {
      reader.close();
    }
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
    const framing = requestFraming(req);
    if (framing) return text(res, 400, framing, { connection: 'close' });
    const url = requestTarget(req.url ?? '/');
    if (typeof url === 'string') return text(res, 400, url, { connection: 'close' });
    const path = url.pathname;
    if (guard.probesOnly(req) && !PROBE_PATHS.has(path)) {
      const { open, max } = guard.stats();
      return text(res, 503, `too many connections: ${open} are open, the limit is ${max} (max_connections, --web.max-connections); only /health, /-/healthy and /-/ready are served on this one`, {
        connection: 'close',
      });
    }
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
    if (connections.handles(path)) {
      if (path !== CONNECTIONS_API_PATH && path !== TOPOLOGY_API_PATH) return connections.serve(req, res, path, url.searchParams);
      // an answer collects as a scrape does: it counts against max_requests
      if (config.max_requests > 0 && scrapes >= config.max_requests) {
        return text(res, 503, `too many concurrent scrapes: ${scrapes} are being served, the limit is ${config.max_requests} (max_requests, --web.max-requests); try again later`);
      }
      scrapes++;
      try {
        return await connections.serve(req, res, path, url.searchParams);
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
      const page = indexPage({ version: build.version, metricsPath: config.metrics_path, collectors: pipeline.collectorNames(), plugins: ctx.plugins, lifecycle: config.enable_lifecycle, connections: config.connections });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    text(res, 404, `not found: try ${config.metrics_path}, /health, /-/healthy, /-/ready${config.connections ? `, ${CONNECTIONS_API_PATH}, ${CONNECTIONS_PAGE_PATH}` : ''} or /`);
  }

  return {
    async start() {
      if (server) return;
      stopping = undefined;
      closing = false;
      guard = newGuard();
      const srv = (ctx.createServer ?? createServer)((req, res) => {
        handle(req, res).catch((err: unknown) => {
          logger.error('request failed', { path: req.url, err: errorMessage(err) });
          // half an exposition must not pass for a whole one: cut the connection instead
          if (res.headersSent) return void res.destroy(err instanceof Error ? err : new Error(errorMessage(err)));
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${errorMessage(err)}\n`);
        });
      });
      // node_exporter's habits: headers within read_header_timeout, keep-alive idle for idle_timeout
      srv.headersTimeout = headerTimeoutMs;
      srv.keepAliveTimeout = idleTimeoutMs;
      // a request must still be complete within Node's requestTimeout, which may not be below the header timeout
      if (headerTimeoutMs === 0 || srv.requestTimeout < headerTimeoutMs) srv.requestTimeout = 0;
      (srv as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = CHECK_INTERVAL_MS;
      guard.attach(srv);
      srv.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
        if (!socket.writable || err.code === 'ECONNRESET' || inProgress?.headersSent) return void socket.destroy();
        const { status, reason, body } = clientErrorAnswer(err);
        const payload = `${body}\n`;
        socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
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
      const connections = guard;
      server = undefined;
      closing = true;
      stopping ??= new Promise<void>((resolve) => {
        // in-flight scrapes get shutdown_timeout to finish; then what is left is cut, and said so
        const deadline = setTimeout(() => {
          const cut = connections.inFlight();
          if (cut.length > 0) {
            logger.warn('shutdown timeout: cutting the requests still in flight', {
              shutdown_timeout: String(config.shutdown_timeout),
              cut: cut.length,
              requests: cut.join('; '),
            });
          }
          connections.destroyAll();
          srv.closeAllConnections();
        }, shutdownTimeoutMs);
        // close() stops accepting and waits for every connection; the ones with nothing in flight are closed now
        srv.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        srv.closeIdleConnections();
        connections.closeIdle();
      });
      return stopping;
    },
    state() {
      return { connections: guard.stats(), scrapes, maxRequests: config.max_requests };
    },
    address() {
      const a = server?.address();
      if (!a || typeof a === 'string') return undefined;
      return { host: a.address, port: a.port };
    },
  };
}
