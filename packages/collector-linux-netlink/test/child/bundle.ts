import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const pkg = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles a child script (run-collector.ts unless told; koffi left external) into a directory
 * and returns the entry to run with node. Code splitting keeps the lazily imported ffi layer in
 * its own chunk, as tsup does for the published build, so importing the package does not load
 * koffi.
 */
export function bundleChild(script = 'run-collector'): { entry: string; dir: string } {
  const dir = `${pkg}node_modules/.cache/sockscope-nl-child-${script}-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  buildSync({
    absWorkingDir: pkg,
    entryPoints: [`test/child/${script}.ts`],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    conditions: ['source'],
    external: ['koffi'],
    logLevel: 'warning',
    outdir: dir,
    outExtension: { '.js': '.mjs' },
  });
  return { entry: `${dir}/${script}.mjs`, dir };
}
