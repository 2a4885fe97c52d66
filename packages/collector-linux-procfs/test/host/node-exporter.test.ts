import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, sideBySide, type Comparison } from './compare.js';
import { NODE_EXPORTER, startNodeExporter, type RunningExporter } from './node-exporter.js';

const available = process.platform === 'linux' && existsSync(NODE_EXPORTER);
const skipReason = available ? '' : ` (skipped: ${NODE_EXPORTER} is not installed; apt-get install prometheus-node-exporter)`;

describe('host families against Debian prometheus-node-exporter on this host' + skipReason, () => {
  let exporter: RunningExporter | undefined;

  beforeAll(async () => {
    if (available) exporter = await startNodeExporter();
  }, 15_000);
  afterAll(async () => {
    await exporter?.stop();
  });

  it.skipIf(!available)('publishes every family node_exporter does, with the same names, types, HELP and label sets', async () => {
    const side = await sideBySide(exporter as RunningExporter, {});
    expect(side.warnings).toEqual([]);
    expect(side.ne.size).toBeGreaterThan(100);
    const c = compare(side);
    expect(c.missing).toEqual([]);
    expect(c.extra).toEqual([]);
    expect(c.structure).toEqual([]);
  });

  it.skipIf(!available)('agrees on every value within the change between two sockscope reads', async () => {
    // Other processes share this kernel; a gauge can jump and come back inside one window.
    // Three windows are allowed; a real disagreement fails all three.
    let c: Comparison | undefined;
    for (let attempt = 0; attempt < 3 && (!c || c.values.length > 0); attempt++) c = compare(await sideBySide(exporter as RunningExporter, {}));
    expect(c?.compared).toBeGreaterThan(150);
    expect(c?.values).toEqual([]);
  });
});
