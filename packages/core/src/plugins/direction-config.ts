import type { ConfigOf } from '../contracts/schema.js';

/** JSON Schema of the direction enricher's config (no options yet). */
export const directionConfigSchema = { type: 'object', additionalProperties: false, properties: {} } as const;

/** Options of the direction enricher (none yet). */
export type DirectionEnricherConfig = ConfigOf<typeof directionConfigSchema>;
