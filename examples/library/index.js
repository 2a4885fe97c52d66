#!/usr/bin/env node
// Lists this host's TCP sockets with their round-trip time and owning process, using sockscope's
// packages directly, without the agent: a collector streams records, an enricher adds the owner
// to each as it passes, and the loop below is the "fold" that keeps what it wants of each.
//   node index.js [--port N]      (root, or CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH for other users' processes)
import { createPluginContext } from '@sockscope/core';
import { linuxNetlinkCollector } from '@sockscope/collector-linux-netlink';
import { processEnricher } from '@sockscope/collector-linux-procfs';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : undefined;
if (portArg > 0 && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  process.stderr.write('usage: index.js [--port N]   (N: a TCP port, 1-65535)\n');
  process.exit(2);
}

// createPluginContext validates the config against the plugin's schema and fills its defaults.
const collector = await linuxNetlinkCollector.create(createPluginContext(linuxNetlinkCollector, { protocols: ['tcp'] }));
const enricher = await processEnricher.create(createPluginContext(processEnricher));
const signal = AbortSignal.timeout(10_000);
try {
  const owners = await enricher.prepare(signal); // one scan of /proc/*/fd, before the dump
  const rows = [];
  const result = await collector.stream(signal, (s) => {
    owners.enrich(s);
    if (s.state !== 'ESTABLISHED') return;
    if (port !== undefined && s.local.port !== port && s.remote.port !== port) return;
    rows.push({
      local: `${s.local.address}:${s.local.port}`,
      remote: `${s.remote.address}:${s.remote.port}`,
      rtt_ms: s.tcp?.rttUs === undefined ? '' : (s.tcp.rttUs / 1000).toFixed(3),
      process: s.process ? `${s.process.comm}[${s.process.pid}]` : '',
    });
  });
  for (const w of [...(result.warnings ?? []), ...(owners.finish().warnings ?? [])]) process.stderr.write(`warning: ${w.code}: ${w.message}\n`);
  const cols = ['local', 'remote', 'rtt_ms', 'process'];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => r[c].length))]));
  const line = (r) => cols.map((c) => r[c].padEnd(width[c])).join('  ').trimEnd();
  process.stdout.write(`${line(Object.fromEntries(cols.map((c) => [c, c])))}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
} finally {
  await Promise.allSettled([collector.close(), enricher.close()]);
}
