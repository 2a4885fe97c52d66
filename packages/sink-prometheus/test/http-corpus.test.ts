import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusSinkInstance } from '../src/sink.js';
import { corePipeline, sinkContext, startSink, stopAll } from './harness.js';

/**
 * The malformed-HTTP corpus (test/http-corpus/): each `NAME.http` is the raw bytes a client
 * sends on a connection of its own, `expected.json` the status lines the sink answers, in order,
 * and why. Bad request lines, bad methods, missing Host, NUL bytes, huge headers, an overlong
 * URI, bad encodings, request smuggling framings, absolute URIs, pipelined requests.
 */
const DIR = fileURLToPath(new URL('./http-corpus/', import.meta.url));
const expected = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as Record<string, { status: string[]; why: string }>;

/** Sends the bytes and reads until the server closes the connection (or 5 s pass). */
function exchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(bytes));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(out));
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

/** The status lines of the answers on one connection, in order (bodies hold no line starting HTTP/). */
const statusLines = (answer: string) => [...answer.matchAll(/(?:^|\n)(HTTP\/1\.[01] \d{3}[^\r\n]*)\r\n/g)].map((m) => m[1]);

describe('malformed-HTTP corpus (issue 15): every request file gets its expected status lines over a raw socket', () => {
  let sink: PrometheusSinkInstance;
  let port = 0;
  beforeAll(async () => {
    const { pipeline } = corePipeline({ demo: {} });
    ({ sink, port } = await startSink(sinkContext({ listen_address: '127.0.0.1:0', read_header_timeout: '2s' }, pipeline)));
  });
  afterAll(stopAll);

  it('has at least 20 cases, and a file for every expectation and an expectation for every file', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.http')).sort();
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(Object.entries(expected))('%s', async (file, { status, why }) => {
    const answer = await exchange(port, readFileSync(`${DIR}${file}`));
    expect(statusLines(answer), why).toEqual(status);
    // nothing the parser refused is passed on as a request, and the sink still serves
    expect(sink.address()).toBeDefined();
  });
});
