/**
 * The OpenMetrics 1.0 text rules the sink's output is held to, checked line by line. promtool's
 * `check metrics` reads only the Prometheus text format, so OpenMetrics output is checked here
 * (and by promtool's OpenMetrics parser where the test can run it).
 */

const TYPES = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const NUMBER = /^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;

/** The sample names a family of a type may have. */
function suffixes(type: string): string[] {
  switch (type) {
    case 'counter':
      return ['_total', '_created'];
    case 'histogram':
      return ['_bucket', '_sum', '_count', '_created'];
    case 'summary':
      return ['', '_sum', '_count', '_created'];
    case 'info':
      return ['_info'];
    default:
      return [''];
  }
}

/** A sample line split into its name, labels (in order) and value. */
export interface ParsedSample {
  name: string;
  labels: [string, string][];
  value: string;
}

/** Parses `name{a="x",b="y"} value [timestamp]`, undoing the escapes; undefined when it is not one. */
export function parseSample(line: string): ParsedSample | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!m) return undefined;
  const name = m[1] as string;
  let i = name.length;
  const labels: [string, string][] = [];
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const k = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
      if (!k) return undefined;
      i += k[0].length;
      let v = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i + 1];
          if (e === 'n') v += '\n';
          else if (e === '\\' || e === '"') v += e;
          else return undefined;
          i += 2;
          continue;
        }
        v += c;
        i++;
      }
      i++;
      labels.push([k[1] as string, v]);
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return undefined;
    }
    i++;
  }
  if (line[i] !== ' ') return undefined;
  const [value, ts, ...rest] = line.slice(i + 1).split(' ');
  if (value === undefined || !NUMBER.test(value) || rest.length > 0 || (ts !== undefined && !NUMBER.test(ts))) return undefined;
  return { name, labels, value };
}

/** Every way `text` breaks the OpenMetrics rules above; empty when it keeps them all. */
export function openMetricsProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('# EOF\n')) problems.push('the exposition does not end with "# EOF" and a newline');
  const lines = text.split('\n');
  lines.pop(); // after the last newline
  const eof = lines.indexOf('# EOF');
  if (eof !== lines.length - 1) problems.push(`"# EOF" is line ${eof + 1} of ${lines.length}, not the last`);
  const declared = new Map<string, string>(); // family → type
  const closed = new Set<string>(); // families whose block ended
  let family: string | undefined;
  let type = 'unknown';
  const series = new Set<string>();
  // per histogram series: le bounds and counts in order, then _count
  const buckets = new Map<string, { le: number[]; counts: number[]; count?: number }>();
  const checkHistograms = () => {
    for (const [key, h] of buckets) {
      for (let i = 1; i < h.le.length; i++) {
        if (!((h.le[i] as number) > (h.le[i - 1] as number))) problems.push(`${key}: le ${h.le[i]} after ${h.le[i - 1]}`);
        if ((h.counts[i] as number) < (h.counts[i - 1] as number)) problems.push(`${key}: bucket counts decrease at le ${h.le[i]}`);
      }
      if (h.le[h.le.length - 1] !== Infinity) problems.push(`${key}: no +Inf bucket`);
      else if (h.count !== h.counts[h.counts.length - 1]) problems.push(`${key}: _count ${h.count} is not the +Inf bucket ${h.counts[h.counts.length - 1]}`);
    }
    buckets.clear();
  };
  const open = (name: string, where: number) => {
    if (family === name) return;
    if (family !== undefined) closed.add(family);
    checkHistograms();
    if (closed.has(name)) problems.push(`line ${where}: family ${name} appears twice (its lines are not together)`);
    family = name;
    type = declared.get(name) ?? 'unknown';
  };
  lines.forEach((line, n) => {
    const at = n + 1;
    if (line === '# EOF') return;
    if (line === '') return void problems.push(`line ${at}: blank line`);
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE|UNIT) ([^ ]+)(?: (.*))?$/.exec(line);
      if (!meta) return void problems.push(`line ${at}: not a HELP, TYPE or UNIT line: ${line}`);
      const [, kind, name = '', rest = ''] = meta;
      if (!NAME.test(name)) problems.push(`line ${at}: bad family name ${name}`);
      open(name, at);
      if (kind === 'TYPE') {
        if (declared.has(name)) problems.push(`line ${at}: second TYPE for ${name}`);
        if (!TYPES.has(rest)) problems.push(`line ${at}: type "${rest}" is not an OpenMetrics type`);
        if (rest === 'counter' && name.endsWith('_total')) problems.push(`line ${at}: counter family ${name} keeps its _total suffix`);
        declared.set(name, rest);
        type = rest;
      }
      if (kind === 'HELP' && /(^|[^\\])(\\\\)*"/.test(rest)) problems.push(`line ${at}: unescaped double quote in HELP`);
      if (kind === 'HELP' && /\\[^\\n"]/.test(rest.replace(/\\\\/g, ''))) problems.push(`line ${at}: unknown escape in HELP`);
      return;
    }
    const s = parseSample(line);
    if (!s) return void problems.push(`line ${at}: not a sample: ${line}`);
    // the family this sample belongs to: the current one when the name fits it
    const fits = family !== undefined && suffixes(type).some((suf) => s.name === family + suf);
    if (!fits) {
      if (s.name !== family && (declared.has(s.name) || closed.has(s.name))) return void problems.push(`line ${at}: sample ${s.name} away from its family`);
      return void problems.push(`line ${at}: sample ${s.name} is not a sample of family ${family ?? '(none)'} (${type})`);
    }
    const labelNames = s.labels.map(([k]) => k);
    if (new Set(labelNames).size !== labelNames.length) problems.push(`line ${at}: a label twice`);
    const key = `${s.name}{${s.labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (series.has(key)) problems.push(`line ${at}: series ${key} twice`);
    series.add(key);
    const value = s.value === '+Inf' ? Infinity : s.value === '-Inf' ? -Infinity : Number(s.value);
    if (type === 'counter' && !(value >= 0)) problems.push(`line ${at}: counter ${s.name} is ${s.value}`);
    if (type === 'histogram') {
      const base = `${family}{${s.labels.filter(([k]) => k !== 'le').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
      let h = buckets.get(base);
      if (!h) buckets.set(base, (h = { le: [], counts: [] }));
      if (s.name.endsWith('_bucket')) {
        const le = s.labels.find(([k]) => k === 'le')?.[1];
        if (le === undefined || !NUMBER.test(le)) problems.push(`line ${at}: bucket without a numeric le`);
        else {
          h.le.push(le === '+Inf' ? Infinity : Number(le));
          h.counts.push(value);
        }
      } else if (s.name.endsWith('_count')) h.count = value;
    }
  });
  checkHistograms();
  return problems;
}

/** The series of an exposition (text or OpenMetrics): `name{labels}` → value, comments left out. */
export function seriesOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const s = parseSample(line);
    if (!s) throw new Error(`not a sample: ${line}`);
    const labels = [...s.labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.set(`${s.name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`, s.value);
  }
  return out;
}
