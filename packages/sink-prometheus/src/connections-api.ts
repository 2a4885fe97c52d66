import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  createProtocolsView,
  errorMessage,
  hasProtocolCounters,
  isSockscopeError,
  parseConnectionsQuery,
  checkLabelsAllowed,
  type ConnectionsAnswerOptions,
  streamConnections,
  withCollectionFacts,
  type ConnectionsAnswer,
  type ConnectionsQuery,
  type ConnectionsSnapshot,
  type RenderedSnapshot,
  type StreamedConnectionsAnswer,
} from '@sockscope/core';
import { CONNECTIONS_PAGE, WEB_CSP, webAssets, type WebAsset } from '@sockscope/web';
import { acceptsGzip } from './negotiate.js';
import { drained } from './drained.js';

/** Path of the JSON API of the live connections. */
export const CONNECTIONS_API_PATH = '/api/v1/connections';
/** The topology alone: `/api/v1/connections?view=topology` (with `group_by` and the filters). */
export const TOPOLOGY_API_PATH = '/api/v1/topology';
/** Path of the live connections page (its assets are served beside it, at `/<asset>`). */
export const CONNECTIONS_PAGE_PATH = '/connections';

/** The one-line answer of the connections paths while they are off. */
export const CONNECTIONS_OFF_HINT =
  'the live connections API and page are off: start sockscope with --web.enable-connections (or sinks.prometheus.connections: true); they are then served behind the same TLS and basic auth as /metrics';

/** The piece of JSON written at once, and after which the writer yields to the event loop. */
const PIECE_BYTES = 64 * 1024;

/** The connections snapshot of a rendered collection, with the facts of the collection added; undefined when no connections view ran. */
export function connectionsSnapshotOf(rendered: RenderedSnapshot): ConnectionsSnapshot | undefined {
  const view = rendered.views?.connections as ConnectionsSnapshot | undefined;
  if (!view) return undefined;
  return withCollectionFacts(view, { hostname: hostname(), durationSeconds: rendered.snapshot.durationSeconds, status: rendered.snapshot.status });
}

/**
 * The answer as JSON pieces of about {@link PIECE_BYTES}: the head (every key but the rows), then
 * the rows one by one while the text stays within `maxBytes`, then `truncated` — true when the
 * query's `limit` or the byte cap left rows out. A topology answer (its links bounded by `limit`)
 * is one piece. Rows of a streamed answer are made as they are written (one row object at a time).
 */
export function* answerPieces(answer: ConnectionsAnswer | StreamedConnectionsAnswer, maxBytes: number): Generator<string> {
  if (!answer.rows) {
    yield `${JSON.stringify(answer)}\n`;
    return;
  }
  const { rows, truncated, ...head } = answer;
  const headText = JSON.stringify(head);
  let piece = `${headText.slice(0, -1)},"rows":[`;
  let bytes = Buffer.byteLength(piece);
  // room kept for the end: '],"truncated":false}\n'
  const budget = maxBytes - 24;
  let cut = truncated;
  let i = 0;
  for (const row of rows as Iterable<unknown>) {
    const text = `${i++ === 0 ? '' : ','}${JSON.stringify(row)}`;
    const size = Buffer.byteLength(text);
    if (bytes + size > budget) {
      cut = true;
      break;
    }
    bytes += size;
    piece += text;
    if (piece.length >= PIECE_BYTES) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}],"truncated":${cut}}\n`;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What the connections endpoints need of the sink. */
export interface ConnectionsEndpointOptions {
  /** Whether they are on (`sinks.prometheus.connections`). */
  enabled: boolean;
  /** Most bytes of JSON one answer holds (`connections_max_bytes`). */
  maxBytes: number;
  /** Glob patterns of the topology label fields allowed (`connections_topology_labels`; none when absent). */
  topologyLabels?: readonly string[];
  /** The shared collection (one in flight, `min_interval` honoured). */
  collect(): Promise<RenderedSnapshot>;
  /** Headers every answer carries (`Connection: close` while stopping). */
  extraHeaders(): Record<string, string>;
}

/** The setting a refused `labels=` names. */
export const TOPOLOGY_LABELS_SETTING = 'sinks.prometheus.connections_topology_labels';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The live connections endpoints: `GET /api/v1/connections` (the JSON answer, gzipped when
 * accepted, streamed row by row under a byte cap), `/connections` and its assets from
 * `@sockscope/web` (with the page's Content-Security-Policy). `handles(path)` says whether a path
 * is theirs; while off, the API and page paths answer 404 with {@link CONNECTIONS_OFF_HINT}.
 */
export class ConnectionsEndpoints {
  private assets: ReadonlyMap<string, WebAsset> | undefined;
  /** `view=protocols`: rates against the previous collection this endpoint answered. */
  private readonly protocols = createProtocolsView();

  constructor(private readonly opts: ConnectionsEndpointOptions) {
    // read (and checked) once at start, so a missing build is said before the first request
    if (opts.enabled) this.assets = webAssets();
  }

  /** True when the path is the API (connections or topology), the page, or (while on) one of the page's assets. */
  handles(path: string): boolean {
    if (path === CONNECTIONS_API_PATH || path === TOPOLOGY_API_PATH || path === CONNECTIONS_PAGE_PATH) return true;
    return this.assetOf(path) !== undefined;
  }

  private assetOf(path: string): WebAsset | undefined {
    if (!this.assets || path.lastIndexOf('/') !== 0) return undefined;
    const name = path.slice(1);
    if (name === CONNECTIONS_PAGE) return undefined;
    return this.assets.get(name);
  }

  async serve(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const extra = this.opts.extraHeaders();
    if (!this.opts.enabled) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...extra }).end(`${CONNECTIONS_OFF_HINT}\n`);
      return;
    }
    if (path === CONNECTIONS_API_PATH) return this.api(req, res, query, extra);
    if (path === TOPOLOGY_API_PATH) {
      const view = query.getAll('view').filter((v) => v !== '');
      if (view.some((v) => v !== 'topology')) {
        res
          .writeHead(400, { 'content-type': JSON_TYPE, 'x-content-type-options': 'nosniff', ...extra })
          .end(`${JSON.stringify({ error: `view: ${TOPOLOGY_API_PATH} answers the topology only; ask ${CONNECTIONS_API_PATH}?view=${view[0]} for that view` })}\n`);
        return;
      }
      const params = new URLSearchParams(query);
      params.set('view', 'topology');
      return this.api(req, res, params, extra);
    }
    const asset = path === CONNECTIONS_PAGE_PATH ? this.assets?.get(CONNECTIONS_PAGE) : this.assetOf(path);
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...extra }).end('not found\n');
      return;
    }
    res
      .writeHead(200, {
        'content-type': asset.contentType,
        'content-length': String(asset.body.length),
        'content-security-policy': WEB_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
        ...extra,
      })
      .end(req.method === 'HEAD' ? undefined : asset.body);
  }

  private get answerOptions(): ConnectionsAnswerOptions {
    return { allowLabels: this.opts.topologyLabels ?? [], allowLabelsSetting: TOPOLOGY_LABELS_SETTING };
  }

  private async api(req: IncomingMessage, res: ServerResponse, params: URLSearchParams, extra: Record<string, string>): Promise<void> {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': JSON_TYPE, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...extra }).end(`${JSON.stringify(body)}\n`);
    if (params.getAll('view').some((v) => v.toLowerCase() === 'protocols')) return this.protocolsView(params, json);
    let query: ConnectionsQuery;
    try {
      query = parseConnectionsQuery(params);
      checkLabelsAllowed(query, this.answerOptions);
    } catch (err) {
      if (isSockscopeError(err) && err.code === 'ERR_QUERY_INVALID') return void json(400, { error: err.message });
      throw err;
    }
    const rendered = await this.opts.collect();
    if (res.destroyed) return;
    const snapshot = connectionsSnapshotOf(rendered);
    if (!snapshot) return void json(503, { error: 'this agent collects no connections view (the pipeline was built without one)' });
    let answer: StreamedConnectionsAnswer;
    try {
      answer = streamConnections(snapshot, query, this.answerOptions);
    } catch (err) {
      return void json(500, { error: errorMessage(err) });
    }
    const headers: Record<string, string> = { 'content-type': JSON_TYPE, vary: 'Accept-Encoding', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...extra };
    let out: Writable = res;
    if (acceptsGzip(req.headers['accept-encoding'])) {
      headers['content-encoding'] = 'gzip';
      const zip = createGzip();
      zip.pipe(res);
      out = zip;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void out.end();
    for (const piece of answerPieces(answer, this.opts.maxBytes)) {
      if (res.destroyed) return;
      if (!out.write(piece)) await drained(out, res);
      else await yieldTurn();
    }
    out.end();
  }

  /**
   * `view=protocols`: the kernel's TCP and UDP counters per second since the previous collection
   * this endpoint answered, and the established TCP connections (core's createProtocolsView), from
   * the host stats of the shared collection — FreeBSD's net.inet.{tcp,udp}.stats and
   * net.inet.tcp.states, Linux's /proc/net/snmp. It takes no filters.
   */
  private async protocolsView(params: URLSearchParams, json: (status: number, body: unknown) => void): Promise<void> {
    const other = [...new Set(params.keys())].filter((k) => k !== 'view');
    if (params.getAll('view').length > 1) return void json(400, { error: 'view: give one view; view=protocols is a table of its own' });
    if (other.length > 0) return void json(400, { error: `${other[0]}: view=protocols is the host's protocol counters and takes no filters; leave ${other.join(', ')} out` });
    const rendered = await this.opts.collect();
    const host = rendered.snapshot.host;
    if (!hasProtocolCounters(host)) {
      return void json(503, {
        error:
          'view=protocols: this collection has no TCP/UDP protocol counters; they come from the host stats (Linux: collectors.linux-procfs with host stats on, /proc/net/snmp; FreeBSD: collectors.freebsd-sysctl stats: true)',
      });
    }
    json(200, this.protocols.answer(host, rendered.snapshot.timestamp, hostname()));
  }
}
