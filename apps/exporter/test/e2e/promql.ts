const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

/**
 * The metric names a PromQL expression reads (selectors, not functions or label names). Good
 * enough for the expressions we ship: strings, label matchers, ranges and grouping lists are
 * cut out first, then every remaining identifier not followed by `(` is a metric name.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  const token = /(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g;
  for (const m of stripped.matchAll(token)) {
    const [, number, ident, call] = m;
    if (number !== undefined || ident === undefined || call !== undefined) continue;
    if (KEYWORDS.has(ident.toLowerCase())) continue;
    names.add(ident);
  }
  return [...names];
}

/** Grafana's variables in a panel query, replaced by what a dashboard showing one instance sends. */
export function expandGrafanaVariables(expr: string, vars: { instance: string }): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '15s')
    .replace(/\$__interval|\$\{__interval\}/g, '5s')
    .replace(/\$instance|\$\{instance\}/g, vars.instance.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&'))
    .replace(/\$device|\$\{device\}/g, '.+');
}

/** A panel query from the shipped dashboard. */
export interface DashboardQuery {
  /** "<panel title> / <refId>". */
  id: string;
  /** The expression with Grafana's variables still in it. */
  expr: string;
}

/** Every Prometheus query of a Grafana dashboard JSON (panels, nested row panels) and its variable queries. */
export function dashboardQueries(dashboard: unknown): { panels: DashboardQuery[]; variables: DashboardQuery[] } {
  const d = dashboard as {
    panels?: { title: string; targets?: { refId: string; expr?: string }[]; panels?: unknown[] }[];
    templating?: { list?: { name: string; type: string; definition?: string }[] };
  };
  const panels: DashboardQuery[] = [];
  const walk = (list: typeof d.panels = []) => {
    for (const p of list) {
      for (const t of p.targets ?? []) if (t.expr) panels.push({ id: `${p.title} / ${t.refId}`, expr: t.expr });
      walk((p.panels ?? []) as typeof d.panels);
    }
  };
  walk(d.panels);
  const variables = (d.templating?.list ?? [])
    .filter((v) => v.type === 'query' && v.definition)
    .map((v) => ({ id: `$${v.name}`, expr: v.definition as string }));
  return { panels, variables };
}

/** Splits `label_values(selector, label)` into its parts. */
export function parseLabelValues(def: string): { selector: string; label: string } | undefined {
  const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(def.trim());
  return m ? { selector: m[1] as string, label: m[2] as string } : undefined;
}
