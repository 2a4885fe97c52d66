/**
 * The live connections page (runs in the browser; bundled by tsup for `platform: 'browser'` into
 * dist/assets/connections.js). It reads `api/v1/connections` RELATIVE to the page's own URL, so it
 * works wherever the agent mounts it (and behind TLS and basic auth: same-origin fetch with
 * `credentials: 'same-origin'`). Strict-CSP friendly: no inline script or style, no eval; every
 * size that depends on data is set through the CSSOM; data is written with textContent only.
 */
import type cytoscapeNs from 'cytoscape';

type View = 'detailed' | 'aggregated' | 'topology';
const VIEWS: readonly View[] = ['detailed', 'aggregated', 'topology'];

/** A detailed or aggregated row of the answer (version 1; absent fields are omitted). */
type Row = Record<string, string | number | undefined>;

interface Actor {
  id: string;
  kind: 'host' | 'process' | 'container' | 'endpoint';
  label: string;
  pid?: number;
  process?: string;
  container?: string;
  address?: string;
  space?: string;
  sockets: number;
}

interface Link {
  source: string;
  target: string;
  protocol: string;
  state: string;
  sockets: number;
  retransmits: number;
  max_rtt_ms?: number;
}

interface Answer {
  version: number;
  view: View;
  timestamp: string;
  hostname: string;
  collection?: { duration_seconds?: number; complete?: boolean; collectors?: { name: string; success: boolean; error?: string }[] };
  counts: {
    sockets: number;
    matched: number;
    by_direction?: Record<string, number>;
    by_protocol?: Record<string, number>;
    by_process?: Record<string, number>;
  };
  truncated: boolean;
  limit: number;
  rows?: Row[];
  topology?: { group_by: string; actors: Actor[]; links: Link[] };
}

/** Sockets above which the page opens on the aggregated view unless a view was chosen. */
const AGGREGATE_ABOVE = 5000;
/** Row height in px; must match --row-h in connections.css. */
const ROW_H = 22;
/** Rows rendered above and below the visible window. */
const OVERSCAN = 8;
/** Query parameters the filter form maps to (the spec's names). */
const FILTER_KEYS = [
  'protocol', 'family', 'state', 'direction', 'netns', 'process', 'pid', 'container', 'pod', 'namespace',
  'port', 'local_port', 'remote_port', 'address', 'space', 'limit', 'cmdline', 'group_by',
] as const;
/** Keys whose form value may list several values (repeated parameters OR within a key). */
const SINGLE_VALUED = new Set(['limit', 'cmdline', 'group_by']);

// ---------------------------------------------------------------------------------------------
// columns

interface Column {
  key: string;
  title: string;
  width: number;
  num?: boolean;
  /** Sort key. */
  value(row: Row): string | number | undefined;
  /** Cell text (the sort key's text by default). */
  text?(row: Row): string;
  /** Cell tooltip. */
  tip?(row: Row): string | undefined;
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const endpoint = (ip: unknown, port: unknown): string => {
  if (ip === undefined && port === undefined) return '';
  const host = str(ip);
  return `${host.includes(':') ? `[${host}]` : host}:${str(port)}`;
};
const endpointKey = (ip: unknown, port: unknown): string => `${str(ip)} ${str(port).padStart(5, '0')}`;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const fmtNum = (v: unknown, digits = 0): string => {
  const n = num(v);
  if (n === undefined) return '';
  return digits > 0 && !Number.isInteger(n) ? n.toFixed(digits) : String(n);
};
const fmtAge = (v: unknown): string => {
  const s = num(v);
  if (s === undefined) return '';
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
};
const field = (key: string, title: string, width: number): Column => ({ key, title, width, value: (r) => r[key] });
const numeric = (key: string, title: string, width: number, digits = 0): Column => ({
  key, title, width, num: true, value: (r) => num(r[key]), text: (r) => fmtNum(r[key], digits),
});
const userColumn: Column = { key: 'user', title: 'user', width: 80, value: (r) => r.user ?? r.uid, text: (r) => str(r.user ?? r.uid) };

const DETAILED: readonly Column[] = [
  field('direction', 'direction', 116),
  field('protocol', 'proto', 56),
  field('state', 'state', 104),
  { ...field('process', 'process', 130), tip: (r) => (r.cmdline === undefined ? undefined : str(r.cmdline)) },
  numeric('pid', 'pid', 64),
  userColumn,
  { key: 'local', title: 'local', width: 210, value: (r) => endpointKey(r.local_ip, r.local_port), text: (r) => endpoint(r.local_ip, r.local_port) },
  { key: 'remote', title: 'remote', width: 210, value: (r) => endpointKey(r.remote_ip, r.remote_port), text: (r) => endpoint(r.remote_ip, r.remote_port) },
  field('remote_space', 'remote space', 96),
  {
    key: 'server_port', title: 'service', width: 110, num: true, value: (r) => num(r.server_port),
    text: (r) => `${str(r.server_port)}${r.port_name === undefined ? '' : ` ${str(r.port_name)}`}`,
  },
  field('container', 'container', 120),
  field('unit', 'unit', 120),
  field('netns', 'netns', 90),
  numeric('rtt_ms', 'rtt ms', 70, 2),
  numeric('total_retransmits', 'retrans', 64),
  numeric('recv_queue', 'recv-q', 64),
  numeric('send_queue', 'send-q', 64),
  { key: 'age_seconds', title: 'age', width: 56, num: true, value: (r) => num(r.age_seconds), text: (r) => fmtAge(r.age_seconds) },
];

const AGGREGATED: readonly Column[] = [
  numeric('count', 'sockets', 80),
  field('process', 'process', 130),
  userColumn,
  field('direction', 'direction', 116),
  field('protocol', 'proto', 56),
  field('state', 'state', 104),
  { key: 'server', title: 'server', width: 210, value: (r) => endpointKey(r.server_ip, r.server_port), text: (r) => endpoint(r.server_ip, r.server_port) },
  field('port_name', 'service', 90),
  field('client_space', 'client space', 96),
  field('server_space', 'server space', 96),
  field('netns', 'netns', 90),
  numeric('rtt_ms', 'max rtt ms', 84, 2),
  numeric('total_retransmits', 'retrans', 64),
  numeric('lost', 'lost', 56),
  numeric('recv_queue', 'max recv-q', 80),
  numeric('send_queue', 'max send-q', 80),
];

// ---------------------------------------------------------------------------------------------
// state

interface Sort {
  key: string;
  dir: 1 | -1;
}

const state = {
  view: 'detailed' as View,
  /** True once the user (or the URL) picked a view: the > 5000 sockets default no longer applies. */
  viewChosen: false,
  filters: new URLSearchParams(),
  sort: { detailed: undefined, aggregated: { key: 'count', dir: -1 }, topology: undefined } as Record<View, Sort | undefined>,
  paused: false,
  intervalS: 5,
  answer: undefined as Answer | undefined,
  timer: undefined as ReturnType<typeof setTimeout> | undefined,
  inflight: undefined as AbortController | undefined,
  /** Requests sent (for the status line and the tests). */
  requests: 0,
  updatedAt: undefined as Date | undefined,
};

type Cy = cytoscapeNs.Core;
let cy: Cy | undefined;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`connections.html has no #${id}`);
  return el as T;
};

// ---------------------------------------------------------------------------------------------
// URL hash: the page's own state (view, filters, refresh), so a link reopens the same view

function readHash(): void {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const v = h.get('view');
  if (v && (VIEWS as readonly string[]).includes(v)) {
    state.view = v as View;
    state.viewChosen = true;
  }
  const r = Number(h.get('refresh'));
  if (Number.isFinite(r) && r > 0) state.intervalS = r;
  if (h.get('paused') === '1') state.paused = true;
  const f = new URLSearchParams();
  for (const key of FILTER_KEYS) for (const value of h.getAll(key)) if (value !== '') f.append(key, value);
  state.filters = f;
}

function writeHash(): void {
  const h = new URLSearchParams();
  if (state.viewChosen) h.set('view', state.view);
  for (const [k, v] of state.filters) h.append(k, v);
  if (state.intervalS !== 5) h.set('refresh', String(state.intervalS));
  if (state.paused) h.set('paused', '1');
  const next = h.toString();
  if (next !== location.hash.replace(/^#/, '')) history.replaceState(null, '', next ? `#${next}` : location.pathname + location.search);
}

// ---------------------------------------------------------------------------------------------
// filters form

function formToFilters(form: HTMLFormElement): URLSearchParams {
  const f = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const el = form.elements.namedItem(key);
    if (!el) continue;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') {
      if (el.checked) f.append(key, el.value);
      continue;
    }
    const raw = (el as HTMLInputElement | HTMLSelectElement).value.trim();
    if (raw === '') continue;
    if (SINGLE_VALUED.has(key)) f.append(key, raw);
    else for (const part of raw.split(/[\s,]+/)) if (part !== '') f.append(key, part);
  }
  return f;
}

function filtersToForm(form: HTMLFormElement, f: URLSearchParams): void {
  for (const key of FILTER_KEYS) {
    const el = form.elements.namedItem(key);
    if (!el) continue;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = f.getAll(key).includes(el.value);
    else (el as HTMLInputElement | HTMLSelectElement).value = f.getAll(key).join(', ');
  }
  const more = form.querySelector<HTMLDetailsElement>('details.more');
  if (more && ['local_port', 'remote_port', 'pod', 'namespace', 'limit', 'cmdline'].some((k) => f.has(k))) more.open = true;
}

/** The query string of the request for the current view and filters. */
function requestQuery(): URLSearchParams {
  const q = new URLSearchParams();
  q.set('view', state.view);
  for (const [k, v] of state.filters) {
    if (k === 'group_by' && state.view !== 'topology') continue;
    if (k === 'cmdline' && state.view !== 'detailed') continue;
    q.append(k, v);
  }
  return q;
}

// ---------------------------------------------------------------------------------------------
// fetching and refresh

async function load(): Promise<void> {
  clearTimeout(state.timer);
  state.timer = undefined;
  state.inflight?.abort();
  const ctl = new AbortController();
  state.inflight = ctl;
  const view = state.view;
  state.requests++;
  try {
    const res = await fetch(`api/v1/connections?${requestQuery().toString()}`, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal: ctl.signal,
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (ctl.signal.aborted || view !== state.view) return;
    if (!res.ok) {
      const msg = (body as { error?: unknown } | undefined)?.error;
      showError(typeof msg === 'string' ? msg : `the agent answered HTTP ${res.status} ${res.statusText}`);
      return;
    }
    if (!body || typeof body !== 'object' || (body as Answer).version !== 1) {
      showError('the agent answered something that is not a version 1 connections answer');
      return;
    }
    showError(undefined);
    const answer = body as Answer;
    // without a chosen view, a busy host opens on the aggregated view (and a quiet one on the detailed)
    if (!state.viewChosen) {
      const want: View = answer.counts.sockets > AGGREGATE_ABOVE ? 'aggregated' : 'detailed';
      if (want !== state.view && state.view !== 'topology') {
        setView(want, false);
        return;
      }
    }
    state.answer = answer;
    state.updatedAt = new Date();
    render();
  } catch (err) {
    if (ctl.signal.aborted) return;
    showError(`cannot reach the agent: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (state.inflight === ctl) {
      state.inflight = undefined;
      schedule();
    }
    renderStatus();
  }
}

function schedule(): void {
  clearTimeout(state.timer);
  state.timer = undefined;
  if (state.paused || document.hidden) return;
  state.timer = setTimeout(() => void load(), state.intervalS * 1000);
}

function setPaused(paused: boolean): void {
  state.paused = paused;
  const btn = $('pause');
  btn.setAttribute('aria-pressed', String(paused));
  btn.textContent = paused ? 'Resume' : 'Pause';
  writeHash();
  if (paused) {
    clearTimeout(state.timer);
    state.timer = undefined;
  } else {
    void load();
  }
  renderStatus();
}

function setView(view: View, chosen: boolean): void {
  if (chosen) state.viewChosen = true;
  const changed = view !== state.view;
  state.view = view;
  for (const b of document.querySelectorAll<HTMLButtonElement>('button.view')) {
    const on = b.dataset.view === view;
    b.classList.toggle('active', on);
    b.setAttribute('aria-pressed', String(on));
  }
  $('table-pane').hidden = view === 'topology';
  $('graph-pane').hidden = view !== 'topology';
  (document.querySelector('.group-by') as HTMLElement).hidden = view !== 'topology';
  writeHash();
  if (changed) {
    state.answer = undefined;
    render();
  }
  void load();
}

// ---------------------------------------------------------------------------------------------
// rendering

function showError(message: string | undefined): void {
  const el = $('error');
  el.hidden = message === undefined;
  el.textContent = message ?? '';
}

function renderStatus(): void {
  const a = state.answer;
  const parts: string[] = [];
  if (a) {
    parts.push(`${a.hostname} · ${a.counts.sockets} sockets, ${a.counts.matched} matched`);
    if (a.rows) parts.push(`${a.rows.length} rows${a.truncated ? ` (truncated at limit ${a.limit}: narrow the filters or raise the limit)` : ''}`);
    if (a.topology) parts.push(`${a.topology.actors.length} actors, ${a.topology.links.length} links${a.truncated ? ' (truncated)' : ''}`);
    if (a.collection && a.collection.complete === false) {
      const failed = (a.collection.collectors ?? []).filter((c) => !c.success).map((c) => c.name);
      parts.push(`incomplete collection${failed.length ? `: ${failed.join(', ')} failed` : ''}`);
    }
  }
  if (state.updatedAt) parts.push(`updated ${state.updatedAt.toLocaleTimeString()}`);
  parts.push(state.paused ? 'paused' : state.inflight ? 'loading…' : `every ${state.intervalS} s`);
  $('status').textContent = parts.join(' · ');
}

function render(): void {
  renderStatus();
  renderCounts();
  if (state.view === 'topology') renderGraph();
  else renderTable();
}

function renderBars(listId: string, counts: Record<string, number> | undefined, filterKey: string, unknownLabel: string): void {
  const ol = $(listId);
  const entries = Object.entries(counts ?? {}).sort((a, b) => {
    if (a[0] === 'other') return 1;
    if (b[0] === 'other') return -1;
    return b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
  });
  const max = entries.reduce((m, [, n]) => Math.max(m, n), 0);
  const items: HTMLLIElement[] = [];
  for (const [key, n] of entries) {
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = key === '' ? unknownLabel : key;
    label.title = label.textContent;
    const track = document.createElement('span');
    track.className = 'track';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.width = `${max > 0 ? (100 * n) / max : 0}%`;
    track.append(fill);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = String(n);
    li.append(label, track, value);
    if (key !== '' && key !== 'other') {
      li.dataset.filter = filterKey;
      li.dataset.value = key;
      li.title = `show only ${filterKey} ${key}`;
    }
    items.push(li);
  }
  ol.replaceChildren(...items);
}

function renderCounts(): void {
  const c = state.answer?.counts;
  renderBars('by-direction', c?.by_direction, 'direction', '(unknown)');
  renderBars('by-protocol', c?.by_protocol, 'protocol', '(unknown)');
  renderBars('by-process', c?.by_process, 'process', '(no process)');
}

// -- the virtualised table: only the visible rows (plus a few) are in the DOM

let columns: readonly Column[] = [];
let sorted: Row[] = [];
let pool: HTMLDivElement[] = [];
let emptyNote: HTMLDivElement | undefined;

function renderHead(): void {
  const thead = $('thead');
  const sort = state.sort[state.view];
  const cells = columns.map((c) => {
    const th = document.createElement('button');
    th.type = 'button';
    th.className = c.num ? 'th num' : 'th';
    th.dataset.key = c.key;
    th.textContent = c.title;
    th.setAttribute('role', 'columnheader');
    th.setAttribute('aria-sort', sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none');
    return th;
  });
  thead.replaceChildren(...cells);
  $('scroller').style.setProperty('--cols', columns.map((c) => `${c.width}px`).join(' '));
}

function compare(a: string | number | undefined, b: string | number | undefined): number {
  if (a === b) return 0;
  if (a === undefined || a === '') return 1; // blanks last, whatever the direction
  if (b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function sortRows(rows: readonly Row[]): Row[] {
  const sort = state.sort[state.view];
  const col = sort && columns.find((c) => c.key === sort.key);
  if (!sort || !col) return rows.slice();
  const keys = rows.map((r) => col.value(r));
  const idx = rows.map((_, i) => i);
  idx.sort((i, j) => {
    const a = keys[i];
    const b = keys[j];
    if (a === undefined || a === '' || b === undefined || b === '') return compare(a, b) || i - j;
    return sort.dir * compare(a, b) || i - j;
  });
  return idx.map((i) => rows[i] as Row);
}

function renderTable(): void {
  const want = state.view === 'aggregated' ? AGGREGATED : DETAILED;
  if (want !== columns) {
    columns = want;
    for (const el of pool) el.remove();
    pool = [];
    renderHead();
  }
  sorted = sortRows(state.answer?.rows ?? []);
  const tbody = $('tbody');
  tbody.style.height = `${sorted.length * ROW_H}px`;
  if (state.answer && sorted.length === 0) {
    if (!emptyNote) {
      emptyNote = document.createElement('div');
      emptyNote.className = 'empty';
      emptyNote.textContent = 'No sockets match these filters.';
    }
    tbody.append(emptyNote);
  } else {
    emptyNote?.remove();
  }
  renderWindow();
}

function renderWindow(): void {
  const scroller = $('scroller');
  const head = $('thead').offsetHeight;
  const top = Math.max(0, scroller.scrollTop - head);
  const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
  const last = Math.min(sorted.length, Math.ceil((top + scroller.clientHeight) / ROW_H) + OVERSCAN);
  const count = Math.max(0, last - first);
  const tbody = $('tbody');
  while (pool.length < count) {
    const tr = document.createElement('div');
    tr.className = 'tr';
    tr.setAttribute('role', 'row');
    for (const c of columns) {
      const td = document.createElement('div');
      td.className = c.num ? 'td num' : 'td';
      tr.append(td);
    }
    pool.push(tr);
  }
  while (pool.length > count) pool.pop()?.remove();
  for (let i = 0; i < count; i++) {
    const tr = pool[i] as HTMLDivElement;
    const row = sorted[first + i] as Row;
    tr.style.transform = `translateY(${(first + i) * ROW_H}px)`;
    tr.dataset.index = String(first + i);
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c] as Column;
      const td = tr.children[c] as HTMLElement;
      const text = col.text ? col.text(row) : str(col.value(row));
      if (td.textContent !== text) td.textContent = text;
      const tip = col.tip?.(row) ?? (text.length > 14 ? text : '');
      if (td.title !== tip) td.title = tip;
    }
    if (!tr.isConnected) tbody.append(tr);
  }
}

let frame = 0;
function onScroll(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (state.view !== 'topology') renderWindow();
  });
}

function onHeadClick(ev: Event): void {
  const th = (ev.target as HTMLElement).closest<HTMLElement>('.th');
  const key = th?.dataset.key;
  if (!key) return;
  const col = columns.find((c) => c.key === key);
  const cur = state.sort[state.view];
  // first click: numbers largest first, text A→Z; again: the other way
  const dir: 1 | -1 = cur?.key === key ? (cur.dir === 1 ? -1 : 1) : col?.num ? -1 : 1;
  state.sort[state.view] = { key, dir };
  renderHead();
  renderTable();
}

// -- the topology graph (cytoscape, loaded by its own script tag as a global)

type CytoscapeFactory = typeof cytoscapeNs;

const KIND_COLOR: Record<string, string> = { host: '#1a7f37', process: '#0969da', container: '#8250df', endpoint: '#bc4c00' };

function graphElements(topo: NonNullable<Answer['topology']>): { nodes: cytoscapeNs.ElementDefinition[]; edges: cytoscapeNs.ElementDefinition[] } {
  const ids = new Set<string>();
  const nodes = topo.actors.map((a) => {
    ids.add(a.id);
    return {
      group: 'nodes' as const,
      data: { id: a.id, label: a.label, kind: a.kind, sockets: a.sockets, size: Math.round(18 + 5 * Math.log2(1 + a.sockets)), color: KIND_COLOR[a.kind] ?? '#57606a' },
    };
  });
  const seen = new Map<string, number>();
  const edges: cytoscapeNs.ElementDefinition[] = [];
  for (const l of topo.links) {
    if (!ids.has(l.source) || !ids.has(l.target)) continue;
    const base = `${l.source}→${l.target} ${l.protocol} ${l.state}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    edges.push({
      group: 'edges',
      data: {
        id: n === 0 ? base : `${base} #${n}`,
        source: l.source,
        target: l.target,
        sockets: l.sockets,
        label: String(l.sockets),
        width: Math.round((1 + Math.log2(1 + l.sockets)) * 10) / 10,
        color: l.retransmits > 0 ? '#cf222e' : '#8c959f',
        protocol: l.protocol,
        state: l.state,
        retransmits: l.retransmits,
        max_rtt_ms: l.max_rtt_ms,
      },
    });
  }
  return { nodes, edges };
}

function renderGraph(): void {
  const topo = state.answer?.topology;
  const factory = (globalThis as unknown as { cytoscape?: CytoscapeFactory }).cytoscape;
  if (!factory) {
    showError('the graph library (cytoscape.min.js) did not load');
    return;
  }
  const container = $('graph');
  if (!cy) {
    cy = factory({
      container,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            'background-color': 'data(color)',
            width: 'data(size)',
            height: 'data(size)',
            'font-size': 10,
            color: '#1f2328',
            'text-valign': 'bottom',
            'text-margin-y': 3,
            'text-wrap': 'ellipsis',
            'text-max-width': '140px',
          },
        },
        { selector: 'node[kind = "endpoint"]', style: { shape: 'round-rectangle' } },
        { selector: 'node[kind = "host"]', style: { shape: 'diamond' } },
        { selector: 'node[kind = "container"]', style: { shape: 'hexagon' } },
        {
          selector: 'edge',
          style: {
            width: 'data(width)',
            'line-color': 'data(color)',
            'target-arrow-color': 'data(color)',
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier',
            label: 'data(label)',
            'font-size': 9,
            color: '#57606a',
            'text-background-color': '#ffffff',
            'text-background-opacity': 0.8,
            'text-background-padding': '1px',
          },
        },
        { selector: ':selected', style: { 'border-width': 3, 'border-color': '#fb8500', 'line-color': '#fb8500' } },
      ],
    });
    cy.on('tap', 'node, edge', (ev) => {
      const d = ev.target.data() as Record<string, unknown>;
      const info = ev.target.isNode()
        ? `${str(d.kind)} ${str(d.label)}: ${str(d.sockets)} sockets`
        : `${str(d.source)} → ${str(d.target)} ${str(d.protocol)} ${str(d.state)}: ${str(d.sockets)} sockets, ${str(d.retransmits)} retransmits${d.max_rtt_ms === undefined ? '' : `, max rtt ${str(d.max_rtt_ms)} ms`}`;
      $('graph-info').textContent = info;
    });
  }
  const g = cy;
  g.resize();
  if (!topo) {
    g.elements().remove();
    return;
  }
  const { nodes, edges } = graphElements(topo);
  const same =
    g.nodes().length === nodes.length &&
    g.edges().length === edges.length &&
    nodes.every((n) => g.getElementById(n.data.id as string).isNode()) &&
    edges.every((e) => g.getElementById(e.data.id as string).isEdge());
  if (same) {
    // the same graph: update numbers in place and keep the layout the user may have arranged
    g.batch(() => {
      for (const el of [...nodes, ...edges]) g.getElementById(el.data.id as string).data(el.data);
    });
    return;
  }
  g.batch(() => {
    g.elements().remove();
    g.add([...nodes, ...edges]);
  });
  const layout: cytoscapeNs.LayoutOptions =
    nodes.length <= 300
      ? ({ name: 'cose', animate: false, nodeDimensionsIncludeLabels: true, randomize: true, padding: 30 } as cytoscapeNs.LayoutOptions)
      : { name: 'concentric', animate: false, padding: 30, minNodeSpacing: 4 };
  g.layout(layout).run();
  g.fit(undefined, 30);
  // a small graph fitted to a large pane would be drawn huge: keep it at most life-size
  if (g.zoom() > 1.2) {
    g.zoom(1.2);
    g.center();
  }
}

// ---------------------------------------------------------------------------------------------
// wiring

function applyFilters(f: URLSearchParams): void {
  state.filters = f;
  filtersToForm($<HTMLFormElement>('filters'), f);
  writeHash();
  void load();
}

function start(): void {
  readHash();
  const form = $<HTMLFormElement>('filters');
  filtersToForm(form, state.filters);
  const interval = $<HTMLSelectElement>('interval');
  if (![...interval.options].some((o) => o.value === String(state.intervalS))) {
    const o = document.createElement('option');
    o.value = String(state.intervalS);
    o.textContent = `${state.intervalS} s`;
    interval.append(o);
  }
  interval.value = String(state.intervalS);
  $('pause').setAttribute('aria-pressed', String(state.paused));
  $('pause').textContent = state.paused ? 'Resume' : 'Pause';

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    applyFilters(formToFilters(form));
  });
  form.addEventListener('change', (ev) => {
    if (ev.target instanceof HTMLSelectElement || (ev.target instanceof HTMLInputElement && ev.target.type === 'checkbox')) applyFilters(formToFilters(form));
  });
  $('clear').addEventListener('click', () => applyFilters(new URLSearchParams()));
  for (const b of document.querySelectorAll<HTMLButtonElement>('button.view')) {
    b.addEventListener('click', () => setView(b.dataset.view as View, true));
  }
  $('counts').addEventListener('click', (ev) => {
    const li = (ev.target as HTMLElement).closest<HTMLElement>('li[data-filter]');
    if (!li?.dataset.filter || li.dataset.value === undefined) return;
    const f = new URLSearchParams(state.filters);
    f.delete(li.dataset.filter);
    f.append(li.dataset.filter, li.dataset.value);
    applyFilters(f);
  });
  interval.addEventListener('change', () => {
    state.intervalS = Number(interval.value);
    writeHash();
    schedule();
    renderStatus();
  });
  $('pause').addEventListener('click', () => setPaused(!state.paused));
  $('reload').addEventListener('click', () => void load());
  $('thead').addEventListener('click', onHeadClick);
  $('scroller').addEventListener('scroll', onScroll, { passive: true });
  window.addEventListener('resize', onScroll);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !state.paused && !state.inflight) void load();
  });
  window.addEventListener('hashchange', () => {
    readHash();
    filtersToForm(form, state.filters);
    setView(state.view, false);
  });

  // a handle for tests and the curious: the graph, the last answer, how many requests were sent
  (window as unknown as { sockscopeConnections: unknown }).sockscopeConnections = {
    get cy() {
      return cy;
    },
    get answer() {
      return state.answer;
    },
    get requests() {
      return state.requests;
    },
    get view() {
      return state.view;
    },
  };
  setView(state.view, false);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
