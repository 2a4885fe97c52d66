import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadWebConfig, PLAIN_HTTP_BODY } from '../src/web-config/index.js';
import { startCli } from './run-cli.js';
import { makeTestPki, type TestPki } from './tls-fixtures.js';

// Issue 15: "Plain HTTP to the TLS port" closed the connection without a word (the TLS layer
// failed on the request line); Go's server, and so every exporter-toolkit exporter, answers 400
// "Client sent an HTTP request to an HTTPS server." The first byte of each connection tells them
// apart: a TLS handshake record starts with 0x16, an HTTP request with a letter.

let pki: TestPki;
beforeAll(() => void (pki = makeTestPki()));
afterAll(() => pki.remove());

const servers: Server[] = [];
afterEach(async () => void (await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))));

function tlsWebConfig(): string {
  const path = join(pki.dir, 'tls.yml');
  writeFileSync(path, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
  return path;
}

async function tlsServer(): Promise<number> {
  const server = (await loadWebConfig(tlsWebConfig()))((_req, res) => res.end('ok\n'));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Writes `data` on a raw TCP connection (optionally after a pause) and reads until the server closes. */
function raw(port: number, data: string | Buffer, delayMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('latin1');
    s.on('connect', () => void setTimeout(() => s.write(data), delayMs));
    s.on('data', (d: string) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error(`no close within 5 s; got ${JSON.stringify(got)}`)));
  });
}

/** An HTTPS GET over one TLS connection, optionally connecting first and starting TLS after a pause. */
function httpsGet(port: number, delayMs = 0, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const tcp = netConnect(port, '127.0.0.1', () => {
      setTimeout(() => {
        const s = tlsConnect({ socket: tcp, servername: 'localhost', ca: readFileSync(pki.caCert) }, () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        let got = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (got += d));
        s.on('end', () => resolve(got));
        s.on('error', reject);
      }, delayMs);
    });
    tcp.on('error', reject);
  });
}

describe('plain HTTP to the TLS port is answered 400, as Go does (it was closed silently)', () => {
  it('answers a plain request with 400 "Client sent an HTTP request to an HTTPS server." and keeps serving TLS', async () => {
    const port = await tlsServer();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(PLAIN_HTTP_BODY);
    expect(PLAIN_HTTP_BODY).toBe('Client sent an HTTP request to an HTTPS server.\n');

    const answer = await raw(port, 'GET /metrics HTTP/1.0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('\r\nConnection: close\r\n');
    expect(answer.endsWith(`\r\n\r\n${PLAIN_HTTP_BODY}`)).toBe(true);
    // a request trickling in byte by byte is answered too
    expect(await raw(port, 'P', 100)).toMatch(/^HTTP\/1\.1 400 /);

    expect(await httpsGet(port)).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok\n$/);
  });

  it('hands everything else to TLS: a client that waits before its handshake, and garbage, which TLS refuses as before', async () => {
    const port = await tlsServer();
    expect(await httpsGet(port, 300)).toMatch(/^HTTP\/1\.1 200 OK/);
    // not a letter, not TLS: the TLS layer fails it and closes, without an HTTP answer
    expect(await raw(port, Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]))).not.toContain('HTTP/1.1');
    expect(await httpsGet(port)).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it('from the real CLI: plain HTTP gets the 400, HTTPS the probes', async () => {
    const cli = await startCli(['--web.config.file', tlsWebConfig()]);
    try {
      const res = await fetch(`http://127.0.0.1:${cli.port}/health`);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe(PLAIN_HTTP_BODY);
      expect(await raw(cli.port, 'GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(await httpsGet(cli.port, 0, '/-/healthy')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*sockscope is healthy/);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
