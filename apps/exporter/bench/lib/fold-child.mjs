// One netlink collection path in a fresh process, so that its memory growth is its own:
// `fold-child.mjs fold|list COLLECTIONS`. `fold` streams records into the flow renderer as
// they are parsed (what the agent does by default); `list` lists every record first (listSockets) and
// folds the list (foldRecords). Prints one JSON line: resident set before the first collection and its
// peak over all of them (MB, VmRSS/VmHWM), time of each collection, sockets and series.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMetricFold, foldRecords, listSockets } from '@sockscope/core';
import { linuxNetlinkCollector } from '@sockscope/collector-linux-netlink';
import { memoryOf } from './agents.mjs';
import { contextFor } from './in-process.mjs';

const [mode, countText] = process.argv.slice(2);
const collections = Number(countText);
if ((mode !== 'fold' && mode !== 'list') || !(collections >= 1)) {
  process.stderr.write('usage: fold-child.mjs fold|list COLLECTIONS\n');
  process.exit(2);
}
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const seriesIn = (families) => families.reduce((n, f) => n + (f.samples?.length ?? 0) + (f.histograms?.length ?? 0), 0);

const collector = await linuxNetlinkCollector.create(contextFor(linuxNetlinkCollector));
const renderer = createMetricFold();
gc();
await new Promise((resolve) => setTimeout(resolve, 20));
const baseMb = memoryOf(process.pid).rssMb;
writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := VmRSS, so the peak is this run's
const ms = [];
let sockets = 0;
let series = 0;
for (let i = 0; i < collections; i++) {
  const start = performance.now();
  let families;
  if (mode === 'fold') {
    sockets = 0;
    renderer.begin(Date.now());
    await collector.stream(AbortSignal.timeout(60_000), (s) => {
      sockets++;
      renderer.add(s);
    });
    families = renderer.end();
  } else {
    const r = await listSockets(collector, AbortSignal.timeout(60_000));
    sockets = r.sockets.length;
    families = foldRecords(renderer, Date.now(), r.sockets);
  }
  ms.push(performance.now() - start);
  series = seriesIn(families);
}
const peakMb = memoryOf(process.pid).peakMb;
await collector.close();
process.stdout.write(JSON.stringify({ mode, baseMb, peakMb, ms, sockets, series }) + '\n');
