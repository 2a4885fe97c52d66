import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptsGzip } from '../src/negotiate.js';
import { corePipeline, sinkContext, startSink, stopAll } from './harness.js';
import { call } from './http.js';

afterEach(stopAll);

async function started() {
  const { pipeline } = corePipeline({ demo: { value: 7 } });
  return startSink(sinkContext({ listen_address: '127.0.0.1:0' }, pipeline));
}

/** Sends raw bytes on a connection of its own and reads until the server closes it. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(bytes));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(out));
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

describe('Accept-Encoding (issue 15): q=0 honoured, codings matched case-insensitively, Vary sent', () => {
  it.each([
    ['gzip', true],
    ['GZIP', true],
    ['Gzip;Q=0.5', true],
    ['x-gzip', true],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['deflate, gzip;q=0', false],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['br, *;q=0.1', true],
    ['identity', false],
    ['', false],
    ['deflate, br', false],
  ])('Accept-Encoding %j: gzip %s', async (header, gzip) => {
    expect(acceptsGzip(header)).toBe(gzip);
  });

  it('a scrape answers gzip only when gzip is acceptable, and says Vary: Accept-Encoding either way', async () => {
    const { port } = await started();
    for (const [header, gzip] of [
      ['GZIP', true],
      ['gzip;q=0', false],
      ['identity', false],
    ] as const) {
      const res = await call(port, '/metrics', { headers: { 'accept-encoding': header } });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
      expect(res.headers.vary).toBe('Accept-Encoding');
      const body = gzip ? gunzipSync(res.body).toString('utf8') : res.body.toString('utf8');
      expect(body).toContain('sockscope_demo_value 7\n');
    }
    // no header at all: identity, still varying
    const plain = await call(port, '/metrics');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
  });
});

describe('an absolute-form request URI (issue 15) is served like the origin form', () => {
  it('GET http://host/metrics, GET HTTP://HOST:port/-/healthy?x and an origin-form //path are read as paths', async () => {
    const { port } = await started();
    const metrics = await raw(port, `GET http://127.0.0.1:${port}/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(metrics).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(metrics).toContain('sockscope_demo_value 7\n');
    const healthy = await raw(port, `GET HTTP://SOCKSCOPE.EXAMPLE:${port}/-/healthy?x=1 HTTP/1.1\r\nHost: sockscope.example\r\nConnection: close\r\n\r\n`);
    expect(healthy).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(healthy).toContain('sockscope is healthy.');
    // an origin-form target starting with // is a path, not a host: not the index page
    const doubled = await raw(port, 'GET //metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(doubled).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });

  it('a target that is neither a path nor an http(s) URL is a 400 saying so', async () => {
    const { port } = await started();
    for (const target of ['*', 'ftp://host/metrics']) {
      const res = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(res, target).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(res, target).toContain('bad request target');
    }
    // Node's parser refuses a bare word before the sink sees it
    expect(await raw(port, 'GET metrics HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});
