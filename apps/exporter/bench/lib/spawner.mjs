// Every reference command the bench times (ss, ss under GNU time, the fold children) is started
// by one small process of its own, never by the bench's process. The bench grows to hundreds of
// MB (it reads the scrapes, runs the collectors in-process); a fork from it write-protects all of
// that, and its next work — reading the very scrape being timed, an in-process collection — takes
// a copy-on-write fault per page it writes. Measured with a ~200 MB client at 10,000 connections
// (raw_endpoint): a scrape right after the client itself started `ss` 428 ms (8,662 client page
// faults during it), right after a small helper started `ss` for it 152 ms (304), back to back
// 170 ms. The spawner times each command itself, spawn to close, so the IPC is not in the time.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './children.mjs';

const CHILD = fileURLToPath(new URL('./spawner-child.mjs', import.meta.url));

let shared;

/**
 * The bench's spawner, started on the first call: call it early, while the bench's process is
 * small (run.mjs does, first thing), since starting it is a fork too. `run(kind, file, args)`
 * resolves the child's answer (see spawner-child.mjs); rejects when the spawner is gone.
 */
export function spawner() {
  if (shared) return shared;
  // plain Node flags: no inherited --max-old-space-size and the like, a small process
  const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  track(child);
  const waiting = new Map();
  let next = 0;
  let gone;
  const fail = (err) => {
    gone = err;
    for (const { reject } of waiting.values()) reject(err);
    waiting.clear();
  };
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (waiting.size === 0) hold(false);
    if (m.error !== undefined) w.reject(new Error(m.error));
    else w.resolve(m);
  });
  child.once('error', (err) => fail(new Error(`the bench's spawner failed: ${err.message}`)));
  child.once('exit', (code, signal) => fail(new Error(`the bench's spawner exited (${signal ?? `code ${code}`})`)));
  // an idle spawner does not keep the bench (or a test) running; a pending request does, until
  // its answer or the spawner's exit
  const hold = (on) => {
    if (on) child.ref();
    else child.unref();
    if (child.connected) child.channel[on ? 'ref' : 'unref']();
  };
  hold(false);
  shared = {
    pid: child.pid,
    run(kind, file, args) {
      if (gone) return Promise.reject(gone);
      return new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        hold(true);
        child.send({ id, kind, file, args }, (err) => {
          if (!err || !waiting.delete(id)) return;
          if (waiting.size === 0) hold(false);
          reject(new Error(`the bench's spawner did not take ${file}: ${err.message}`));
        });
      });
    },
  };
  return shared;
}
