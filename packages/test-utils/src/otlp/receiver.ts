import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeJsonRequest, decodeProtobufRequest, type DecodedRequest } from './otlp-schema.js';
import { attributesOf, pointsOf, type AttrValue, type ReceivedPoint } from './points.js';

/** One export the receiver accepted. */
export interface ReceivedExport {
  /** Encoding, from the Content-Type. */
  protocol: 'http/protobuf' | 'http/json';
  /** Request path, e.g. `/v1/metrics`. */
  path: string;
  /** Request headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** The decoded ExportMetricsServiceRequest. */
  request: DecodedRequest;
  /** Attributes of the first resource. */
  resource: Record<string, AttrValue>;
  /** Every data point, flattened. */
  points: ReceivedPoint[];
  /** When the request arrived (ms since the epoch). */
  at: number;
}

/** A request the receiver refused. */
export interface RefusedRequest {
  /** The status answered. */
  status: number;
  /** Why (also the response body). */
  reason: string;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

/** An OTLP/HTTP metrics receiver on 127.0.0.1 for tests. */
export interface OtlpReceiver {
  /** Base URL (`http://127.0.0.1:PORT`), what OTEL_EXPORTER_OTLP_ENDPOINT would hold. */
  readonly url: string;
  /** The metrics URL (`…/v1/metrics`). */
  readonly metricsUrl: string;
  /** Exports accepted so far, oldest first. */
  readonly exports: ReceivedExport[];
  /** Requests refused (bad path, undecodable body, forced status), with the reason. */
  readonly refused: RefusedRequest[];
  /**
   * Answers later requests with this HTTP status instead of 200 (undefined: back to normal), with
   * these response headers (e.g. `{ 'retry-after': '3' }` beside a 429 or 503).
   */
  respondWith(status: number | undefined, headers?: Record<string, string>): void;
  /** Holds later requests unanswered until `release()`: a collector that hangs. */
  hold(): void;
  /** Answers held requests normally and stops holding. */
  release(): void;
  /** Resolves once at least `count` exports were accepted in total; rejects after `timeoutMs`. */
  waitForExports(count: number, timeoutMs?: number): Promise<ReceivedExport[]>;
  /** Stops listening and cuts every open connection (a collector that went away). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/** Starts an OTLP/HTTP receiver that decodes protobuf and JSON bodies with the official OTLP schema. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const refused: RefusedRequest[] = [];
  const sockets = new Set<Socket>();
  const held: (() => void)[] = [];
  const waiters = new Set<() => void>();
  let forced: number | undefined;
  let forcedHeaders: Record<string, string> = {};
  let holding = false;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const reply = () => answer(req, res, body, at);
    if (holding) held.push(reply);
    else reply();
  };

  const answer = (req: IncomingMessage, res: ServerResponse, raw: Buffer, at: number) => {
    const refuse = (status: number, reason: string, headers: Record<string, string> = {}) => {
      refused.push({ status, reason, at });
      res.writeHead(status, { ...headers, 'content-type': 'text/plain' }).end(reason);
    };
    if (forced !== undefined) return refuse(forced, `forced status ${forced}`, forcedHeaders);
    if (req.method !== 'POST' || req.url !== '/v1/metrics') return refuse(404, `${req.method} ${req.url}: only POST /v1/metrics`);
    const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim();
    let decoded: DecodedRequest;
    let protocol: ReceivedExport['protocol'];
    try {
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      if (type === 'application/x-protobuf') [decoded, protocol] = [decodeProtobufRequest(body), 'http/protobuf'];
      else if (type === 'application/json') [decoded, protocol] = [decodeJsonRequest(body.toString('utf8')), 'http/json'];
      else return refuse(415, `content-type ${type} is neither application/x-protobuf nor application/json`);
    } catch (err) {
      return refuse(400, `undecodable body: ${err instanceof Error ? err.message : String(err)}`);
    }
    const firstResource = ((decoded.resourceMetrics ?? []) as { resource?: { attributes?: [] } }[])[0]?.resource;
    exports.push({ protocol, path: req.url, headers: { ...req.headers }, request: decoded, resource: attributesOf(firstResource?.attributes), points: pointsOf(decoded), at });
    // An empty ExportMetricsServiceResponse: zero bytes in protobuf, {} in JSON.
    if (protocol === 'http/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    for (const w of waiters) w();
  };

  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    metricsUrl: `${url}/v1/metrics`,
    exports,
    refused,
    respondWith(status, headers = {}) {
      forced = status;
      forcedHeaders = status === undefined ? {} : { ...headers };
    },
    hold: () => void (holding = true),
    release() {
      holding = false;
      for (const reply of held.splice(0)) reply();
    },
    waitForExports(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (exports.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(exports.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`OTLP receiver: ${exports.length} of ${count} exports after ${timeoutMs} ms (refused: ${JSON.stringify(refused.slice(-3))})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      held.splice(0);
      holding = false;
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    async restart() {
      if (!server.listening) await listen(port);
    },
  };
}
