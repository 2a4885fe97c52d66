import { metricCatalog } from '../catalog/catalog.js';
import { compileConfigSchema, type ConfigValidator } from '../config/validate.js';
import { SockscopeError } from '../errors.js';
import type { FlowsConfig } from '../flows/schema.js';
import { defaultDurationBuckets, validateFlowsConfig } from '../flows/schema.js';
import type { SelectionCriteria } from '../selection/schema.js';
import { parseCidr } from '../selection/ip.js';
import { validateCriteria } from '../selection/validate.js';
import { ssExporterConfigSchema, type SsExporterConfig, type SsHistogram, type SsPortRange, type SsSwitch } from './ss-exporter-schema.js';

/** prometheus_ss_exporter's default RTT histogram bounds, milliseconds. */
export const ssExporterDefaultBucketsMs: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000,
];

/** A translated config: the native `flows:` section and what the reader should know. */
export interface SsTranslation {
  /** The native equivalent, compat profile on. */
  flows: FlowsConfig;
  /** Notes on how the file was read (README spellings, fixed behaviours). */
  warnings: string[];
}

/** True for a prometheus_ss_exporter config: an object with a top-level `logic` key. */
export function isSsExporterConfig(obj: unknown): obj is SsExporterConfig {
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj) && Object.hasOwn(obj, 'logic');
}

let validator: ConfigValidator | undefined;

/** Validates a prometheus_ss_exporter config; returns `path: message` lines (paths as in its file). */
export function validateSsExporterConfig(obj: unknown): string[] {
  validator ??= compileConfigSchema(ssExporterConfigSchema);
  const errors = validator(structuredClone(obj));
  if (errors.length > 0 || !isSsExporterConfig(obj)) return errors;
  const sel = obj.logic.selection;
  const peering = sel?.peering;
  errors.push(...validateCriteria({ addresses: peering?.addresses, hosts: peering?.hosts }, 'logic.selection.peering'));
  const nets = peering?.networks;
  const lists: Array<[string[] | undefined, string]> = Array.isArray(nets)
    ? [[nets, 'logic.selection.peering.networks']]
    : [[nets?.include, 'logic.selection.peering.networks.include'], [nets?.exclude, 'logic.selection.peering.networks.exclude']];
  for (const [list, path] of lists) {
    (list ?? []).forEach((n, i) => {
      const r = parseCidr(n);
      if (typeof r === 'string') errors.push(`${path}[${i}]: invalid CIDR network: ${r}`);
    });
  }
  for (const key of ['portRanges', 'portranges'] as const) {
    (sel?.[key] ?? []).forEach((r, i) => {
      if (r.lower > r.upper) errors.push(`logic.selection.${key}[${i}]: lower (${r.lower}) is above upper (${r.upper})`);
    });
  }
  const h = obj.logic.metrics?.histograms;
  for (const name of ['rtt', 'latency'] as const) {
    for (const k of ['bucketBounds', 'bucket_bounds'] as const) {
      const b = h?.[name]?.[k];
      if (b?.some((v, i) => i > 0 && !(v > (b[i - 1] as number)))) errors.push(`logic.metrics.histograms.${name}.${k}: bounds must be strictly ascending`);
    }
  }
  return errors;
}

/**
 * Translates a prometheus_ss_exporter config into the native `flows:` section with the compat
 * profile on, so output keeps its names, units and packed `flow` label. How it reads the file:
 * - a metrics section that is absent takes its defaults (gauges and counters on, histogram off);
 *   a present section is on unless `active: false`; inside it, when no metric is named all are
 *   on, otherwise only the named ones with `active: true`;
 * - the histogram needs an `rtt` (or README `latency`) section, as in its loader;
 * - selection groups combine with AND, values inside a group with OR (pids or cmds; addresses
 *   or networks or hosts; any port range), exclusions win;
 * - its bugs are not carried over: port ranges match either endpoint, CIDRs match numerically,
 *   IPv6 flows count, counters are emitted and histogram buckets are cumulative.
 * Throws ERR_CONFIG_INVALID when the file is not valid in its own format.
 */
export function translateSsExporterConfig(obj: unknown): SsTranslation {
  const errors = validateSsExporterConfig(obj);
  if (errors.length > 0 || !isSsExporterConfig(obj)) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `prometheus_ss_exporter config: ${errors.length} error${errors.length === 1 ? '' : 's'}`, errors);
  }
  const warnings: string[] = [];
  const m = obj.logic.metrics ?? undefined;
  const families: Record<string, boolean> = Object.fromEntries(metricCatalog.map((e) => [e.id, false]));
  const gauges = section(m?.gauges as Section, m?.gauges === undefined, { rtt: 'tcp_rtt', cwnd: 'tcp_cwnd', deliveryRate: 'tcp_delivery_rate' });
  const counters = section(m?.counters as Section, m?.counters === undefined, { dataSegsIn: 'tcp_data_segments_in', dataSegsOut: 'tcp_data_segments_out' });
  Object.assign(families, gauges, counters);
  families.series_dropped = true;

  const h = m?.histograms ?? undefined;
  let hist: SsHistogram | undefined;
  if (h) {
    if (h.latency && h.rtt) warnings.push('logic.metrics.histograms: both rtt and latency are given; rtt is used');
    else if (h.latency) warnings.push('logic.metrics.histograms.latency: read as the RTT histogram (the README spelling of rtt)');
    hist = h.rtt ?? h.latency ?? undefined;
    if (h.active !== false && !hist) warnings.push('logic.metrics.histograms: no rtt section, so the RTT histogram stays off (as in prometheus_ss_exporter)');
    families.tcp_rtt_histogram = h.active !== false && hist !== undefined && hist.active !== false;
  }
  const boundsMs = hist?.bucketBounds ?? hist?.bucket_bounds ?? ssExporterDefaultBucketsMs;

  const sel = obj.logic.selection ?? undefined;
  const include: SelectionCriteria = {};
  const exclude: SelectionCriteria = {};
  if (sel?.process?.pids?.length) include.pids = [...sel.process.pids];
  if (sel?.process?.cmds?.length) include.commands = [...sel.process.cmds];
  const peering = sel?.peering ?? undefined;
  if (peering?.addresses?.length) include.addresses = [...peering.addresses];
  if (peering?.hosts?.length) include.hosts = [...peering.hosts];
  const nets = peering?.networks;
  const incNets = Array.isArray(nets) ? nets : nets?.include;
  if (incNets?.length) include.networks = [...incNets];
  if (!Array.isArray(nets) && nets?.exclude?.length) exclude.networks = [...nets.exclude];
  const ranges: SsPortRange[] = [...(sel?.portRanges ?? []), ...(sel?.portranges ?? [])];
  if (sel?.portRanges && sel.portranges) warnings.push('logic.selection: portRanges and portranges are both given; their ranges are merged');
  if (ranges.length) {
    include.ports = ranges.map((r) => (r.lower === r.upper ? r.lower : `${r.lower}-${r.upper}`));
    warnings.push('logic.selection: port ranges match the local or the remote port (prometheus_ss_exporter looked at the destination port only)');
  }

  const flows: FlowsConfig = {
    families,
    folding: obj.logic.compression?.labelFolding ?? 'raw_endpoint',
    label_style: 'flow',
    max_series: 10000,
    top_k: 'rtt',
    max_idle_series: 10000,
    // bounds are stored in seconds; the compat profile writes them back in ms
    histogram_buckets: boundsMs.map((b) => Number((b / 1000).toPrecision(12))),
    // as prometheus_ss_exporter did: every flow observed in every collection, one histogram
    rtt_histogram_by: 'none',
    histogram_interval: 0,
    duration_buckets: [...defaultDurationBuckets],
    state_label: false,
    compat: 'prometheus_ss_exporter',
    selection: { include, exclude, host_ttl: '5m' },
  };
  const native = validateFlowsConfig(flows, 'flows');
  if (native.length > 0) throw new SockscopeError('ERR_CONFIG_INVALID', 'prometheus_ss_exporter config translates to an invalid flows section', native);
  return { flows, warnings };
}

/** On/off per metric of one metrics section; see translateSsExporterConfig for the rules. */
type Section = (SsSwitch & Record<string, unknown>) | null | undefined;

function section(
  s: Section,
  absent: boolean,
  ids: Record<string, string>,
): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  const named = Object.keys(ids).filter((k) => s?.[k] !== undefined && s?.[k] !== null);
  for (const [key, id] of Object.entries(ids)) {
    if (absent) out[id] = true;
    else if (!s || s.active === false) out[id] = false;
    else if (named.length === 0) out[id] = true;
    else out[id] = (s[key] as SsSwitch | undefined)?.active === true;
  }
  return out;
}
