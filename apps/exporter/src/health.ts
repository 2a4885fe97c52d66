import type { HealthRegistry } from '@sockscope/core';

/** A map of component health facts that sinks publish and /health shows. */
export function createHealthRegistry(): HealthRegistry {
  const facts = new Map<string, Record<string, unknown>>();
  return {
    set: (component, f) => void facts.set(component, { ...facts.get(component), ...f }),
    all: () => Object.fromEntries(facts),
  };
}
