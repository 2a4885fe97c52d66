import { metricCatalog } from '../catalog/catalog.js';
import { durationSchema } from '../config/duration.js';
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
  /** `sockscope_tcp_rtt_distribution_seconds` as one histogram (`none`) or one per series of the folding strategy (`strategy`). */
  rtt_histogram_by: 'none' | 'strategy';
  /** Each flow is observed by the RTT histogram at most once per this interval (a duration; 0: every collection). */
  histogram_interval: string | number;
  /** Connection duration histogram upper bounds, seconds, ascending. */
  duration_buckets: number[];
  /** `sockscope_flow_sockets` gains a `state` label (and a sample per state), TIME_WAIT and SYN_RECV sockets included. */
  state_label: boolean;
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

/** Default connection duration bounds in seconds: 1 ms (loopback RPC) to 10 min (long polls, idle pools). */
export const defaultDurationBuckets: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
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
    rtt_histogram_by: {
      enum: ['none', 'strategy'],
      default: 'none',
      description: 'none: one RTT histogram | strategy: one per series of the folding strategy, with its labels (capped by max_series like the per-flow families)',
    },
    histogram_interval: {
      ...durationSchema,
      default: '10s',
      description: 'the RTT histogram observes each flow at most once per this interval (aligned windows), whatever the number of scrapers; 0 observes it in every collection',
    },
    duration_buckets: {
      type: 'array',
      items: { type: 'number', exclusiveMinimum: 0 },
      minItems: 1,
      maxItems: MAX_HISTOGRAM_BUCKETS,
      default: [...defaultDurationBuckets],
      description: 'sockscope_tcp_connection_duration_seconds upper bounds in seconds, ascending',
    },
    state_label: {
      type: 'boolean',
      default: false,
      description: 'sockscope_flow_sockets gets a state label and one sample per state, TIME_WAIT and SYN_RECV sockets counted too',
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
  for (const key of ['histogram_buckets', 'duration_buckets'] as const) {
    const b = cfg[key];
    if (!Array.isArray(b) || !b.every((x) => typeof x === 'number')) continue;
    for (let i = 1; i < b.length; i++) {
      if (!((b[i] as number) > (b[i - 1] as number))) {
        errors.push(`${pathPrefix}.${key}[${i}]: bounds must be strictly ascending (${b[i]} follows ${b[i - 1]})`);
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
  // state_label labels sockscope_flow_sockets: it turns that family on unless it is turned off
  const stateLabelErrors: string[] = [];
  if (copy && typeof copy === 'object' && copy.state_label === true) {
    const fams = copy.families;
    if (fams && typeof fams === 'object' && fams.flow_sockets === false) {
      stateLabelErrors.push(`${pathPrefix}.state_label: labels sockscope_flow_sockets, which ${pathPrefix}.families.flow_sockets turns off; remove one of them`);
    } else if (!fams || typeof fams !== 'object') copy.families = { flow_sockets: true };
    else fams.flow_sockets = true;
  }
  validator ??= compileConfigSchema(flowsConfigSchema);
  const errors = validator(copy).map((l) => (l.startsWith('(root)') ? pathPrefix + l.slice(6) : `${pathPrefix}.${l}`));
  errors.push(...validateFlowsConfig(copy, pathPrefix), ...stateLabelErrors);
  if (errors.length > 0) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `${pathPrefix}: ${errors.length} error${errors.length > 1 ? 's' : ''}`, errors);
  }
  return copy as FlowsConfig;
}
