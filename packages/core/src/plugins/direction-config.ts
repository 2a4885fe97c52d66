import type { ConfigOf, JSONSchemaType } from '../contracts/schema.js';
import { DEFAULT_EPHEMERAL_PORTS, portRangeProblems } from '../enrichers/direction.js';

/** JSON Schema of the direction enricher's config. */
export const directionConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ephemeral_ports: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        "the host's ephemeral ports (net.ipv4.ip_local_port_range): a connection no listener accounts for is inbound when its local port is outside them and its peer's inside",
      properties: {
        from: { type: 'integer', minimum: 1, maximum: 65535, default: DEFAULT_EPHEMERAL_PORTS.from, description: 'first ephemeral port' },
        to: { type: 'integer', minimum: 1, maximum: 65535, default: DEFAULT_EPHEMERAL_PORTS.to, description: 'last ephemeral port' },
      },
    },
  },
} as const satisfies JSONSchemaType;

/** Options of the direction enricher, defaults applied. */
export type DirectionEnricherConfig = ConfigOf<typeof directionConfigSchema>;

/** What the schema cannot check, for the enricher's `validateConfig`: `from` is not above `to`. */
export function directionConfigProblems(config: Readonly<Partial<DirectionEnricherConfig>>): string[] {
  return config.ephemeral_ports ? portRangeProblems(config.ephemeral_ports, 'ephemeral_ports') : [];
}
