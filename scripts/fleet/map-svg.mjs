#!/usr/bin/env node
// Draws the fleet service map (issue 21) as an SVG from the edge series Prometheus recorded with
// examples/prometheus/rules/fleet.yml: what Grafana's node graph panel shows, for a README that
// cannot embed Grafana.
//
//   node scripts/fleet/map-svg.mjs EDGES.json > map.svg
//
// EDGES.json is what apps/exporter/test/e2e/fleet.test.ts writes when SOCKSCOPE_FLEET_EDGES_OUT
// names a file: { connections: [<instant query result of sockscope:service_edge_connections>],
// rtt: [<… of sockscope:service_edge_rtt_seconds:max>] }, each item { metric, value: [t, "v"] }.
// Nodes are workloads on hosts (instance / workload) and external addresses; columns follow
// the calls (a node's column is the longest chain of calls reaching it).
import { readFileSync } from 'node:fs';

const BOX_W = 230;
const BOX_H = 54;
const COL_GAP = 200;
const ROW_GAP = 36;
const MARGIN = 30;
const TOP = 70;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Nodes and edges of the map from the recorded series. */
export function mapOf(input) {
  const nodes = new Map();
  const node = (id, title, subtitle, external) => {
    if (!nodes.has(id)) nodes.set(id, { id, title, subtitle, external, rank: 0 });
    return id;
  };
  const key = (m) => JSON.stringify([m.client_instance, m.client_workload, m.server_instance ?? '', m.server_workload ?? '', m.address ?? '', m.server_port]);
  const rtt = new Map((input.rtt ?? []).map((s) => [key(s.metric), Number(s.value[1])]));
  const edges = [];
  for (const s of input.connections ?? []) {
    const m = s.metric;
    const source = node(`${m.client_instance} / ${m.client_workload}`, m.client_workload, `on ${m.client_instance}`, false);
    const target = m.server_instance
      ? node(`${m.server_instance} / ${m.server_workload ?? ''}`, m.server_workload || m.server_instance, `on ${m.server_instance}`, false)
      : node(m.address, m.address, `no agent · ${m.remote_space ?? ''}`, true);
    edges.push({ source, target, port: m.server_port, connections: Number(s.value[1]), rtt: rtt.get(key(m)) });
  }
  // longest chain of calls reaching each node (cycles cut after |nodes| rounds)
  for (let round = 0; round < nodes.size; round++) {
    let moved = false;
    for (const e of edges) {
      const s = nodes.get(e.source);
      const t = nodes.get(e.target);
      if (t.rank < s.rank + 1 && e.source !== e.target) {
        t.rank = s.rank + 1;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return { nodes: [...nodes.values()], edges };
}

const fmtRtt = (s) => (s === undefined ? '' : s < 0.001 ? `${(s * 1e6).toFixed(0)} µs` : `${(s * 1000).toFixed(1)} ms`);

/** The SVG text of a map. */
export function renderSvg({ nodes, edges }, title = 'sockscope fleet map') {
  const columns = [];
  for (const n of [...nodes].sort((a, b) => a.rank - b.rank || Number(a.external) - Number(b.external) || a.id.localeCompare(b.id))) {
    (columns[n.rank] ??= []).push(n);
  }
  const rows = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const width = MARGIN * 2 + columns.length * BOX_W + (columns.length - 1) * COL_GAP;
  const height = TOP + rows * BOX_H + (rows - 1) * ROW_GAP + MARGIN + 30;
  const pos = new Map();
  columns.forEach((col, ci) => col?.forEach((n, ri) => {
    const colHeight = col.length * BOX_H + (col.length - 1) * ROW_GAP;
    const y0 = TOP + ((rows * BOX_H + (rows - 1) * ROW_GAP) - colHeight) / 2;
    pos.set(n.id, { x: MARGIN + ci * (BOX_W + COL_GAP), y: y0 + ri * (BOX_H + ROW_GAP) });
  }));
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>');
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN}" y="34" font-size="18" font-weight="bold" fill="#222">${esc(title)}</text>`);
  out.push(`<text x="${MARGIN}" y="54" font-size="12" fill="#666">edges: server port · open connections · worst RTT (sockscope:service_edge_*)</text>`);
  for (const e of edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    const x1 = a.x + BOX_W;
    const y1 = a.y + BOX_H / 2;
    const x2 = b.x;
    const y2 = b.y + BOX_H / 2;
    const mx = (x1 + x2) / 2;
    out.push(`<path d="M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}" fill="none" stroke="#555" stroke-width="${1.5 + Math.min(4, e.connections / 2)}" marker-end="url(#arrow)"/>`);
    const label = [`:${e.port}`, `${e.connections} conn`, fmtRtt(e.rtt)].filter(Boolean).join(' · ');
    // above the edge's last, horizontal stretch, ending at the arrow
    out.push(`<text x="${x2 - 12}" y="${y2 - 9}" font-size="12" text-anchor="end" fill="#333" stroke="#fff" stroke-width="4" paint-order="stroke">${esc(label)}</text>`);
  }
  for (const n of nodes) {
    const { x, y } = pos.get(n.id);
    const fill = n.external ? '#fdf2e9' : '#eaf2fb';
    const stroke = n.external ? '#d68910' : '#2e86c1';
    out.push(`<rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="10" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${n.external ? ' stroke-dasharray="5 3"' : ''}/>`);
    out.push(`<text x="${x + BOX_W / 2}" y="${y + 23}" font-size="13" font-weight="bold" text-anchor="middle" fill="#222">${esc(n.title)}</text>`);
    out.push(`<text x="${x + BOX_W / 2}" y="${y + 41}" font-size="11" text-anchor="middle" fill="#555">${esc(n.subtitle)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node scripts/fleet/map-svg.mjs EDGES.json > map.svg\n');
    process.exit(2);
  }
  process.stdout.write(renderSvg(mapOf(JSON.parse(readFileSync(file, 'utf8')))));
}
