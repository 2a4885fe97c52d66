import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './receiver.js';

// A request written in the OTLP/JSON mapping by hand, independent of any OTel SDK encoder.
const request = {
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'test' } }] },
      scopeMetrics: [
        {
          scope: { name: 'hand' },
          metrics: [
            {
              name: 'system.network.io',
              unit: 'By',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  {
                    attributes: [
                      { key: 'network.io.direction', value: { stringValue: 'receive' } },
                      { key: 'network.peer.port', value: { intValue: '443' } },
                    ],
                    startTimeUnixNano: '1700000000000000000',
                    timeUnixNano: '1700000001000000000',
                    asInt: '9007199254740993',
                  },
                ],
              },
            },
            { name: 'rtt', unit: 's', gauge: { dataPoints: [{ timeUnixNano: '1', asDouble: 0.5 }] } },
          ],
        },
      ],
    },
  ],
};

/** The same request encoded to protobuf by the generated official schema (protobufjs). */
function protobufBytes(): Uint8Array {
  const req = createRequire(import.meta.url);
  const root = createRequire(req.resolve('@opentelemetry/otlp-transformer/package.json'))('./build/src/generated/root.js');
  const T = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
  return T.encode(T.fromObject(request)).finish();
}

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.stop());

const post = (body: string | Uint8Array, headers: Record<string, string>, path = '/v1/metrics') => fetch(`${receiver.url}${path}`, { method: 'POST', body, headers });

describe('OTLP receiver', () => {
  it('decodes a protobuf export into points, with int64 values and ports intact', async () => {
    const res = await post(Buffer.from(protobufBytes()), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    const got = receiver.exports.at(-1);
    expect(got?.protocol).toBe('http/protobuf');
    expect(got?.resource).toEqual({ 'service.name': 'test' });
    expect(got?.points[0]).toMatchObject({
      metric: 'system.network.io',
      unit: 'By',
      type: 'sum',
      temporality: 2,
      monotonic: true,
      attributes: { 'network.io.direction': 'receive', 'network.peer.port': 443 },
      valueKind: 'int',
      startTimeUnixNano: '1700000000000000000',
      timeUnixNano: '1700000001000000000',
    });
    expect((got?.request as any).resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt).toBe('9007199254740993');
    expect(got?.points[1]).toMatchObject({ metric: 'rtt', type: 'gauge', valueKind: 'double', value: 0.5 });
  });

  it('decodes JSON and gzip bodies to the same request as protobuf', async () => {
    await post(Buffer.from(protobufBytes()), { 'content-type': 'application/x-protobuf' });
    const fromProto = receiver.exports.at(-1)?.request;
    expect((await post(JSON.stringify(request), { 'content-type': 'application/json' })).status).toBe(200);
    expect(receiver.exports.at(-1)?.request).toEqual(fromProto);
    expect((await post(gzipSync(JSON.stringify(request)), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(200);
    expect(receiver.exports.at(-1)?.request).toEqual(fromProto);
  });

  it('refuses JSON with a field the schema does not know, a wrong path and a wrong content type', async () => {
    const bad = JSON.parse(JSON.stringify(request));
    bad.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.monotonic = true;
    const res = await post(JSON.stringify(bad), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('resourceMetrics[0].scopeMetrics[0].metrics[0].sum.monotonic is not a field of the OTLP schema');
    expect((await post('{}', { 'content-type': 'application/json' }, '/v1/traces')).status).toBe(404);
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('answers a forced status with the headers given (Retry-After beside a 429), and notes when each request came', async () => {
    const sent = Date.now();
    receiver.respondWith(429, { 'retry-after': '3' });
    const res = await post(JSON.stringify(request), { 'content-type': 'application/json' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(receiver.refused.at(-1)).toMatchObject({ status: 429, reason: 'forced status 429' });
    expect(receiver.refused.at(-1)?.at).toBeGreaterThanOrEqual(sent);
    receiver.respondWith(undefined);
    const ok = await post(JSON.stringify(request), { 'content-type': 'application/json' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('retry-after')).toBeNull();
    expect(receiver.exports.at(-1)?.at).toBeGreaterThanOrEqual(sent);
  });

  it('goes away and comes back on the same port', async () => {
    const url = receiver.url;
    await receiver.stop();
    await expect(post('{}', { 'content-type': 'application/json' })).rejects.toThrow();
    await receiver.restart();
    expect(receiver.url).toBe(url);
    expect((await post('{}', { 'content-type': 'application/json' })).status).toBe(200);
  });
});
