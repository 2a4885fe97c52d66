export { ConnectionRow, rowAgeSeconds, CONNECTION_DIRECTIONS, CONNECTION_PROTOCOLS, type ConnectionDirection, type ConnectionProtocol } from './row.js';
export {
  createConnectionsFold,
  withCollectionFacts,
  type ConnectionsCollection,
  type ConnectionsCollectionFacts,
  type ConnectionsFoldOptions,
  type ConnectionsSnapshot,
} from './connections-fold.js';
export {
  parseConnectionsQuery,
  CONNECTIONS_DEFAULT_LIMIT,
  CONNECTIONS_MAX_LIMIT,
  CONNECTIONS_QUERY_PARAMETERS,
  TOPOLOGY_LABELS,
  type TopologyLabel,
  type ConnectionsQuery,
  type ConnectionsView,
  type TopologyGroupBy,
} from './query.js';
export {
  queryConnections,
  streamConnections,
  BY_PROCESS_TOP,
  NO_PROCESS,
  compileLabelAllow,
  checkLabelsAllowed,
  type ConnectionsAnswerOptions,
  type AggregatedRow,
  type ConnectionsAnswer,
  type DetailedRow,
  type StreamedConnectionsAnswer,
  type TopologyActor,
  type TopologyLink,
} from './answer.js';
export { HOST_ACTOR_ID, TOPOLOGY_LABEL_VALUES_MAX } from './topology.js';
export { connectionsAnswerSchema } from './schema.js';
export { createProtocolsView, hasProtocolCounters, PROTOCOL_COUNTERS, type ProtocolRow, type ProtocolsAnswer } from './protocols.js';
