// Command-line flags of the bench scripts: `--name value` or `--name=value`, every value checked.

/** A mistake in how the bench was started or in what it found: printed as one clear message. */
export class BenchError extends Error {}

/**
 * Parses argv against a spec `{ name: { kind: 'int' | 'ints' | 'number' | 'string' | 'bool' | 'list', default, help } }`
 * and returns `{ name: value }`; unknown flags and bad values throw BenchError naming the flag.
 */
export function parseFlags(argv, spec) {
  const out = Object.fromEntries(Object.entries(spec).map(([k, s]) => [k, s.default]));
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    if (raw === '--') continue; // `pnpm bench -- --sizes 1000` passes the separator through
    if (raw === '-h' || raw === '--help') {
      out.help = true;
      continue;
    }
    if (!raw.startsWith('--')) throw new BenchError(`unexpected argument "${raw}"; flags look like --sizes 1000,10000 (see --help)`);
    const eq = raw.indexOf('=');
    const name = (eq > 0 ? raw.slice(2, eq) : raw.slice(2)).replaceAll('-', '_');
    const s = spec[name];
    if (!s) throw new BenchError(`unknown flag ${raw.slice(0, eq > 0 ? eq : undefined)}; known: ${Object.keys(spec).map((k) => '--' + k.replaceAll('_', '-')).join(', ')}`);
    if (s.kind === 'bool') {
      out[name] = eq > 0 ? raw.slice(eq + 1) !== 'false' : true;
      continue;
    }
    const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new BenchError(`flag --${name} needs a value`);
    out[name] = convert(name, s, value);
  }
  return out;
}

function convert(name, s, value) {
  const flag = `--${name.replaceAll('_', '-')}`;
  const int = (v) => {
    if (!/^\d+$/.test(v)) throw new BenchError(`${flag} ${value}: "${v}" is not a whole number`);
    return Number(v);
  };
  switch (s.kind) {
    case 'int': {
      const n = int(value);
      if (s.min !== undefined && n < s.min) throw new BenchError(`${flag} ${value}: must be at least ${s.min}`);
      if (s.max !== undefined && n > s.max) throw new BenchError(`${flag} ${value}: must be at most ${s.max}`);
      return n;
    }
    case 'number': {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new BenchError(`${flag} ${value}: must be a positive number`);
      return n;
    }
    case 'ints': {
      const list = value.split(',').filter(Boolean).map(int);
      if (list.length === 0) throw new BenchError(`${flag}: give at least one number, e.g. ${flag} 1000,10000`);
      if (s.max !== undefined && list.some((n) => n > s.max)) throw new BenchError(`${flag} ${value}: each must be at most ${s.max}`);
      if (list.some((n) => n < 1)) throw new BenchError(`${flag} ${value}: each must be at least 1`);
      return list;
    }
    case 'list': {
      const list = value.split(',').filter(Boolean);
      const bad = list.filter((v) => !s.choices.includes(v));
      if (bad.length > 0) throw new BenchError(`${flag} ${value}: unknown ${bad.join(', ')}; choose from ${s.choices.join(', ')}`);
      return list;
    }
    default:
      return value;
  }
}

/** The --help text generated from a spec. */
export function helpText(usage, spec) {
  const lines = Object.entries(spec).map(([k, s]) => {
    const flag = `--${k.replaceAll('_', '-')}${s.kind === 'bool' ? '' : ' ' + (s.meta ?? 'VALUE')}`;
    const def = s.default === undefined || s.kind === 'bool' ? '' : ` (default ${Array.isArray(s.default) ? s.default.join(',') : s.default})`;
    return `  ${flag.padEnd(28)} ${s.help}${def}`;
  });
  return `${usage}\n\nFlags:\n${lines.join('\n')}\n`;
}
