#!/usr/bin/env -S node --max-semi-space-size=4 --single-threaded-gc --max-old-space-size=1024
import { limitMallocArenas } from './malloc-arenas.js';
import { keepInspectorShut } from './signals.js';

// before anything else loads: SIGUSR1 must never open Node's inspector (see signals.ts), and
// malloc's arenas limited before threads take their own (see malloc-arenas.ts)
keepInspectorShut();
await limitMallocArenas();
const { main } = await import('./main.js');

/**
 * Exits once everything written to stdout and stderr has left the process. Writes to a pipe are
 * asynchronous on Linux and process.exit() drops what is still queued: `sockscope connections
 * --json | …` with a few thousand sockets lost the end of its output (8 runs of 10 cut short, exit
 * code 0). An empty write's callback runs after every earlier write has gone out (or failed).
 * A reader that never reads again gets 5 s, then the process exits as before.
 */
function exitFlushed(code: number): void {
  setTimeout(() => process.exit(code), 5000).unref();
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(exitFlushed, (err: unknown) => {
  process.stderr.write(`sockscope: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitFlushed(1);
});
