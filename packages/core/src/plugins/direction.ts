import { defineEnricher } from '../contracts/enricher.js';
import { AddressSpaces, DEFAULT_EPHEMERAL_PORTS, DirectionBook, DirectionMemory } from '../enrichers/direction.js';
import type { SocketRecord } from '../types/socket.js';
import { directionConfigProblems, directionConfigSchema, type DirectionEnricherConfig } from './direction-config.js';

/**
 * Classifies each socket as listen, inbound (its local port is a listening port in its network
 * namespace), outbound, or local (its peer is this host), as netdata's network viewer does.
 *
 * Streamed, each socket is classified as it arrives: listening sockets come first, so inbound
 * and outbound are decided as on a whole snapshot; `local` knows loopback, the socket's own
 * address and every address a socket read before it was bound to. A connection between two
 * different non-loopback addresses of this host, from a source address bound by hand, comes
 * out inbound or outbound when its peer socket is read after it.
 *
 * A connection keeps the inbound or outbound it was first given, by socket (cookie, else inode),
 * for its life: a server that closes its listening socket to drain keeps its accepted connections
 * inbound. One no listener accounts for (first seen after its listener closed) is inbound when its
 * local port is outside `ephemeral_ports` and its peer's port inside. Sockets are forgotten when a
 * complete collection does not see them (see `DirectionMemory`).
 *
 * It also sets each IP socket's `localSpace` and `remoteSpace` (loopback, private, public…, see
 * `addressSpace`; v4-mapped IPv6 as the IPv4 it carries), memoized per address text across
 * collections (`AddressSpaces`, bounded), so a record costs a map lookup per end.
 */
// typed Partial: a context built without the schema's defaults (a test's) is taken too
export const directionEnricher = defineEnricher<Partial<DirectionEnricherConfig>>({
  name: 'direction',
  description: 'Direction of each socket (listen, inbound, outbound or local: peer on this host) and the address space of its two ends',
  platforms: ['any'],
  defaultEnabled: true,
  after: ['process', 'container'],
  configSchema: directionConfigSchema,
  validateConfig: directionConfigProblems,
  create(ctx) {
    // without the schema's defaults applied, the kernel's default range
    const ephemeralPorts = ctx.config.ephemeral_ports ?? DEFAULT_EPHEMERAL_PORTS;
    const memory = new DirectionMemory();
    const spaces = new AddressSpaces();
    return {
      async prepare() {
        const book = new DirectionBook({ ephemeralPorts });
        memory.begin(Date.now());
        return {
          enrich(s: SocketRecord) {
            book.learn(s);
            let d = book.classify(s);
            if (d === 'inbound' || d === 'outbound') d = memory.settle(s, d);
            if (d) s.direction = d;
            spaces.set(s);
          },
          finish: (complete = true) => {
            memory.end(complete);
            return {};
          },
        };
      },
      async close() {
        // nothing held but memory
      },
    };
  },
});
