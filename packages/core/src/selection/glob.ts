/**
 * Globs of the selection's name criteria (container, pod, namespace and image names): `*` is any
 * run of characters (`/` and `:` included, so `*nginx*` finds `docker.io/library/nginx:1.27`),
 * `?` is one character, everything else is itself, and a glob matches the whole name. Each glob
 * compiles once into one anchored RegExp; {@link GlobSet} memoizes answers per distinct name, so a
 * name is tested once however many sockets its owner has.
 */

/** Characters a glob may not hold: they are regular-expression or shell-glob syntax we do not take. */
const NOT_GLOB = /[[\]{}()\\^$|+\s]/;

/** What is wrong with a glob, or undefined when it is a good one. */
export function globProblem(glob: string): string | undefined {
  if (glob.length === 0) return 'is empty';
  const bad = NOT_GLOB.exec(glob);
  if (bad) {
    const shown = /\s/.test(bad[0]) ? 'white space' : `"${bad[0]}"`;
    return `"${glob}" holds ${shown}: a glob takes * (any characters) and ? (one character) only, e.g. "web-*"`;
  }
  return undefined;
}

/** True when the text is a glob pattern rather than a plain name (holds `*` or `?`). */
export const isGlob = (text: string): boolean => text.includes('*') || text.includes('?');

/** One glob as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

/** Most names a {@link GlobSet} remembers before it starts again. */
const MEMO_SIZE = 8192;

/**
 * Some globs, compiled once; `matches(name)` is true when any matches. Plain names (no `*` or
 * `?`) are a set lookup; answers are memoized per name (bounded), so a regex runs once per
 * distinct name.
 */
export class GlobSet {
  private readonly exact: ReadonlySet<string>;
  private readonly patterns: readonly RegExp[];
  private readonly memo = new Map<string, boolean>();

  constructor(globs: readonly string[]) {
    this.exact = new Set(globs.filter((g) => !isGlob(g)));
    this.patterns = globs.filter(isGlob).map(globToRegExp);
  }

  /** True when `name` matches one of the globs. */
  matches(name: string): boolean {
    if (this.exact.has(name)) return true;
    if (this.patterns.length === 0) return false;
    let hit = this.memo.get(name);
    if (hit === undefined) {
      if (this.memo.size >= MEMO_SIZE) this.memo.clear();
      hit = this.patterns.some((re) => re.test(name));
      this.memo.set(name, hit);
    }
    return hit;
  }
}
