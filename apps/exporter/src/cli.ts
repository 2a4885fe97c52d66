#!/usr/bin/env -S node --max-semi-space-size=4 --single-threaded-gc --max-old-space-size=1024
import { limitMallocArenas } from './malloc-arenas.js';
import { keepInspectorShut } from './signals.js';

// before anything else loads: SIGUSR1 must never open Node's inspector (see signals.ts), and
// malloc's arenas limited before threads take their own (see malloc-arenas.ts)
keepInspectorShut();
await limitMallocArenas();
const { main } = await import('./main.js');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sockscope: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
