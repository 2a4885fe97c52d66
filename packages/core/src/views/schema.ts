// The JSON Schema (draft-07, what core's ajv speaks) of the connections answer, version 1. It
// documents `GET /api/v1/connections` and `sockscope connections --json`; views.test.ts checks
// every view's answers against it with ajv.

const count = { type: 'integer', minimum: 0 } as const;
const num = { type: 'number', minimum: 0 } as const;
const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const str = { type: 'string' } as const;
const direction = { enum: ['listen', 'inbound', 'outbound', 'local-inbound', 'local-outbound', ''] } as const;
const protocol = { enum: ['tcp4', 'tcp6', 'tcp46', 'udp4', 'udp6', 'udp46'] } as const;
const space = { enum: ['unspecified', 'loopback', 'link_local', 'multicast', 'private', 'public'] } as const;
const state = {
  enum: ['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'UNKNOWN'],
} as const;
const tally = { type: 'object', additionalProperties: count } as const;

const detailedRow = {
  type: 'object',
  additionalProperties: false,
  required: ['direction', 'protocol', 'state', 'netns', 'uid', 'local_ip', 'local_port', 'local_space', 'remote_ip', 'remote_port', 'remote_space', 'server_port', 'recv_queue', 'send_queue', 'inode'],
  properties: {
    direction,
    protocol,
    state,
    netns: { type: 'string', minLength: 1, description: 'namespace name, else its inode, else system' },
    pid: { type: 'integer', minimum: 1 },
    process: { type: 'string', description: 'command name (comm)' },
    cmdline: { type: 'string', description: 'shortened with … unless cmdline=full' },
    uid: count,
    user: str,
    container: { type: 'string', description: 'name, else the first 12 characters of the id' },
    pod: str,
    namespace: str,
    image: str,
    unit: { type: 'string', description: 'systemd unit' },
    local_ip: str,
    local_port: port,
    local_space: space,
    remote_ip: str,
    remote_port: port,
    remote_space: space,
    server_port: { ...port, description: 'local port for listen/inbound/local-inbound, remote port for outbound/local-outbound' },
    port_name: { type: 'string', description: '/etc/services name of server_port' },
    rtt_ms: num,
    rttvar_ms: num,
    min_rtt_ms: num,
    rcv_rtt_ms: num,
    cwnd: count,
    ssthresh: count,
    mss: count,
    rto_ms: num,
    delivery_rate_bps: { ...num, description: 'bytes per second' },
    retransmits: { ...count, description: 'tcpi_retransmits: consecutive retransmits of the current segment' },
    total_retransmits: count,
    lost: count,
    unacked: count,
    sacked: count,
    bytes_acked: count,
    bytes_received: count,
    recv_queue: count,
    send_queue: count,
    inode: count,
    cookie: { type: 'string', pattern: '^[0-9]+$', description: 'kernel socket cookie, decimal' },
    age_seconds: { ...num, description: 'since this agent first saw the socket, when an earlier collection saw it' },
  },
} as const;

const aggregatedRow = {
  type: 'object',
  additionalProperties: false,
  required: ['uid', 'direction', 'netns', 'state', 'protocol', 'server_ip', 'server_port', 'client_space', 'server_space', 'count', 'recv_queue', 'send_queue'],
  properties: {
    process: str,
    uid: count,
    user: str,
    direction,
    netns: { type: 'string', minLength: 1 },
    state,
    protocol,
    server_ip: str,
    server_port: port,
    port_name: str,
    client_space: space,
    server_space: space,
    count: { type: 'integer', minimum: 1 },
    rtt_ms: { ...num, description: 'max' },
    rttvar_ms: { ...num, description: 'max' },
    rcv_rtt_ms: { ...num, description: 'max' },
    recv_queue: { ...count, description: 'max' },
    send_queue: { ...count, description: 'max' },
    total_retransmits: { ...count, description: 'sum' },
    lost: { ...count, description: 'sum' },
    unacked: { ...count, description: 'sum' },
    sacked: { ...count, description: 'sum' },
    cwnd: { ...count, description: 'min' },
    ssthresh: { ...count, description: 'min' },
    mss: { ...count, description: 'min' },
    rto_ms: { ...num, description: 'min' },
  },
} as const;

const actor = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'label', 'sockets'],
  properties: {
    id: { type: 'string', minLength: 1 },
    kind: { enum: ['host', 'process', 'container', 'endpoint'] },
    label: str,
    pid: { type: 'integer', minimum: 1 },
    process: str,
    container: str,
    address: str,
    space,
    sockets: count,
    labels: {
      type: 'object',
      description: 'with labels=: per asked row field, its distinct values over the actor\'s sockets, sorted, at most 10',
      additionalProperties: { type: 'array', maxItems: 10, items: { type: 'string' } },
    },
    labels_truncated: { const: true, description: 'a label had more than 10 values and was cut' },
  },
} as const;

const link = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'target', 'protocol', 'state', 'sockets', 'retransmits'],
  properties: {
    source: { type: 'string', minLength: 1, description: 'client actor id' },
    target: { type: 'string', minLength: 1, description: 'server actor id' },
    protocol,
    state,
    sockets: { type: 'integer', minimum: 1 },
    retransmits: count,
    max_rtt_ms: num,
  },
} as const;

/** JSON Schema (draft-07) of the answer of `GET /api/v1/connections`, version 1. */
export const connectionsAnswerSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://sockscope.dev/schemas/connections-answer-v1.json',
  title: 'sockscope connections answer, version 1',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'view', 'timestamp', 'hostname', 'collection', 'counts', 'truncated', 'limit'],
  properties: {
    version: { const: 1 },
    view: { enum: ['detailed', 'aggregated', 'topology'] },
    timestamp: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z$' },
    hostname: str,
    collection: {
      type: 'object',
      additionalProperties: false,
      required: ['duration_seconds', 'complete', 'collectors'],
      properties: {
        duration_seconds: num,
        complete: { type: 'boolean' },
        collectors: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'success'],
            properties: { name: str, success: { type: 'boolean' }, error: str },
          },
        },
      },
    },
    counts: {
      type: 'object',
      additionalProperties: false,
      required: ['sockets', 'matched', 'by_direction', 'by_protocol', 'by_process'],
      properties: {
        sockets: { ...count, description: 'TCP and UDP sockets of the collection' },
        matched: { ...count, description: 'sockets the filters kept' },
        by_direction: tally,
        by_protocol: tally,
        by_process: { ...tally, description: 'the 20 commands with most matched sockets, the rest under other; (none) for no known process' },
      },
    },
    truncated: { type: 'boolean', description: 'rows (or topology links) beyond limit were left out' },
    limit: { type: 'integer', minimum: 0, maximum: 100000 },
    rows: { type: 'array' },
    topology: {
      type: 'object',
      additionalProperties: false,
      required: ['group_by', 'actors', 'links'],
      properties: {
        group_by: { enum: ['process_name', 'pid', 'container'] },
        actors: { type: 'array', items: actor },
        links: { type: 'array', items: link },
      },
    },
  },
  allOf: [
    { if: { properties: { view: { const: 'detailed' } } }, then: { required: ['rows'], properties: { rows: { type: 'array', items: detailedRow }, topology: false } } },
    { if: { properties: { view: { const: 'aggregated' } } }, then: { required: ['rows'], properties: { rows: { type: 'array', items: aggregatedRow }, topology: false } } },
    { if: { properties: { view: { const: 'topology' } } }, then: { required: ['topology'], properties: { topology: true, rows: false } } },
  ],
} as const;
