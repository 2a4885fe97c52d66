import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../../', import.meta.url));
const esbuild = fileURLToPath(new URL('../../../../node_modules/.bin/esbuild', import.meta.url));

/**
 * Bundles run-collector.ts (koffi left external) into a directory and returns the entry to run
 * with node. Code splitting keeps the lazily imported ffi layer in its own chunk, as tsup does
 * for the published build, so importing the package does not load koffi.
 */
export function bundleChild(): { entry: string; dir: string } {
  const dir = `${pkg}node_modules/.cache/sockscope-nl-child-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  execFileSync(esbuild, ['test/child/run-collector.ts', '--bundle', '--splitting', '--platform=node', '--format=esm', '--conditions=source', '--external:koffi', '--log-level=warning', `--outdir=${dir}`, '--out-extension:.js=.mjs'], { cwd: pkg });
  return { entry: `${dir}/run-collector.mjs`, dir };
}
