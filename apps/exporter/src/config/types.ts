/** A plugin's entry in `collectors`, `enrichers` or `sinks`. */
export type PluginEntry = { enabled?: boolean } & Record<string, unknown>;

/** The native config after validation (defaults applied). */
export interface AgentConfig {
  /** Third-party plugin packages to load. */
  plugins: string[];
  /** Collection cycle settings. */
  collection: { timeout: string | number; min_interval: string | number; streaming?: 'auto' | 'off' };
  /** Collector configs by name. */
  collectors: Record<string, PluginEntry>;
  /** Enricher configs by name. */
  enrichers: Record<string, PluginEntry>;
  /** Sink configs by name. */
  sinks: Record<string, PluginEntry>;
  /** Publish the host families (node_*); unset: true, false under the prometheus_ss_exporter profile. */
  host_families?: boolean;
  /** Logging defaults (flags override). */
  log?: { level?: string; format?: string };
  /** Flow metrics config (core's flows schema). */
  flows?: Record<string, unknown>;
}
