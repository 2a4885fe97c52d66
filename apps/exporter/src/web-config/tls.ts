import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { ServerOptions } from 'node:https';
import { SockscopeError } from '@sockscope/core';
import { TLS_VERSIONS, type WebConfig } from './schema.js';

type TlsConfig = NonNullable<WebConfig['tls_server_config']>;

/** HTTPS server options and a post-handshake client check built from `tls_server_config`. */
export interface TlsSetup {
  /** Options for https.createServer. */
  options: ServerOptions;
  /** False when a connection must be dropped (a client certificate was required or failed to verify). */
  acceptsClient(socket: TLSSocket): boolean;
  /** Absolute paths of the certificate, key and CA files. */
  files: string[];
  /** Reads the files again (for setSecureContext after a renewal). */
  reread(): Promise<ServerOptions>;
}

/** Reads the certificate, key and CA files (paths relative to the web config's directory) and maps the policy. */
export async function tlsSetup(tls: TlsConfig, baseDir: string): Promise<TlsSetup> {
  const keys = ['cert_file', 'key_file', 'client_ca_file'] as const;
  const read = async (key: (typeof keys)[number]): Promise<Buffer | undefined> => {
    const file = tls[key];
    if (file === undefined) return undefined;
    const path = resolve(baseDir, file);
    try {
      return await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied (the sockscope user must be able to read it)' : String((err as Error).message);
      throw new SockscopeError('ERR_CONFIG_INVALID', `web config: tls_server_config.${key}: cannot read ${path}: ${why}`);
    }
  };
  const material = async () => {
    const [cert, key, ca] = await Promise.all(keys.map(read));
    return { cert, key, ca };
  };
  const policy = tls.client_auth_type;
  const options: ServerOptions = {
    ...(await material()),
    minVersion: TLS_VERSIONS[tls.min_version],
    maxVersion: TLS_VERSIONS[tls.max_version],
    requestCert: policy !== 'NoClientCert',
    // Only the strictest policy lets OpenSSL refuse the handshake; the softer ones are checked after it.
    rejectUnauthorized: policy === 'RequireAndVerifyClientCert',
  };
  const acceptsClient = (socket: TLSSocket): boolean => {
    const presented = Object.keys(socket.getPeerCertificate()).length > 0;
    if (policy === 'RequireAnyClientCert') return presented;
    if (policy === 'VerifyClientCertIfGiven') return !presented || socket.authorized;
    return true;
  };
  const files = keys.flatMap((k) => (tls[k] === undefined ? [] : [resolve(baseDir, tls[k])]));
  return { options, acceptsClient, files, reread: async () => ({ ...options, ...(await material()) }) };
}
