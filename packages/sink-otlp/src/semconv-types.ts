import type { AttributeValue } from '@opentelemetry/api';

/**
 * Attributes the OpenTelemetry semantic conventions type as integers. Prometheus labels are all
 * strings, so without this `network.peer.port` would reach the collector as "443"; these are
 * attribute types fixed by the conventions, not metric names.
 */
const INT_ATTRIBUTES: ReadonlySet<string> = new Set([
  'network.local.port',
  'network.peer.port',
  'server.port',
  'client.port',
  'source.port',
  'destination.port',
  'process.pid',
  'process.parent_pid',
  'process.owner.uid',
  'cpu.logical_number',
]);

/** The attribute value as the conventions type it: an integer for the names above when the label is one. */
export function attributeValue(name: string, value: string): AttributeValue {
  if (INT_ATTRIBUTES.has(name) && /^-?\d{1,15}$/.test(value)) return Number(value);
  return value;
}
