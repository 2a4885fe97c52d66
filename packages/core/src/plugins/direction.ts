import { defineEnricher } from '../contracts/enricher.js';
import { DirectionBook } from '../enrichers/direction.js';
import type { SocketRecord } from '../types/socket.js';
import { directionConfigSchema, type DirectionEnricherConfig } from './direction-config.js';

/**
 * Classifies each socket as listen, inbound (its local port is a listening port in its network
 * namespace), outbound, or local (its peer is this host), as netdata's network viewer does.
 *
 * Streamed, each socket is classified as it arrives: listening sockets come first, so inbound
 * and outbound are decided as on a whole snapshot; `local` knows loopback, the socket's own
 * address and every address a socket read before it was bound to. A connection between two
 * different non-loopback addresses of this host, from a source address bound by hand, comes
 * out inbound or outbound when its peer socket is read after it.
 */
export const directionEnricher = defineEnricher<DirectionEnricherConfig>({
  name: 'direction',
  description: 'Direction of each socket: listen, inbound, outbound or local (peer on this host)',
  platforms: ['any'],
  defaultEnabled: true,
  after: ['process', 'container'],
  configSchema: directionConfigSchema,
  create() {
    return {
      async prepare() {
        const book = new DirectionBook();
        return {
          enrich(s: SocketRecord) {
            book.learn(s);
            const d = book.classify(s);
            if (d) s.direction = d;
          },
          finish: () => ({}),
        };
      },
      async close() {
        // stateless
      },
    };
  },
});
