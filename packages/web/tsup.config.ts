import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { defineConfig } from 'tsup';

// Two builds: the Node entry (webAssets(), WEB_CSP) and the page itself, bundled for the browser.
// Every asset the page loads ends up in dist/assets/: no CDN, nothing fetched at run time.
const require = createRequire(import.meta.url);
const cytoscapeMin = require.resolve('cytoscape/dist/cytoscape.min.js');

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
  },
  {
    entry: { connections: 'src/page/connections.ts' },
    outDir: 'dist/assets',
    platform: 'browser',
    format: ['iife'],
    outExtension: () => ({ js: '.js' }),
    target: 'es2020',
    minify: true,
    sourcemap: false,
    dts: false,
    clean: true,
    async onSuccess() {
      await mkdir('dist/assets', { recursive: true });
      await Promise.all([
        copyFile('src/page/connections.html', 'dist/assets/connections.html'),
        copyFile('src/page/connections.css', 'dist/assets/connections.css'),
        copyFile(cytoscapeMin, 'dist/assets/cytoscape.min.js'),
      ]);
    },
  },
]);
