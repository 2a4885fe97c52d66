#!/usr/bin/env node
// Writes examples/prometheus/grafana/sockscope-fleet.json, the fleet map dashboard (issue 21).
// The PromQL lives here once; after editing: node scripts/fleet/make-dashboard.mjs
import { writeFileSync } from 'node:fs';

const DS = { type: 'prometheus', uid: '${datasource}' };
const EDGES = 'sockscope:service_edge_connections';

const join = (expr, dst, sep, ...labels) => `label_join(${expr}, "${dst}", "${sep}", ${labels.map((l) => `"${l}"`).join(', ')})`;
const copy = (expr, dst, src, regex = '(.*)') => `label_replace(${expr}, "${dst}", "$1", "${src}", "${regex}")`;

// nodes: a client (instance / workload), a server (instance / workload; a host-only server is
// titled by its instance) and an external address (titled by itself, subtitled by its space)
const clientNodes = copy(copy(join(EDGES, 'id', ' / ', 'client_instance', 'client_workload'), 'title', 'client_workload'), 'subtitle', 'client_instance');
const serverNodes = copy(copy(copy(join(`${EDGES}{server_instance!=""}`, 'id', ' / ', 'server_instance', 'server_workload'), 'title', 'server_instance'), 'title', 'server_workload', '(.+)'), 'subtitle', 'server_instance');
const externalNodes = copy(copy(join(`${EDGES}{address!=""}`, 'id', '', 'address'), 'title', 'address'), 'subtitle', 'remote_space');
const NODES = `group by (id, title, subtitle) (\n  ${clientNodes}\n  or\n  ${serverNodes}\n  or\n  ${externalNodes}\n)`;

// edges: id, source and target as the node graph wants them; mainstat the open connections
const internal = join(join(join(`${EDGES}{server_instance!=""}`, 'source', ' / ', 'client_instance', 'client_workload'), 'target', ' / ', 'server_instance', 'server_workload'), 'id', ' -> ', 'source', 'target', 'server_port');
const external = join(join(join(`${EDGES}{address!=""}`, 'source', ' / ', 'client_instance', 'client_workload'), 'target', '', 'address'), 'id', ' -> ', 'source', 'target', 'server_port');
const EDGE_Q = `sum by (id, source, target, server_port) (\n  ${internal}\n  or\n  ${external}\n)`;

const target = (refId, expr) => ({ datasource: DS, refId, expr, range: false, instant: true, format: 'table' });
const orZero = (rec) => `${rec} or 0 * ${EDGES}`;

const panels = [
  {
    type: 'nodegraph', id: 1, title: 'Service map',
    description: 'Workloads on hosts (instance / workload) and external addresses, joined by rules/fleet.yml; an edge shows its open connections and the server port.',
    datasource: DS, gridPos: { h: 16, w: 24, x: 0, y: 0 },
    targets: [target('A', NODES), target('B', EDGE_Q)],
    transformations: [{ id: 'organize', options: { excludeByName: { Time: true, 'Value #A': true }, renameByName: { 'Value #B': 'mainstat', server_port: 'secondarystat' } } }],
    options: { nodes: {}, edges: { mainStatUnit: 'short' } },
  },
  {
    type: 'table', id: 2, title: 'Worst edges',
    description: 'The 20 edges with the highest RTT, with their failed connects and retransmits per second and open connections (0 where an edge has none).',
    datasource: DS, gridPos: { h: 10, w: 24, x: 0, y: 16 },
    targets: [
      target('A', 'topk(20, sockscope:service_edge_rtt_seconds:max)'),
      target('B', orZero('sockscope:service_edge_connect_failures:rate5m')),
      target('C', orZero('sockscope:service_edge_retransmits:rate5m')),
      target('D', EDGES),
    ],
    transformations: [
      { id: 'merge', options: {} },
      { id: 'filterByValue', options: { type: 'include', match: 'any', filters: [{ fieldName: 'Value #A', config: { id: 'greater', options: { value: 0 } } }] } },
      { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { 'Value #A': 'RTT (max)', 'Value #B': 'failed connects/s', 'Value #C': 'retransmits/s', 'Value #D': 'connections' } } },
      { id: 'sortBy', options: { sort: [{ field: 'RTT (max)', desc: true }] } },
    ],
    fieldConfig: { defaults: {}, overrides: [{ matcher: { id: 'byName', options: 'RTT (max)' }, properties: [{ id: 'unit', value: 's' }] }] },
    options: { showHeader: true },
  },
  {
    type: 'table', id: 3, title: 'Edges by failed connects',
    description: 'Edges whose connects fail (refused or timed out), the most first.',
    datasource: DS, gridPos: { h: 8, w: 12, x: 0, y: 26 },
    targets: [target('A', `topk(20, ${orZero('sockscope:service_edge_connect_failures:rate5m')})`)],
    transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'failed connects/s' } } }],
    options: { showHeader: true },
  },
  {
    type: 'timeseries', id: 4, title: 'Edge RTT',
    description: 'The worst RTT of each edge over time.',
    datasource: DS, gridPos: { h: 8, w: 12, x: 12, y: 26 },
    targets: [{ datasource: DS, refId: 'A', expr: 'sockscope:service_edge_rtt_seconds:max', range: true, instant: false, legendFormat: '{{client_instance}}/{{client_workload}} -> {{server_instance}}{{address}}/{{server_workload}}:{{server_port}}' }],
    fieldConfig: { defaults: { unit: 's' }, overrides: [] },
    options: { legend: { displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max'] } },
  },
];

const dashboard = {
  title: 'sockscope: fleet map', uid: 'sockscope-fleet',
  description: "Which workload on which host talks to which, joined by Prometheus from every agent's own series (examples/prometheus/rules/fleet.yml).",
  tags: ['sockscope', 'network', 'fleet'], editable: true, graphTooltip: 1, schemaVersion: 39, version: 1,
  refresh: '30s', time: { from: 'now-1h', to: 'now' }, timepicker: {}, timezone: '',
  annotations: { list: [] }, links: [],
  templating: { list: [{ type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '' }] },
  panels,
};
writeFileSync(new URL('../../examples/prometheus/grafana/sockscope-fleet.json', import.meta.url), JSON.stringify(dashboard, null, 2) + '\n');
