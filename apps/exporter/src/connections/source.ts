import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { errorMessage, queryConnections, type ConnectionsAnswer, type ConnectionsQuery, type PluginRegistry } from '@sockscope/core';
import { connectionsSnapshotOf } from '@sockscope/sink-prometheus';
import { startAgent, type Agent } from '../agent.js';
import type { AgentConfig } from '../config/types.js';
import { SourceError } from '../errors.js';
import { createLogger } from '../logger.js';
import { buildInfo } from '../version.js';

export { SourceError };

/** Where answers come from: this process's own collections, or a running agent. */
export interface AnswerSource {
  /** One answer to the query (a fresh collection, or the agent's answer). */
  answer(query: ConnectionsQuery, params: URLSearchParams): Promise<ConnectionsAnswer>;
  close(): Promise<void>;
}

/** A config loaded for the command: validated, with its registry. */
export interface LoadedForConnections {
  config: AgentConfig;
  registry: PluginRegistry;
  errors: readonly string[];
  enabledByEnv: ReadonlySet<string>;
}

/**
 * Collects here: the config's collectors and enrichers (the embedded default's by default) with
 * the connections view, and no sink — no listener is opened. Collector problems are logged at
 * error level on stderr.
 */
export async function inProcessSource(loaded: LoadedForConnections): Promise<AnswerSource> {
  const sinks: Record<string, Record<string, unknown>> = {};
  for (const [name, entry] of Object.entries(loaded.config.sinks)) sinks[name] = { ...entry, enabled: false };
  for (const def of loaded.registry.list('sink')) sinks[def.name] ??= { enabled: false };
  const config = { ...loaded.config, sinks } as AgentConfig;
  const logger = createLogger('error', 'logfmt');
  const agent: Agent = await startAgent({ config, registry: loaded.registry, logger, build: buildInfo(), enabledByEnv: new Set(), connectionsView: true });
  let first = true;
  return {
    async answer(query) {
      // the agent's start-up collection is the first answer; later ones collect (min_interval honoured)
      let rendered;
      if (first) {
        first = false;
        await agent.firstCollection;
        rendered = agent.pipeline.latest() ?? (await agent.pipeline.collect());
      } else {
        rendered = await agent.pipeline.collect();
      }
      const snapshot = connectionsSnapshotOf(rendered);
      if (!snapshot) throw new Error('the collection carried no connections view');
      // collecting here reads no server config: the operator already runs it on the host, so every topology label is allowed
      return queryConnections(snapshot, query, { allowLabels: () => true });
    },
    close: () => agent.stop(),
  };
}

/** Options of {@link remoteSource}. */
export interface RemoteOptions {
  /** `--from`: the agent (`https://host:8020`) or its API URL; `user:password@` is basic auth. */
  from: string;
  caFile?: string;
  insecure: boolean;
  /** `--user NAME[:PASSWORD]`. */
  user?: string;
  /** The environment (SOCKSCOPE_PASSWORD). */
  env: NodeJS.ProcessEnv;
  /** Per request, ms (default 30 s). */
  timeoutMs?: number;
}

const API_PATH = '/api/v1/connections';

/** The API URL of `--from` (credentials removed) and its basic-auth header, or a SourceError. */
export function apiUrl(opts: Pick<RemoteOptions, 'from' | 'user' | 'env'>): { url: URL; authorization?: string; shown: string } {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.from) ? opts.from : `http://${opts.from}`);
  } catch {
    throw new SourceError(`--from ${JSON.stringify(opts.from)}: not a URL; give the agent's address, e.g. https://host:8020`, true);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SourceError(`--from ${opts.from}: only http:// and https:// agents are read`, true);
  let user = url.username ? decodeURIComponent(url.username) : undefined;
  let password = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  if (opts.user !== undefined) {
    const colon = opts.user.indexOf(':');
    user = colon >= 0 ? opts.user.slice(0, colon) : opts.user;
    password = colon >= 0 ? opts.user.slice(colon + 1) : undefined;
  }
  if (user !== undefined) password ??= opts.env.SOCKSCOPE_PASSWORD ?? '';
  if (!url.pathname.endsWith(API_PATH)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${API_PATH}`;
  url.search = '';
  url.hash = '';
  const authorization = user !== undefined ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined;
  return { url, authorization, shown: url.toString() };
}

/** One line saying why a request to the agent failed. */
function networkProblem(err: NodeJS.ErrnoException, shown: string, tls: boolean): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${shown}: connection refused: is the agent running and listening there?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${shown}: host not found (${err.code})`;
    case 'ETIMEDOUT':
    case 'ERR_SOCKET_TIMEOUT':
      return `${shown}: no answer in time`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${shown}: the connection was closed${tls ? '' : ' (an https:// agent? use https:// in --from)'}`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `${shown}: TLS failed (${errorMessage(err)}): is the agent serving plain http://?`;
  }
  if (tls && /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME|SSL/i.test(`${err.code ?? ''} ${err.message}`)) {
    return `${shown}: TLS certificate not trusted (${err.code ?? errorMessage(err)}: ${errorMessage(err)}): give the agent's CA with --ca-file FILE, or --insecure-skip-verify`;
  }
  return `${shown}: ${errorMessage(err)}`;
}

const gunzipAsync = promisify(gunzip);

/** Reads a running agent's `/api/v1/connections` (TLS and basic auth honoured, gzip asked for). */
export function remoteSource(opts: RemoteOptions): AnswerSource {
  const { url, authorization, shown } = apiUrl(opts);
  const tls = url.protocol === 'https:';
  let ca: Buffer | undefined;
  if (opts.caFile !== undefined) {
    try {
      ca = readFileSync(opts.caFile);
    } catch (err) {
      throw new SourceError(`--ca-file ${opts.caFile}: ${errorMessage(err)}`, true);
    }
  }
  const get = (params: URLSearchParams) =>
    new Promise<{ res: IncomingMessage; body: Buffer }>((resolve, reject) => {
      const target = new URL(url);
      target.search = params.toString();
      const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
      if (authorization) headers.authorization = authorization;
      const options = { headers, timeout: opts.timeoutMs ?? 30_000, ...(tls ? { ca, rejectUnauthorized: !opts.insecure } : {}) };
      const req = (tls ? httpsRequest : httpRequest)(target, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end();
    });
  return {
    async answer(_query, params) {
      let got;
      try {
        got = await get(params);
      } catch (err) {
        throw new SourceError(networkProblem(err as NodeJS.ErrnoException, shown, tls));
      }
      const { res } = got;
      let body = got.body;
      if (res.headers['content-encoding'] === 'gzip') {
        try {
          body = await gunzipAsync(body);
        } catch (err) {
          throw new SourceError(`${shown}: the answer could not be decompressed: ${errorMessage(err)}`);
        }
      }
      const text = body.toString('utf8');
      const firstLine = (text.split('\n').find((l) => l.trim() !== '') ?? '').slice(0, 300);
      const status = res.statusCode ?? 0;
      if (status === 401) {
        throw new SourceError(
          `${shown}: 401 unauthorized: ${authorization ? 'wrong user or password' : 'the agent asks for a user'}; give --user NAME with the password in SOCKSCOPE_PASSWORD (or in the URL)`,
        );
      }
      if (status === 400) {
        let error = firstLine;
        try {
          error = (JSON.parse(text) as { error?: string }).error ?? firstLine;
        } catch {
          /* not JSON: the line as it is */
        }
        throw new SourceError(error, true);
      }
      if (status === 404) throw new SourceError(`${shown}: 404: ${firstLine || 'not found'}${/enable-connections/.test(firstLine) ? '' : ' (is this a sockscope agent?)'}`);
      if (status !== 200) throw new SourceError(`${shown}: HTTP ${status}${firstLine ? `: ${firstLine}` : ''}`);
      try {
        return JSON.parse(text) as ConnectionsAnswer;
      } catch {
        throw new SourceError(`${shown}: the answer is not JSON (is this a sockscope agent?)`);
      }
    },
    close: async () => undefined,
  };
}
