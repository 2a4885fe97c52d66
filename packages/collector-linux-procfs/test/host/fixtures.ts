import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Root of the host fixtures: `real/` was copied from this kernel, `malformed/` is hand-made, `broken/` is real with one malformed file. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/host/', import.meta.url));

/** Reads a fixture file as text. */
export function fixture(rel: string): string {
  return readFileSync(`${FIXTURES}${rel}`, 'utf8');
}
