// Every process the bench starts is tracked here and ended on exit, Ctrl-C, or an error.
import { spawn } from 'node:child_process';

const live = new Set();
let installed = false;
let stopping = false;

/** True once a signal asked the bench to stop (errors from dying children are expected then). */
export function isStopping() {
  return stopping;
}

/**
 * Spawns `file args` through `sh` with the open-file limit raised to the hard limit (a holder
 * keeps up to 20,000 sockets open), tracks it, and returns the child.
 */
export function spawnTracked(file, args, options = {}) {
  return track(spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', file, ...args], options));
}

/** Tracks a child started elsewhere (ended with the bench, as spawnTracked's are); returns it. */
export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  installCleanup();
  return child;
}

/** Ends one child: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Ends every tracked child that is still running. */
export async function stopAll() {
  await Promise.all([...live].map((c) => stopChild(c, 2000)));
}

/** Kills every tracked child right now (for `exit`, where nothing asynchronous runs). */
function killAllNow() {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/**
 * Ends every child on exit and on SIGINT/SIGTERM/SIGHUP (then exits 130). Call it first thing:
 * as the first process of a pid namespace the bench gets no signal it has no handler for.
 */
export function installCleanup() {
  if (installed) return;
  installed = true;
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\nbench: ${signal}, stopping ${live.size} child process(es)\n`);
      stopAll().finally(() => process.exit(130));
    });
  }
}

/**
 * Runs a bench script's `main(argv)` and exits with its code; on a failure, stops every child
 * and prints one line (`<label>: message` for a BenchError, exit 2; the stack otherwise, exit 1).
 */
export function runMain(label, main, isBenchError) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code ?? 0),
    async (err) => {
      if (isStopping()) return; // a signal is already ending the bench; children dying is expected
      await stopAll();
      process.stderr.write(isBenchError(err) ? `${label}: ${err.message}\n` : `${label} failed: ${err.stack ?? err}\n`);
      process.exit(isBenchError(err) ? 2 : 1);
    },
  );
}
