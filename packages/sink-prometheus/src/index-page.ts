/** The small HTML page served at `/`, linking the endpoints. */
export function indexPage(version: string, metricsPath: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>sockscope</title></head>
<body>
<h1>sockscope ${escapeHtml(version)}</h1>
<p>Network socket and interface metrics for Prometheus and OpenTelemetry.</p>
<ul>
<li><a href="${escapeHtml(metricsPath)}">${escapeHtml(metricsPath)}</a>: metrics in the Prometheus text format</li>
<li><a href="/health">/health</a>: collector status as JSON</li>
</ul>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
