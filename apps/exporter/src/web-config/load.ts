import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { errorMessage, SockscopeError } from '@sockscope/core';
import { parseDocument } from 'yaml';
import { createBasicAuth, type BasicAuthCheck } from './basic-auth.js';
import { answerPlainHttp } from './plain-http.js';
import type { WebConfig } from './schema.js';
import { reloadCertificatesOnChange, type ReloadOptions } from './reload.js';
import { tlsSetup } from './tls.js';
import { validateWebConfig } from './validate.js';

/** Builds the HTTP(S) server the Prometheus sink listens on. */
export type ServerFactory = (listener: RequestListener) => Server;

/**
 * Reads a `--web.config.file` (exporter-toolkit format: `tls_server_config`, `basic_auth_users`,
 * `http_server_config.headers`) and returns a server factory: HTTPS when TLS is configured
 * (renewed certificate files apply without a restart), basic auth on every path when users are
 * listed. Throws ERR_CONFIG_INVALID naming the file: one problem as one line, several as a list
 * of `path: message`; certificate files that do not load name the file. An empty file yields a
 * plain HTTP server, as in exporter-toolkit. Pass `onError` (e.g. logger.warn) to hear about
 * renewed files that fail to load, password checks refused under load (429, at most once a
 * minute) and password checks that failed (500). Plain HTTP to the TLS port is answered 400.
 */
export async function loadWebConfig(path: string, reload: ReloadOptions = {}): Promise<ServerFactory> {
  const config = await readWebConfig(path);
  return serverFactory(config, dirname(path), reload);
}

/** Reads and validates a web config file. */
export async function readWebConfig(path: string): Promise<WebConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SockscopeError('ERR_CONFIG_INVALID', `cannot read web config file ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${path}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new SockscopeError('ERR_CONFIG_INVALID', `web config file ${path} is not valid YAML`, lines);
  }
  const raw: unknown = doc.toJS() ?? {};
  const { config, errors } = validateWebConfig(raw);
  // one problem is one line; several are a count and the list
  if (errors.length === 1) throw new SockscopeError('ERR_CONFIG_INVALID', `web config file ${path}: ${errors[0]}`);
  if (errors.length > 1) throw new SockscopeError('ERR_CONFIG_INVALID', `web config file ${path}: ${errors.length} errors`, errors);
  return config;
}

/** Turns a validated web config into a server factory; relative file names resolve against baseDir. */
export async function serverFactory(config: WebConfig, baseDir: string, reload: ReloadOptions = {}): Promise<ServerFactory> {
  const users = config.basic_auth_users ?? {};
  const auth = Object.keys(users).length > 0 ? createBasicAuth(users) : undefined;
  const headers = Object.entries(config.http_server_config?.headers ?? {});
  const tls = config.tls_server_config ? await tlsSetup(config.tls_server_config, baseDir) : undefined;
  return (listener) => {
    const guarded = guard(listener, auth, headers, reload.onError);
    if (!tls) return createHttpServer(guarded);
    const server = createHttpsServer(tls.options, guarded);
    answerPlainHttp(server);
    server.on('secureConnection', (socket: TLSSocket) => {
      if (!tls.acceptsClient(socket)) socket.destroy();
    });
    reloadCertificatesOnChange(server, tls, reload);
    return server;
  };
}

/** How often at most the refused password checks are logged. */
const SHED_LOG_INTERVAL_MS = 60_000;

/** Counts refused checks and reports them: the first at once, then at most once a minute. */
function shedLog(log: ((message: string) => void) | undefined): () => void {
  let count = 0;
  let last = -Infinity;
  return () => {
    count++;
    const t = Date.now();
    if (!log || t - last < SHED_LOG_INTERVAL_MS) return;
    log(`web config: basic auth is busy checking passwords: refused ${count} request${count > 1 ? 's' : ''} with unverified credentials (429) since ${last === -Infinity ? 'start' : 'the last report'}`);
    count = 0;
    last = t;
  };
}

function guard(listener: RequestListener, auth: BasicAuthCheck | undefined, headers: readonly [string, string][], log: ((message: string) => void) | undefined): RequestListener {
  const shed = shedLog(log);
  return (req, res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    if (!auth) {
      listener(req, res);
      return;
    }
    auth(req).then(
      (ok) => {
        if (ok === true) return listener(req, res);
        if (ok === 'busy') {
          shed();
          res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'text/plain; charset=utf-8' });
          return void res.end('Too many password checks in progress: retry later\n');
        }
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="sockscope", charset="UTF-8"', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Unauthorized\n');
      },
      (err: unknown) => {
        log?.(`web config: password check failed: ${errorMessage(err)}`);
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('authentication failed\n');
      },
    );
  };
}
