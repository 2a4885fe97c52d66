// A small parser of the Prometheus text exposition format (0.0.4), enough to read
// node_exporter's /metrics in the comparison test: HELP, TYPE, and samples with labels.

/** One family as node_exporter exposed it. */
export interface ExposedFamily {
  /** Metric name. */
  name: string;
  /** TYPE line value (`untyped` when absent). */
  type: string;
  /** HELP text, unescaped. */
  help: string;
  /** Samples with their labels. */
  samples: { labels: Record<string, string>; value: number }[];
}

/** Parses exposition text into families keyed by name. */
export function parseExposition(text: string): Map<string, ExposedFamily> {
  const out = new Map<string, ExposedFamily>();
  const family = (name: string): ExposedFamily => {
    let f = out.get(name);
    if (!f) out.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      family(rest.slice(0, sp)).help = rest.slice(sp + 1).replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    } else if (line.startsWith('# TYPE ')) {
      const [name = '', type = ''] = line.slice(7).split(' ');
      family(name).type = type;
    } else if (!line.startsWith('#')) {
      const { name, labels, rest } = splitSample(line);
      family(name).samples.push({ labels, value: parseValue(rest.trim().split(' ')[0] ?? '') });
    }
  }
  return out;
}

function splitSample(line: string): { name: string; labels: Record<string, string>; rest: string } {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace < 0 || (space >= 0 && space < brace)) return { name: line.slice(0, space), labels: {}, rest: line.slice(space) };
  const labels: Record<string, string> = {};
  let i = brace + 1;
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i);
    const key = line.slice(i, eq).trim();
    let j = eq + 2; // skip ="
    let value = '';
    while (line[j] !== '"') {
      if (line[j] === '\\') {
        const next = line[j + 1];
        value += next === 'n' ? '\n' : next;
        j += 2;
      } else {
        value += line[j];
        j += 1;
      }
      if (j >= line.length) throw new Error(`unterminated label value in ${line}`);
    }
    labels[key] = value;
    i = j + 1;
    if (line[i] === ',') i += 1;
  }
  return { name: line.slice(0, brace), labels, rest: line.slice(i + 1) };
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}
