import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles a test's child script (`test/<name>.ts`) with esbuild, as tsup has it
 * (scripts/release/bundle.mjs does the same), into apps/exporter/node_modules/.cache, where it
 * resolves koffi (left external) and any user can read it. Returns its path and a remover.
 */
export function bundleTestChild(name: string): { file: string; remove(): void } {
  const cache = join(app, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `sockscope-${name}-${process.pid}.mjs`);
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as {
    buildSync(o: { entryPoints: string[]; bundle: boolean; platform: string; format: string; external: string[]; outfile: string; logLevel: string }): unknown;
  };
  esbuild.buildSync({ entryPoints: [join(app, 'test', `${name}.ts`)], bundle: true, platform: 'node', format: 'esm', external: ['koffi'], outfile: file, logLevel: 'error' });
  return { file, remove: () => rmSync(file, { force: true }) };
}
