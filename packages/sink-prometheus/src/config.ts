import { durationSchema, type ConfigOf } from '@sockscope/core';

/**
 * JSON Schema of the Prometheus sink's config (`sinks.prometheus`), the single source of its
 * keys and defaults. The app maps node_exporter's flags onto these keys: `--web.listen-address`
 * → `listen_address`, `--web.telemetry-path` → `metrics_path`, `--web.disable-exporter-metrics`
 * → `process_metrics: false`, `--web.max-requests` → `max_requests`, `--web.enable-lifecycle`
 * → `enable_lifecycle: true`, `--web.max-connections` → `max_connections`, `--web.shutdown-timeout`
 * → `shutdown_timeout`, `--web.enable-connections` → `connections: true`.
 */
export const prometheusSinkSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen_address: { type: 'string', default: ':8020', description: 'host:port or :port to listen on' },
    metrics_path: { type: 'string', default: '/metrics', pattern: '^/', description: 'path of the metrics endpoint' },
    process_metrics: {
      type: 'boolean',
      default: true,
      description: "have the agent publish its Node runtime's process_* and nodejs_* metrics (prom-client's), on /metrics and through every other sink; false leaves them out everywhere (sockscope_build_info is always served, as node_exporter keeps its build info under --web.disable-exporter-metrics)",
    },
    max_requests: {
      type: 'integer',
      minimum: 0,
      default: 40,
      description: 'how many scrapes of the metrics endpoint are served at once; one more is answered 503 (0: no limit)',
    },
    enable_lifecycle: {
      type: 'boolean',
      default: false,
      description: 'offer POST (or PUT) /-/reload, which reloads the config file; without it /-/reload answers 403',
    },
    max_connections: {
      type: 'integer',
      minimum: 0,
      default: 512,
      description:
        'how many TCP connections are held open at once; at the limit the connection idle the longest is closed for a new one, and a few beyond it serve only /health, /-/healthy and /-/ready (0: no limit)',
    },
    read_header_timeout: {
      ...durationSchema,
      default: '10s',
      description: 'how long a connection may take to send the headers of a request, from its first byte or from accept (0: no limit)',
    },
    idle_timeout: {
      ...durationSchema,
      default: '60s',
      description: 'how long a keep-alive connection may wait for its next request (0: no limit)',
    },
    connections: {
      type: 'boolean',
      default: false,
      description:
        'serve the live connections: GET /api/v1/connections (JSON) and the page /connections; off by default, as per-socket data names peers, commands and users; when on they sit behind the same TLS and basic auth as /metrics (--web.config.file)',
    },
    connections_max_bytes: {
      type: 'integer',
      minimum: 1024,
      default: 33554432,
      description: 'most bytes of JSON one /api/v1/connections answer holds (before gzip); rows beyond it are left out and the answer says truncated: true',
    },
    connections_topology_labels: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description:
        "the row fields the topology may attach to its actors as labels when a query asks (labels=image,unit): glob patterns of field names among cmdline, user, uid, image, unit, pod, namespace, container, netns, such as ['*'] or ['image', 'unit']; none by default, as netdata's free-form labels, and a query asking one not allowed is refused (400)",
    },
    shutdown_timeout: {
      ...durationSchema,
      default: '5s',
      description: 'on shutdown, how long in-flight requests may take to finish before their connections are cut',
    },
  },
} as const;

/** Config of the Prometheus sink, defaults applied (snake_case keys as they appear in YAML). */
export type PrometheusSinkConfig = ConfigOf<typeof prometheusSinkSchema>;
