/**
 * prometheus_ss_exporter's YAML config format, accepted as is: the keys its sample config and
 * its config loader know (`logic.metrics.{histograms,gauges,counters}`,
 * `logic.compression.labelFolding`, `logic.selection.{process,peering,portRanges}`) plus the
 * spellings its README examples use (`histograms.latency`, `bucket_bounds`, `portranges`,
 * `peering.networks.exclude`). Anything else is an unknown key, as in our own config.
 */

/** One metric switch: `{ active: true }`. */
export interface SsSwitch {
  /** On or off. */
  active?: boolean;
}

/** The RTT histogram section (`rtt`, or `latency` in the README). */
export interface SsHistogram extends SsSwitch {
  /** Bucket bounds in milliseconds. */
  bucketBounds?: number[];
  /** README spelling of bucketBounds. */
  bucket_bounds?: number[];
}

/** An inclusive port range. */
export interface SsPortRange {
  /** Lowest port. */
  lower: number;
  /** Highest port. */
  upper: number;
}

/** A prometheus_ss_exporter config file. */
export interface SsExporterConfig {
  /** Everything lives under `logic`. */
  logic: {
    metrics?: {
      histograms?: (SsSwitch & { rtt?: SsHistogram | null; latency?: SsHistogram | null }) | null;
      gauges?: (SsSwitch & { rtt?: SsSwitch | null; cwnd?: SsSwitch | null; deliveryRate?: SsSwitch | null }) | null;
      counters?: (SsSwitch & { dataSegsIn?: SsSwitch | null; dataSegsOut?: SsSwitch | null }) | null;
    } | null;
    compression?: { labelFolding?: 'raw_endpoint' | 'pid_condensed' } | null;
    selection?: {
      process?: { pids?: number[]; cmds?: string[] } | null;
      peering?: {
        addresses?: string[];
        networks?: string[] | { include?: string[]; exclude?: string[] };
        hosts?: string[];
      } | null;
      portRanges?: SsPortRange[];
      portranges?: SsPortRange[];
    } | null;
  };
}

const obj = (properties: Record<string, unknown>) => ({ type: ['object', 'null'], additionalProperties: false, properties });
const active = { type: 'boolean' };
const toggle = obj({ active });
const bounds = { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1 };
const histogram = obj({ active, bucketBounds: bounds, bucket_bounds: bounds });
const strings = { type: 'array', items: { type: 'string', minLength: 1 } };
const port = { type: 'integer', minimum: 0, maximum: 65535 };
const portRanges = {
  type: 'array',
  items: { type: 'object', additionalProperties: false, required: ['lower', 'upper'], properties: { lower: port, upper: port } },
};

/** JSON Schema (draft-07) of prometheus_ss_exporter's config format. */
export const ssExporterConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['logic'],
  properties: {
    logic: {
      type: 'object',
      additionalProperties: false,
      properties: {
        metrics: obj({
          histograms: obj({ active, rtt: histogram, latency: histogram }),
          gauges: obj({ active, rtt: toggle, cwnd: toggle, deliveryRate: toggle }),
          counters: obj({ active, dataSegsIn: toggle, dataSegsOut: toggle }),
        }),
        compression: obj({ labelFolding: { enum: ['raw_endpoint', 'pid_condensed'] } }),
        selection: obj({
          process: obj({ pids: { type: 'array', items: { type: 'integer', minimum: 0 } }, cmds: strings }),
          peering: obj({
            addresses: strings,
            networks: {
              anyOf: [strings, { type: 'object', additionalProperties: false, properties: { include: strings, exclude: strings } }],
            },
            hosts: strings,
          }),
          portRanges,
          portranges: portRanges,
        }),
      },
    },
  },
} as const;
