import { durationSchema, positiveDurationSchema, type PluginKind, type PluginRegistry, type JSONSchemaType } from '@sockscope/core';

/** Plugin sections of the config: `collectors`, `enrichers`, `sinks`. */
export const SECTIONS: Record<PluginKind, 'collectors' | 'enrichers' | 'sinks'> = {
  collector: 'collectors',
  enricher: 'enrichers',
  sink: 'sinks',
};

/** Extra top-level schema pieces owned by other packages (e.g. `flows`). */
export interface SchemaParts {
  /** Top-level key → JSON Schema. */
  [key: string]: JSONSchemaType;
}

/**
 * The whole config's JSON Schema: core sections plus every registered plugin's own schema
 * under `collectors.<name>`, `enrichers.<name>`, `sinks.<name>`, each with an `enabled` flag.
 */
export function composeConfigSchema(registry: PluginRegistry, parts: SchemaParts = {}): JSONSchemaType {
  const section = (kind: PluginKind) => ({
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: Object.fromEntries(registry.list(kind).map((d) => [d.name, withEnabled(d.configSchema)])),
  });
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      plugins: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'npm packages of third-party plugins' },
      collection: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          timeout: { ...positiveDurationSchema, default: '5s', description: 'per-collector timeout (more than zero, at most 596h)' },
          min_interval: { ...durationSchema, default: '1s', description: 'a snapshot younger than this is served from cache (0s: every scrape collects; at most 596h)' },
          streaming: {
            enum: ['auto', 'off'],
            default: 'auto',
            description: 'auto: fold socket records as they are read, keeping none; off: keep a collection\'s records until the collectors are done, then replay them listeners first',
          },
        },
      },
      collectors: section('collector'),
      enrichers: section('enricher'),
      sinks: section('sink'),
      host_families: {
        type: 'boolean',
        description: 'publish the host families (node_*: interfaces, netstat, sockstat, conntrack, softnet); default true, false under the prometheus_ss_exporter profile (flows.compat)',
      },
      log: {
        type: 'object',
        additionalProperties: false,
        properties: {
          level: { enum: ['debug', 'info', 'warn', 'error'] },
          format: { enum: ['logfmt', 'json'] },
        },
      },
      ...parts,
    },
  };
}

function withEnabled(schema: JSONSchemaType): JSONSchemaType {
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  return {
    ...schema,
    type: 'object',
    properties: { enabled: { type: 'boolean', description: 'turn the plugin on or off' }, ...props },
  };
}
