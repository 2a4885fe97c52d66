// The release bundle: apps/exporter's CLI with every workspace package and npm dependency inlined
// into one ES module, except two things that cannot be inlined:
//   - koffi's native module (koffi.node), loaded from beside the bundle (or the executable);
//   - bcryptjs, which the web-config password check loads by path into worker threads: shipped as
//     node_modules/bcryptjs beside the bundle;
//   - the connections page's static files (@sockscope/web's dist/assets): shipped as web/ beside it.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const esbuild = createRequire(require.resolve('tsup'))('esbuild');

/**
 * `import koffi from 'koffi'` becomes the native module itself, loaded from beside the bundle
 * (`format: 'esm'`) or beside the executable (`format: 'cjs'`, for a single executable).
 */
function koffiBeside(format) {
  const where =
    format === 'esm'
      ? `new URL('./koffi.node', import.meta.url).pathname`
      : `require('node:path').join(require('node:path').dirname(process.execPath), 'koffi.node')`;
  const source =
    format === 'esm'
      ? `import { createRequire } from 'node:module';\nconst native = createRequire(import.meta.url)(${where});\nexport default native;\n`
      : `const native = require('node:module').createRequire(process.execPath)(${where});\nmodule.exports = native; module.exports.default = native;\n`;
  return {
    name: 'koffi-beside',
    setup(build) {
      build.onResolve({ filter: /^koffi$/ }, () => ({ path: 'koffi', namespace: 'koffi-beside' }));
      build.onLoad({ filter: /.*/, namespace: 'koffi-beside' }, () => ({ contents: source, loader: 'js' }));
    },
  };
}

/**
 * @sockscope/web finds its built assets at `../dist/assets/` from its own module; inlined into the
 * bundle that would be beside the bundle's parent, so it is pointed at `web/` beside the bundle
 * (where the release copies packages/web/dist/assets). Fails the build if the package no longer
 * says it that way, rather than shipping a connections page that cannot find its files.
 */
const WEB_ASSETS = /new URL\(\s*(["'])\.\.\/dist\/assets\/\1\s*,\s*import\.meta\.url\s*\)/;
function webAssetsBeside() {
  return {
    name: 'web-assets-beside',
    setup(build) {
      build.onLoad({ filter: /[\\/]packages[\\/]web[\\/]dist[\\/]index\.js$/ }, async ({ path }) => {
        const source = readFileSync(path, 'utf8');
        if (!WEB_ASSETS.test(source)) throw new Error(`${path} no longer finds its assets as new URL('../dist/assets/', import.meta.url): update scripts/release/bundle.mjs (webAssetsBeside)`);
        return { contents: source.replace(WEB_ASSETS, `new URL('./web/', import.meta.url)`), loader: 'js' };
      });
    },
  };
}

/**
 * Bundles `entry` (TypeScript) into `outfile`. `format: 'esm'` for a Node runtime that runs it as a
 * file; `'cjs'` for Node's single-executable application (Node 20 runs only CommonJS there).
 */
export async function bundle({ root, entry, outfile, format, version, revision }) {
  const banner =
    format === 'esm'
      ? // CommonJS dependencies inlined into an ES module still call require()
        `import { createRequire as __sockscopeCreateRequire } from 'node:module';\nconst require = __sockscopeCreateRequire(import.meta.url);`
      : '';
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    minifyWhitespace: true,
    minifySyntax: true,
    // no keepNames: its __name() calls would break the functions workers run from their source text
    keepNames: false,
    legalComments: 'none',
    sourcemap: false,
    metafile: true,
    banner: { js: banner },
    // workspace packages resolve to their built dist/ (what their npm tarballs hold), so
    // `pnpm release` builds them first; only the CLI's own entry is compiled from source here
    mainFields: ['module', 'main'],
    external: ['bcryptjs'],
    define: {
      __SOCKSCOPE_VERSION__: JSON.stringify(version),
      __SOCKSCOPE_REVISION__: JSON.stringify(revision),
      ...(format === 'cjs' ? { 'import.meta.url': '__sockscopeImportMetaUrl' } : {}),
    },
    ...(format === 'cjs' ? { inject: [join(root, 'scripts/release/import-meta-url.cjs')] } : {}),
    plugins: [koffiBeside(format), webAssetsBeside()],
    logLevel: 'warning',
  });
  return result.metafile;
}

/** The bundle's inputs by size, largest first (for the release log). */
export function largestInputs(metafile, n = 8) {
  const out = metafile.outputs[Object.keys(metafile.outputs)[0]];
  return Object.entries(out.inputs)
    .map(([file, { bytesInOutput }]) => [file.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, ''), bytesInOutput])
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}
