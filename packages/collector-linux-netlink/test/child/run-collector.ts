// Runs the collector in a child process whose privileges or limits a test changed (setpriv,
// prlimit), and prints one JSON line of what happened. Bundled by test/child/bundle.ts.
import { readFileSync } from 'node:fs';

const mode = process.argv[2] ?? 'collect';
const config = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
const koffiMapped = (): boolean => readFileSync('/proc/self/maps', 'utf8').includes('koffi');
const notices: string[] = [];
const { createPluginContext, listSockets } = await import('@sockscope/core');
const { linuxNetlinkCollector } = await import('../../src/index.js');
const out: Record<string, unknown> = { koffiAfterImport: koffiMapped() };
try {
  // As the agent builds it: the config validated, the schema's defaults filled in.
  const ctx = createPluginContext(linuxNetlinkCollector, config, {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    reportOnce: (_key, message) => void notices.push(message),
  });
  if (mode === 'exhaust-fds') {
    // Load koffi first (one successful create), then use up every fd so socket() fails.
    await (await linuxNetlinkCollector.create(ctx)).close();
    const { openSync } = await import('node:fs');
    try {
      for (;;) openSync('/dev/null', 'r');
    } catch {
      // EMFILE: the table is full
    }
  }
  const c = await linuxNetlinkCollector.create(ctx);
  out.koffiAfterCreate = koffiMapped();
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const r = await listSockets(c);
    runs.push({ netns: [...new Set(r.sockets.map((s) => s.netns))], count: r.sockets.length, warnings: r.warnings ?? [] });
  }
  await c.close();
  out.runs = runs;
} catch (err) {
  out.error = { code: (err as { code?: string }).code, message: (err as Error).message };
}
out.notices = notices;
console.log(JSON.stringify(out));
process.exit(0);
