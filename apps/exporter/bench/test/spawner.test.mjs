// The bench's spawner: the timed reference commands run from a small process of their own, never
// forked from the bench's (see lib/spawner.mjs). Run with: node --test apps/exporter/bench/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { commandOutput, GNU_TIME, peakRssOfCommand, timeCommand } from '../lib/measure.mjs';
import { spawner } from '../lib/spawner.mjs';

test('commands are started by the spawner, a process other than this one', async () => {
  const parent = Number((await commandOutput('sh', ['-c', 'echo $PPID'])).trim());
  assert.equal(parent, spawner().pid);
  assert.notEqual(parent, process.pid);
  // the spawner itself is our child, started with Node's plain flags
  const status = await commandOutput('cat', [`/proc/${spawner().pid}/status`]);
  assert.equal(Number(/^PPid:\s+(\d+)/m.exec(status)[1]), process.pid);
});

test('timeCommand counts every byte of output and times the command from spawn to exit', async () => {
  const r = await timeCommand('head', ['-c', '300000', '/dev/zero']);
  assert.equal(r.bytes, 300_000);
  const slept = await timeCommand('sleep', ['0.2']);
  assert.ok(slept.ms >= 195, `sleep 0.2 timed at ${slept.ms} ms`);
  // several at once each get their own answer
  const both = await Promise.all([timeCommand('head', ['-c', '10', '/dev/zero']), timeCommand('head', ['-c', '20', '/dev/zero'])]);
  assert.deepEqual(both.map((b) => b.bytes), [10, 20]);
});

test('a failing command names itself, its exit and its stderr; a missing one rejects', async () => {
  await assert.rejects(timeCommand('sh', ['-c', 'echo broken >&2; exit 3']), /sh -c echo broken >&2; exit 3 exited with 3: broken/);
  await assert.rejects(commandOutput('sh', ['-c', 'echo no >&2; kill -9 $$']), /exited with SIGKILL: no/);
  await assert.rejects(timeCommand('/nonexistent/ss', []), /ENOENT/);
});

test('peakRssOfCommand reads the command\'s peak resident set from GNU time', { skip: !existsSync(GNU_TIME) && `${GNU_TIME} is not installed` }, async () => {
  const mb = await peakRssOfCommand(process.execPath, ['-e', 'Buffer.alloc(64 << 20, 1)']);
  assert.ok(mb >= 64 && mb < 1024, `peak ${mb} MB for a process that filled 64 MB`);
});

test('when the spawner is gone, the next run says so instead of waiting', async () => {
  const pid = spawner().pid;
  const pending = timeCommand('sleep', ['5']);
  process.kill(pid, 'SIGKILL');
  await assert.rejects(pending, /spawner exited \(SIGKILL\)/);
  await assert.rejects(timeCommand('true', []), /spawner exited \(SIGKILL\)/);
});
