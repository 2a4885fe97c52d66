/**
 * @sockscope/web: the live connections page as static assets, built into this package's dist at
 * build time (no CDN). The agent serves them beside `/api/v1/connections`:
 * `connections.html` at `/connections`, every other asset at `/<name>` (the page loads them and
 * the API with URLs relative to its own), each with `WEB_CSP` as its Content-Security-Policy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebError } from './errors.js';

export { WebError, WebErrorCodes, type WebErrorCode } from './errors.js';

/** One asset of the page: its bytes and the Content-Type to send. */
export interface WebAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The page's asset key; the agent serves it at `/connections` (other assets beside it). */
export const CONNECTIONS_PAGE = 'connections.html';

/**
 * The Content-Security-Policy the page needs, and no more: scripts, styles and fetches from its
 * own origin only; no inline script or style, no eval, no frames, no forms posted anywhere.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Assets every build has; webAssets() refuses a dist without one of them. */
export const REQUIRED_ASSETS: readonly string[] = [CONNECTIONS_PAGE, 'connections.js', 'connections.css', 'cytoscape.min.js'];

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
};

/** The Content-Type for an asset name (by its extension). */
export function contentTypeOf(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

// dist/assets, found the same way from src/index.ts (tests, `source` condition) and dist/index.js
const ASSETS_DIR = fileURLToPath(new URL('../dist/assets/', import.meta.url));

let cached: ReadonlyMap<string, WebAsset> | undefined;

/**
 * Every asset of the page, keyed by its path relative to the page (`connections.html`,
 * `connections.js`, `connections.css`, `cytoscape.min.js`), read once from the package's built
 * dist. Throws a {@link WebError} naming the build command when the assets are not built.
 */
export function webAssets(): ReadonlyMap<string, WebAsset> {
  cached ??= readWebAssets(ASSETS_DIR);
  return cached;
}

/** The assets in `dir` (a built dist/assets); {@link webAssets} reads the package's own. */
export function readWebAssets(dir: string): ReadonlyMap<string, WebAsset> {
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  let names: string[];
  try {
    names = readdirSync(base, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    throw new WebError('ERR_WEB_ASSETS_MISSING', `${base}: the connections page is not built: run \`npx --yes pnpm@10 --filter @sockscope/web build\``, [], { cause: err });
  }
  const missing = REQUIRED_ASSETS.filter((n) => !names.includes(n));
  if (missing.length > 0) {
    throw new WebError('ERR_WEB_ASSETS_MISSING', `${base}: the connections page build is incomplete (no ${missing.join(', ')}): run \`npx --yes pnpm@10 --filter @sockscope/web build\``);
  }
  const assets = new Map<string, WebAsset>();
  for (const name of names) assets.set(name, { body: readFileSync(`${base}${name}`), contentType: contentTypeOf(name) });
  return assets;
}
