import { createRequire } from 'node:module';

/** An OTLP ExportMetricsServiceRequest as plain data (protobufjs `toObject`: camelCase, int64 as strings, enums as numbers). */
export type DecodedRequest = Record<string, unknown>;

interface MessageType {
  decode(buf: Uint8Array): unknown;
  fromObject(obj: unknown): unknown;
  toObject(msg: unknown, opts: Record<string, unknown>): Record<string, unknown>;
}

/**
 * The official OTLP schema: @opentelemetry/otlp-transformer 0.57.2 ships
 * `build/src/generated/root.js`, code protobufjs generated from the opentelemetry-proto files.
 * (Newer transformers hand-write an encoder and ship no decoder.) We only use its
 * ExportMetricsServiceRequest type, independently of the encoder the sink uses.
 */
function requestType(): MessageType {
  const require = createRequire(import.meta.url);
  const fromPackage = createRequire(require.resolve('@opentelemetry/otlp-transformer/package.json'));
  const root = fromPackage('./build/src/generated/root.js') as {
    opentelemetry: { proto: { collector: { metrics: { v1: { ExportMetricsServiceRequest: MessageType } } } } };
  };
  return root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
}

let cached: MessageType | undefined;
const type = (): MessageType => (cached ??= requestType());

const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, oneofs: false };

/** Decodes an `application/x-protobuf` ExportMetricsServiceRequest body. */
export function decodeProtobufRequest(body: Uint8Array): DecodedRequest {
  const t = type();
  return t.toObject(t.decode(body), TO_OBJECT);
}

/**
 * Decodes an `application/json` ExportMetricsServiceRequest body (the OTLP/JSON mapping). Unlike
 * protobufjs' lenient `fromObject`, a key the schema does not know is an error naming its path,
 * so a misspelt field cannot pass unnoticed.
 */
export function decodeJsonRequest(text: string): DecodedRequest {
  const json: unknown = JSON.parse(text);
  const t = type();
  const msg = t.fromObject(json);
  const known = t.toObject(msg, { ...TO_OBJECT, defaults: true, arrays: true, objects: true });
  assertKnownKeys(json, known, '');
  return t.toObject(msg, TO_OBJECT);
}

function assertKnownKeys(input: unknown, known: unknown, path: string): void {
  if (Array.isArray(input)) {
    input.forEach((item, i) => assertKnownKeys(item, Array.isArray(known) ? known[i] : undefined, `${path}[${i}]`));
    return;
  }
  if (input === null || typeof input !== 'object') return;
  const knownObj = (known ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (!(key in knownObj)) throw new Error(`OTLP/JSON: ${path ? `${path}.` : ''}${key} is not a field of the OTLP schema`);
    assertKnownKeys(value, knownObj[key], path ? `${path}.${key}` : key);
  }
}
