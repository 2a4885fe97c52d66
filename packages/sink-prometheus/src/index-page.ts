/** A plugin as the index page lists it (`SinkContext.plugins`, filled by the app). */
export interface PluginListing {
  /** `collector`, `enricher` or `sink`. */
  kind: string;
  /** Plugin name, as in the config. */
  name: string;
  /** One line saying what it does. */
  description: string;
  /** Whether the config turns it on. */
  enabled: boolean;
}

/** What the index page shows. */
export interface IndexPageFacts {
  /** sockscope version. */
  version: string;
  /** Path of the metrics endpoint. */
  metricsPath: string;
  /** The collectors a collection runs (`pipeline.collectorNames()`). */
  collectors: readonly string[];
  /** Every plugin with its description, when the app gave them. */
  plugins?: readonly PluginListing[] | undefined;
  /** Whether POST /-/reload is offered. */
  lifecycle: boolean;
  /** Whether the live connections API and page are served (`connections`); absent: off. */
  connections?: boolean;
}

/**
 * The small HTML page served at `/`: the endpoints, the running collectors (each linked to a
 * scrape of only that collector, node_exporter's `collect[]`), and the plugins with their
 * descriptions when the app listed them.
 */
export function indexPage(facts: IndexPageFacts): string {
  const { version, metricsPath, collectors, plugins } = facts;
  const m = escapeHtml(metricsPath);
  const description = new Map((plugins ?? []).filter((p) => p.kind === 'collector').map((p) => [p.name, p.description]));
  const collectorItems = collectors
    .map((name) => {
      const d = description.get(name);
      return `<li><a href="${m}?collect[]=${encodeURIComponent(name)}">${escapeHtml(name)}</a>${d ? `: ${escapeHtml(d)}` : ''}</li>`;
    })
    .join('\n');
  const pluginRows = (plugins ?? [])
    .map((p) => `<tr><td>${escapeHtml(p.kind)}</td><td>${escapeHtml(p.name)}</td><td>${p.enabled ? 'on' : 'off'}</td><td>${escapeHtml(p.description)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>sockscope</title></head>
<body>
<h1>sockscope ${escapeHtml(version)}</h1>
<p>Network socket and interface metrics for Prometheus and OpenTelemetry.</p>
<ul>
<li><a href="${m}">${m}</a>: metrics in the Prometheus text format, or OpenMetrics when the scraper asks for it</li>
<li><a href="/health">/health</a>: collector status as JSON</li>
<li><a href="/-/healthy">/-/healthy</a>: liveness (the process answers)</li>
<li><a href="/-/ready">/-/ready</a>: readiness (the first collection is done)</li>
${
  facts.connections
    ? '<li><a href="/connections">/connections</a>: live connections, who talks to whom right now: a table, aggregated view and topology graph</li>\n<li><a href="/api/v1/connections">/api/v1/connections</a>: the live connections as JSON (<code>?view=detailed|aggregated|topology</code> and filters)</li>\n<li><a href="/api/v1/topology">/api/v1/topology</a>: who talks to whom as JSON, actors and client → server links (<code>?group_by=process_name|pid|container</code>)</li>\n'
    : '<li>/connections, /api/v1/connections and /api/v1/topology: live connections, off (start with <code>--web.enable-connections</code>)</li>\n'
}${facts.lifecycle ? '<li>POST /-/reload: reload the config file</li>\n' : ''}</ul>
<h2>Collectors</h2>
${collectors.length ? `<p>Each link scrapes only that collector (<code>collect[]</code>).</p>\n<ul>\n${collectorItems}\n</ul>` : '<p>No collector is running.</p>'}
${plugins?.length ? `<h2>Plugins</h2>\n<table>\n<tr><th>kind</th><th>name</th><th>enabled</th><th>description</th></tr>\n${pluginRows}\n</table>\n` : ''}</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
