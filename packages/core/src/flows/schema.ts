import { metricCatalog } from '../catalog/catalog.js';
import { compileConfigSchema, type ConfigValidator } from '../config/validate.js';
import { SockscopeError } from '../errors.js';
import { selectionSchema, type SelectionConfig } from '../selection/schema.js';
import { validateSelection } from '../selection/validate.js';

/** How sockets fold into series; see the `folding` description in {@link flowsConfigSchema}. */
export type FoldingStrategy = 'raw_endpoint' | 'pid_condensed' | 'peer' | 'service' | 'process' | 'container';

/** Separate labels, or prometheus_ss_exporter's packed `flow` label. */
export type LabelStyle = 'separate' | 'flow';

/** The native `flows:` config section, defaults filled. */
export interface FlowsConfig {
  /** Catalog id → on/off. */
  families: Record<string, boolean>;
  /** Folding strategy. */
  folding: FoldingStrategy;
  /** Label style of per-flow families. */
  label_style: LabelStyle;
  /** Most series per per-flow family, the `other` series included. */
  max_series: number;
  /** Which flows keep their own series when over max_series: the worst by this. */
  top_k: 'rtt' | 'retransmits';
  /** Most series remembered while they have no socket (their counters resume if it returns). */
  max_idle_series: number;
  /** RTT histogram upper bounds, seconds, ascending. */
  histogram_buckets: number[];
  /** Output profile. */
  compat: 'none' | 'prometheus_ss_exporter';
  /** Which sockets count. */
  selection: SelectionConfig;
}

/** What callers may pass for a `flows:` section: any part, the rest from defaults. */
export type FlowsConfigInput = Partial<Omit<FlowsConfig, 'selection' | 'families'>> & {
  /** Catalog id → on/off, for the ids to change. */
  families?: Record<string, boolean>;
  /** Selection, any part. */
  selection?: Partial<SelectionConfig>;
};

/** Default RTT histogram bounds in seconds: 100 µs (loopback, LAN) to 5 s (satellite, bufferbloat). */
export const defaultRttBuckets: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/**
 * The most `max_series` and `max_idle_series` may be: a million series per family is already more
 * than one scrape can carry (Prometheus's own sample limits are far lower), and a larger number
 * is a typo.
 */
export const MAX_SERIES_LIMIT = 1_000_000;

/** The most RTT histogram bounds: each is one more series per histogram. */
export const MAX_HISTOGRAM_BUCKETS = 100;

const familyDefaults = Object.fromEntries(metricCatalog.map((e) => [e.id, e.defaultOn]));

/** JSON Schema (draft-07) of the native `flows:` section; every default is filled by validation. */
export const flowsConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    families: {
      type: 'object',
      additionalProperties: false,
      description: 'which catalog metrics are on, by id',
      default: familyDefaults,
      properties: Object.fromEntries(
        metricCatalog.map((e) => [e.id, { type: 'boolean', default: e.defaultOn, description: `${e.prometheus}: ${e.help}` }]),
      ),
    },
    folding: {
      enum: ['raw_endpoint', 'pid_condensed', 'peer', 'service', 'process', 'container'],
      default: 'service',
      description:
        'raw_endpoint: src, src_port, dst, dst_port | pid_condensed: pid, process, dst, dst_port | ' +
        'peer: process, dst, dst_port, remote_space | service: inbound by local listening port, outbound by dst and dst_port, with the process and remote_space | ' +
        'process: process name | container: namespace, pod, container, unit, process (the most specific owner: Kubernetes pod, container, systemd unit, else process)',
    },
    label_style: {
      enum: ['separate', 'flow'],
      default: 'separate',
      description: 'separate labels, or one packed flow label like (SRC#ip|port)(DST#ip|port)',
    },
    max_series: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_SERIES_LIMIT,
      default: 10000,
      description: `most series per per-flow family, "other" included, and per info gauge (1 to ${MAX_SERIES_LIMIT})`,
    },
    top_k: { enum: ['rtt', 'retransmits'], default: 'rtt', description: 'over max_series, the worst flows by this keep their series' },
    max_idle_series: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_SERIES_LIMIT,
      default: 10000,
      description: 'most series remembered with no socket (for 10 minutes at most), so a returning flow keeps counting; the longest idle are forgotten first',
    },
    histogram_buckets: {
      type: 'array',
      items: { type: 'number', exclusiveMinimum: 0 },
      minItems: 1,
      maxItems: MAX_HISTOGRAM_BUCKETS,
      default: [...defaultRttBuckets],
      description: 'RTT histogram upper bounds in seconds, ascending',
    },
    compat: { enum: ['none', 'prometheus_ss_exporter'], default: 'none' },
    selection: selectionSchema,
  },
} as const;

let validator: ConfigValidator | undefined;

/**
 * Checks what JSON Schema cannot (CIDR, port ranges, regexes, bucket order); lines are `path: message`.
 * It may be given a section the schema refused: what has the wrong shape is left to the schema's
 * lines, and the rest is still checked, so both are reported in one run.
 */
export function validateFlowsConfig(cfg: Partial<FlowsConfig> | undefined, pathPrefix = 'flows'): string[] {
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) return [];
  const errors = validateSelection(wellShapedSelection(cfg.selection), `${pathPrefix}.selection`);
  const b = cfg.histogram_buckets;
  if (Array.isArray(b) && b.every((x) => typeof x === 'number')) {
    for (let i = 1; i < b.length; i++) {
      if (!((b[i] as number) > (b[i - 1] as number))) {
        errors.push(`${pathPrefix}.histogram_buckets[${i}]: bounds must be strictly ascending (${b[i]} follows ${b[i - 1]})`);
        break;
      }
    }
  }
  return errors;
}

/** The selection's sides with only their list-valued criteria (a mistyped one is the schema's to report). */
function wellShapedSelection(sel: unknown): Partial<SelectionConfig> | undefined {
  if (!sel || typeof sel !== 'object' || Array.isArray(sel)) return undefined;
  const side = (c: unknown) =>
    c && typeof c === 'object' && !Array.isArray(c) ? Object.fromEntries(Object.entries(c).filter(([, v]) => Array.isArray(v))) : undefined;
  const { include, exclude } = sel as Record<string, unknown>;
  return { include: side(include), exclude: side(exclude) } as Partial<SelectionConfig>;
}

/** Validates a `flows:` section (schema and semantic checks, reported together), fills defaults, returns a fresh copy. Throws ERR_CONFIG_INVALID. */
export function resolveFlowsConfig(input: unknown, pathPrefix = 'flows'): FlowsConfig {
  const copy = structuredClone(input ?? {}) as Partial<FlowsConfig>;
  validator ??= compileConfigSchema(flowsConfigSchema);
  const errors = validator(copy).map((l) => (l.startsWith('(root)') ? pathPrefix + l.slice(6) : `${pathPrefix}.${l}`));
  errors.push(...validateFlowsConfig(copy, pathPrefix));
  if (errors.length > 0) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `${pathPrefix}: ${errors.length} error${errors.length > 1 ? 's' : ''}`, errors);
  }
  return copy as FlowsConfig;
}
