import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import bcrypt from 'bcryptjs';
import { compileConfigSchema } from '@sockscope/core';
import { prometheusSink } from '@sockscope/sink-prometheus';
import { controlledPipeline, renderedSnapshot, sinkTestContext } from '@sockscope/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBasicAuth, createBcryptPool, loadWebConfig, PLAIN_HTTP_BODY, VERIFIED_TTL_MS, type BcryptPool, type ServerFactory } from '../src/web-config/index.js';
import { makeTestPki, type TestPki } from './tls-fixtures.js';

// Cost 4 keeps the suite fast; production hashes use 10 or more and the code path is the same.
const ALICE_HASH = bcrypt.hashSync('s3cret:with:colons', 4);
const BOB_HASH = bcrypt.hashSync('hunter2', 4);

let pki: TestPki;
beforeAll(() => void (pki = makeTestPki()));
afterAll(() => pki.remove());

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  vi.restoreAllMocks();
});

function webConfig(name: string, text: string): string {
  const path = join(pki.dir, name);
  writeFileSync(path, text);
  return path;
}

async function serve(factory: ServerFactory, listener: RequestListener = (_req, res) => res.end('ok\n')): Promise<number> {
  const server = factory(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}
interface ClientOptions {
  auth?: string;
  ca?: string;
  cert?: string;
  key?: string;
  maxVersion?: SecureVersion;
}

function fetchOnce(url: string, o: ClientOptions = {}): Promise<Reply> {
  const secure = url.startsWith('https:');
  const read = (f: string | undefined) => (f ? readFileSync(f) : undefined);
  return new Promise((resolve, reject) => {
    const options = {
      agent: false as const,
      headers: o.auth ? { authorization: `Basic ${Buffer.from(o.auth).toString('base64')}` } : {},
      ...(secure ? { ca: read(o.ca), cert: read(o.cert), key: read(o.key), maxVersion: o.maxVersion } : {}),
    };
    const req = (secure ? httpsGet : httpGet)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('web config validation', () => {
  it('lists every problem as path: message, naming typos, unsupported keys and bad hashes', async () => {
    const path = webConfig('bad.yml', [
      'tls_server_config:',
      '  cert_fil: server.crt',
      '  key_file: server.key',
      '  min_version: TLS14',
      '  cipher_suites: [TLS_AES_128_GCM_SHA256]',
      'basic_auth_users:',
      '  alice: plaintext-password',
      'http_server_config:',
      '  headers:',
      '    X-Powered-By: sockscope',
      'basic_auth_user: {}',
    ].join('\n'));
    const err = await loadWebConfig(path).then(() => undefined, (e: unknown) => e as { code: string; message: string; details: string[] });
    expect(err?.code).toBe('ERR_CONFIG_INVALID');
    expect(err?.message).toBe(`web config file ${path}: 7 errors`);
    expect(err?.details).toEqual(expect.arrayContaining([
      'basic_auth_user: unknown key (did you mean "basic_auth_users"?)',
      'tls_server_config: must have required property \'cert_file\'',
      'tls_server_config.cert_fil: unknown key (did you mean "cert_file"?)',
      'tls_server_config.cipher_suites: not supported: Node.js uses its own secure defaults for the TLS version range',
      'tls_server_config.min_version: must be one of "TLS10", "TLS11", "TLS12", "TLS13"',
      expect.stringMatching(/^basic_auth_users\.alice: must be a bcrypt hash such as \$2y\$10\$/),
      expect.stringMatching(/^http_server_config\.headers\.X-Powered-By: unknown key/),
    ]));
  });

  // one problem is one line naming the file (several are a count and a list, as above)
  it('checks the TLS policy as a whole', async () => {
    const base = `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n`;
    const v = webConfig('v.yml', `${base}  client_auth_type: RequireAndVerifyClientCert\n`);
    const verify = await loadWebConfig(v).catch((e: { message: string; details: string[] }) => [e.message, ...e.details]);
    expect(verify).toEqual([`web config file ${v}: tls_server_config.client_ca_file: required when client_auth_type is RequireAndVerifyClientCert`]);
    const r = webConfig('r.yml', `${base}  min_version: TLS13\n  max_version: TLS12\n`);
    const range = await loadWebConfig(r).catch((e: { message: string; details: string[] }) => [e.message, ...e.details]);
    expect(range).toEqual([`web config file ${r}: tls_server_config.min_version: TLS13 is newer than max_version TLS12`]);
  });

  it('names an unreadable certificate by its resolved path', async () => {
    const path = webConfig('missing.yml', 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n');
    await expect(loadWebConfig(path)).rejects.toThrow(`web config: tls_server_config.cert_file: cannot read ${join(pki.dir, 'nope.crt')}: no such file`);
  });

  it('refuses a web config that is not YAML or not a mapping', async () => {
    await expect(loadWebConfig(webConfig('y.yml', 'basic_auth_users: [\n'))).rejects.toThrow(/is not valid YAML/);
    await expect(loadWebConfig(webConfig('l.yml', '- a\n'))).rejects.toMatchObject({ message: `web config file ${join(pki.dir, 'l.yml')}: (root): must be object`, details: [] });
    await expect(loadWebConfig(join(pki.dir, 'absent.yml'))).rejects.toThrow(/cannot read web config file .*absent\.yml: no such file/);
  });

  it('serves plain HTTP for an empty file, as exporter-toolkit does', async () => {
    const port = await serve(await loadWebConfig(webConfig('empty.yml', '')));
    expect(await fetchOnce(`http://127.0.0.1:${port}/`)).toMatchObject({ status: 200, body: 'ok\n' });
  });
});

describe('TLS', () => {
  const tlsFile = (extra = '') =>
    webConfig('tls.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: ${pki.serverKey}\n${extra}`);

  // plain HTTP used to end in a silent reset (socket hang up); it is answered 400 as Go's server does
  it('serves HTTPS with the configured certificate; plain HTTP to the TLS port gets a 400 and the server keeps serving', async () => {
    const port = await serve(await loadWebConfig(tlsFile()));
    expect(await fetchOnce(`https://127.0.0.1:${port}/`, { ca: pki.caCert })).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await fetchOnce(`http://127.0.0.1:${port}/`)).toMatchObject({ status: 400, body: PLAIN_HTTP_BODY });
    await expect(fetchOnce(`https://127.0.0.1:${port}/`)).rejects.toThrow(/self-signed certificate|unable to verify/);
    expect((await fetchOnce(`https://127.0.0.1:${port}/`, { ca: pki.caCert })).status).toBe(200);
  });

  it('enforces min_version', async () => {
    const port = await serve(await loadWebConfig(tlsFile('  min_version: TLS13\n')));
    await expect(fetchOnce(`https://127.0.0.1:${port}/`, { ca: pki.caCert, maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|alert/i);
    expect((await fetchOnce(`https://127.0.0.1:${port}/`, { ca: pki.caCert })).status).toBe(200);
  });

  it('RequireAndVerifyClientCert admits only clients with a certificate from client_ca_file', async () => {
    const port = await serve(await loadWebConfig(tlsFile('  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n')));
    const url = `https://127.0.0.1:${port}/`;
    await expect(fetchOnce(url, { ca: pki.caCert })).rejects.toThrow();
    await expect(fetchOnce(url, { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey })).rejects.toThrow();
    expect(await fetchOnce(url, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })).toMatchObject({ status: 200 });
  });

  it('VerifyClientCertIfGiven admits clients without a certificate but drops one that fails to verify', async () => {
    const port = await serve(await loadWebConfig(tlsFile('  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n')));
    const url = `https://127.0.0.1:${port}/`;
    expect((await fetchOnce(url, { ca: pki.caCert })).status).toBe(200);
    expect((await fetchOnce(url, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })).status).toBe(200);
    await expect(fetchOnce(url, { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey })).rejects.toThrow();
  });

  it('RequireAnyClientCert drops clients that present no certificate', async () => {
    const port = await serve(await loadWebConfig(tlsFile('  client_auth_type: RequireAnyClientCert\n')));
    const url = `https://127.0.0.1:${port}/`;
    await expect(fetchOnce(url, { ca: pki.caCert })).rejects.toThrow();
    expect((await fetchOnce(url, { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey })).status).toBe(200);
  });
});

/** The serial number of the certificate a TLS server presents now. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(pki.caCert) }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    });
    s.on('error', reject);
  });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never happened: ${what}`);
}

describe('certificate renewal', () => {
  it('serves a renewed certificate without a restart, and keeps the old one while the new files do not load', async () => {
    const errors: string[] = [];
    let reloads = 0;
    const path = webConfig('renew.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const port = await serve(await loadWebConfig(path, { intervalMs: 10, onError: (m) => errors.push(m), onReload: () => void reloads++ }));
    const first = await servedSerial(port);

    pki.renewServer();
    await until('the renewed certificate is served', async () => (await servedSerial(port)) !== first);
    const second = await servedSerial(port);

    const good = readFileSync(pki.serverCert);
    writeFileSync(pki.serverCert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    await until('the broken renewal is reported', async () => errors.length > 0);
    expect(errors[errors.length - 1]).toMatch(/^web config: renewed TLS files do not load, keeping the previous certificate: /);
    expect(await servedSerial(port)).toBe(second);
    expect((await fetchOnce(`https://127.0.0.1:${port}/`, { ca: pki.caCert })).status).toBe(200);
    writeFileSync(pki.serverCert, good);
    expect(reloads).toBeGreaterThanOrEqual(1);
  });
});

/** The real worker pool, its comparisons recorded (bcrypt runs on worker threads, out of a spy's reach on bcryptjs). */
const pools: BcryptPool[] = [];
afterAll(async () => void (await Promise.all(pools.map((p) => p.close()))));
function countedPool() {
  const pool = createBcryptPool({ workers: 1 });
  pools.push(pool);
  return { ...pool, compare: vi.fn(pool.compare) };
}

describe('basic auth', () => {
  const authFile = () => webConfig('auth.yml', `basic_auth_users:\n  alice: '${ALICE_HASH}'\n  bob: '${BOB_HASH}'\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`);

  it('answers 401 with a Basic challenge unless the password matches; passwords may hold colons', async () => {
    const port = await serve(await loadWebConfig(authFile()));
    const url = `http://127.0.0.1:${port}/metrics`;
    for (const auth of [undefined, 'alice:wrong', 'mallory:hunter2', 'bob:', 'alice']) {
      const r = await fetchOnce(url, { auth });
      expect(r.status, `credentials ${auth}`).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Basic realm="sockscope", charset="UTF-8"');
      expect(r.body).toBe('Unauthorized\n');
    }
    expect(await fetchOnce(url, { auth: 'alice:s3cret:with:colons' })).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await fetchOnce(url, { auth: 'bob:hunter2' })).toMatchObject({ status: 200 });
    expect((await fetchOnce(url, { auth: 'bob:hunter2' })).headers['x-frame-options']).toBe('deny');
  });

  it('runs bcrypt against a same-cost dummy hash for an unknown user, so timing does not reveal user names', async () => {
    const pool = countedPool();
    const check = createBasicAuth({ alice: bcrypt.hashSync('pw', 5) }, { pool });
    const req = (auth: string) => ({ headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } }) as never;
    expect(await check(req('mallory:pw'))).toBe(false);
    expect(await check(req('alice:nope'))).toBe(false);
    expect(pool.compare).toHaveBeenCalledTimes(2);
    const [unknownHash, knownHash] = pool.compare.mock.calls.map((c) => c[1] as string);
    expect(unknownHash).not.toBe(knownHash);
    expect(bcrypt.getRounds(unknownHash as string)).toBe(5);
  });

  it('remembers a verified pair for a while, never a failure, and forgets it after the TTL', async () => {
    let clock = 1_000_000;
    const pool = countedPool();
    const check = createBasicAuth({ alice: ALICE_HASH }, { now: () => clock, pool });
    const req = (auth: string) => ({ headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } }) as never;
    expect(await check(req('alice:s3cret:with:colons'))).toBe(true);
    expect(await check(req('alice:s3cret:with:colons'))).toBe(true);
    expect(pool.compare).toHaveBeenCalledTimes(1);
    expect(await check(req('alice:wrong'))).toBe(false);
    expect(await check(req('alice:wrong'))).toBe(false);
    expect(pool.compare).toHaveBeenCalledTimes(3);
    clock += VERIFIED_TTL_MS + 1;
    expect(await check(req('alice:s3cret:with:colons'))).toBe(true);
    expect(pool.compare).toHaveBeenCalledTimes(4);
  });

  it('concurrent requests with the same credentials share one bcrypt run', async () => {
    const pool = countedPool();
    const check = createBasicAuth({ alice: ALICE_HASH }, { pool });
    const req = { headers: { authorization: `Basic ${Buffer.from('alice:s3cret:with:colons').toString('base64')}` } } as never;
    expect(await Promise.all([check(req), check(req), check(req)])).toEqual([true, true, true]);
    expect(pool.compare).toHaveBeenCalledTimes(1);
  });
});

describe('with the Prometheus sink', () => {
  it('serves /metrics over HTTPS behind basic auth', async () => {
    const path = webConfig('full.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: '${BOB_HASH}'\n`);
    const config = { listen_address: '127.0.0.1:0' } as Record<string, unknown>;
    compileConfigSchema(prometheusSink.configSchema)(config);
    const family = { name: 'sockscope_web_config_probe', help: 'probe', type: 'gauge' as const, samples: [{ labels: {}, value: 7 }] };
    const ctx = { ...sinkTestContext(config as never, controlledPipeline(async () => renderedSnapshot([family]))), createServer: await loadWebConfig(path) };
    const sink = await prometheusSink.create(ctx);
    await sink.start();
    try {
      const { port } = (sink as unknown as { address(): { port: number } }).address();
      const url = `https://127.0.0.1:${port}/metrics`;
      expect((await fetchOnce(url, { ca: pki.caCert })).status).toBe(401);
      expect((await fetchOnce(`https://127.0.0.1:${port}/health`, { ca: pki.caCert })).status).toBe(401);
      const ok = await fetchOnce(url, { ca: pki.caCert, auth: 'prometheus:hunter2' });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('sockscope_web_config_probe 7');
    } finally {
      await sink.stop();
    }
  });
});
