import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext, type TLSSocket } from 'node:tls';
import type { ServerOptions } from 'node:https';
import { errorMessage, SockscopeError } from '@sockscope/core';
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
  const first = await material();
  const path = (k: (typeof keys)[number]) => resolve(baseDir, tls[k] as string);
  checkMaterial(first, { cert: path('cert_file'), key: path('key_file'), ca: tls.client_ca_file === undefined ? undefined : path('client_ca_file') });
  const options: ServerOptions = {
    ...first,
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
  try {
    createSecureContext(options);
  } catch (err) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `web config: tls_server_config: ${files.join(', ')} do not load: ${errorMessage(err)}`);
  }
  return { options, acceptsClient, files, reread: async () => ({ ...options, ...(await material()) }) };
}

const PEM_CERT = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:TRUSTED )?CERTIFICATE-----/g;

/** What a PEM file holds instead of what it should, as a hint (swapped files are the usual mistake). */
function holds(pem: string): string {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return 'it holds a private key';
  if (/-----BEGIN (?:TRUSTED )?CERTIFICATE-----/.test(pem)) return 'it holds a certificate';
  if (/-----BEGIN CERTIFICATE REQUEST-----/.test(pem)) return 'it holds a certificate request';
  if (pem.trim() === '') return 'it is empty';
  return /-----BEGIN /.test(pem) ? 'its PEM block does not parse' : 'it holds no PEM block';
}

/**
 * Checks the certificate, key and CA files before the server starts, so a mistake is one line
 * naming the file: not a PEM certificate, not a private key (the two swapped), an encrypted key,
 * a key that does not belong to the certificate, a CA file without certificates.
 */
function checkMaterial(m: { cert?: Buffer; key?: Buffer; ca?: Buffer }, paths: { cert: string; key: string; ca?: string }): void {
  const fail = (field: string, file: string, problem: string) => {
    throw new SockscopeError('ERR_CONFIG_INVALID', `web config: tls_server_config.${field}: ${file}: ${problem}`);
  };
  const certPem = m.cert?.toString('utf8') ?? '';
  const keyPem = m.key?.toString('utf8') ?? '';
  const swapped = /PRIVATE KEY-----/.test(certPem) && /-----BEGIN (?:TRUSTED )?CERTIFICATE-----/.test(keyPem);
  const swapHint = swapped ? ' (cert_file and key_file look swapped)' : '';
  let cert: X509Certificate | undefined;
  try {
    const block = certPem.match(PEM_CERT)?.[0];
    if (block) cert = new X509Certificate(block);
  } catch (err) {
    fail('cert_file', paths.cert, `not a PEM certificate: ${errorMessage(err)}${swapHint}`);
  }
  if (!cert) fail('cert_file', paths.cert, `not a PEM certificate: ${holds(certPem)}${swapHint}`);
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(m.key as Buffer);
  } catch (err) {
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4, *ENCRYPTED/.test(keyPem) || /passphrase/i.test(errorMessage(err));
    const why = encrypted
      ? 'the private key is encrypted: sockscope needs it unencrypted (openssl pkey -in KEY -out KEY.plain)'
      : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)
        ? `the private key does not parse: ${errorMessage(err)}`
        : `not a PEM private key: ${holds(keyPem)}`;
    fail('key_file', paths.key, `${why}${swapHint}`);
  }
  if (cert && key && !cert.checkPrivateKey(key)) {
    fail('key_file', paths.key, `the private key does not belong to the certificate in ${paths.cert}`);
  }
  if (paths.ca !== undefined) {
    const caPem = m.ca?.toString('utf8') ?? '';
    const blocks = caPem.match(PEM_CERT) ?? [];
    if (blocks.length === 0) fail('client_ca_file', paths.ca, `no PEM certificate: ${holds(caPem)}`);
    for (const [i, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (err) {
        fail('client_ca_file', paths.ca, `certificate ${i + 1} does not parse: ${errorMessage(err)}`);
      }
    }
  }
}
