// The release bundle's entry: the CLI (apps/exporter/src/cli.ts) without its top-level await, so
// the same source bundles to an ES module and to CommonJS (Node 20's single executables).
import { keepInspectorShut } from '../../apps/exporter/src/signals.js';

// before anything else runs: SIGUSR1 must never open Node's inspector (see signals.ts)
keepInspectorShut();
void import('../../apps/exporter/src/main.js').then(({ main }) =>
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`sockscope: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  ),
);
