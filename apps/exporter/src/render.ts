import { lookup } from 'node:dns/promises';
import { createFlowRenderer, renderHostFamilies, type FlowRenderer, type FlowsConfig, type MetricFamily, type Snapshot } from '@sockscope/core';

/** Resolves a selection host name to every address it has (A and AAAA). */
async function resolveHost(name: string): Promise<string[]> {
  const found = await lookup(name, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** The snapshot renderer and the flow renderer behind it (for its notices). */
export interface Renderer {
  /** Turns a snapshot into every family sinks publish. */
  render: (snapshot: Snapshot) => MetricFamily[];
  /** The stateful flow renderer. */
  flows: FlowRenderer;
}

/** Builds the snapshot renderer: flow families and aggregates (or a streamed collection's fold), host families, then collector families. */
export function createRenderer(flows: Partial<FlowsConfig> = {}): Renderer {
  const flowRenderer = createFlowRenderer(flows, { resolveHost });
  return {
    flows: flowRenderer,
    // A streamed collection was folded while it was read: its flow families are ready.
    render: (snapshot) => [...(snapshot.folded?.families ?? flowRenderer.render(snapshot)), ...renderHostFamilies(snapshot.host), ...snapshot.families],
  };
}
