import type { AddressSpace } from '../net/address-space.js';
/** Transport protocol of a socket. */
export type Protocol = 'tcp' | 'udp' | 'raw' | 'unix';

/** Address family of a socket: IPv4, IPv6 or a Unix domain socket. */
export type Family = 'ipv4' | 'ipv6' | 'unix';

/**
 * Socket state, with the kernel's TCP state names. UDP and raw sockets use `ESTABLISHED`
 * (connected) or `CLOSE` (unconnected); a Unix socket may also be `LISTEN`.
 */
export type SocketState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'NEW_SYN_RECV'
  | 'UNKNOWN';

/** Kernel TCP state numbers (include/net/tcp_states.h), index = number. */
export const TCP_STATES: readonly SocketState[] = [
  'UNKNOWN',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
];

/** Maps a kernel TCP state number to its name; unknown numbers become `UNKNOWN`. */
export function tcpStateName(n: number): SocketState {
  return TCP_STATES[n] ?? 'UNKNOWN';
}

/** One side of a connection. */
export interface Endpoint {
  /** Textual address: dotted IPv4, compressed IPv6 (v4-mapped addresses stay IPv6), or a Unix path. */
  address: string;
  /** Port number, 0 when none. */
  port: number;
}

/**
 * Fields of the kernel's `struct tcp_info` (linux/tcp.h) and of FreeBSD's xtcpcb that we read.
 * Every field is optional: a field is set only when the kernel sent enough bytes to hold it.
 * Units are in the name (Us = microseconds, Ms = milliseconds); u64 fields are bigint.
 */
export interface TcpInfo {
  /** tcpi_ca_state: congestion avoidance state (0 open, 1 disorder, 2 cwr, 3 recovery, 4 loss). */
  caState?: number;
  /** tcpi_retransmits: consecutive retransmits of the current segment. */
  retransmits?: number;
  /** tcpi_probes: unanswered zero-window probes. */
  probes?: number;
  /** tcpi_backoff: exponential backoff of the retransmit timer. */
  backoff?: number;
  /** tcpi_options: negotiated options bit set (TCPI_OPT_*). */
  options?: number;
  /** tcpi_snd_wscale: send window scale. */
  sndWscale?: number;
  /** tcpi_rcv_wscale: receive window scale. */
  rcvWscale?: number;
  /** tcpi_delivery_rate_app_limited: the delivery rate sample was application limited. */
  deliveryRateAppLimited?: boolean;
  /** tcpi_rto in microseconds. */
  rtoUs?: number;
  /** tcpi_ato in microseconds. */
  atoUs?: number;
  /** tcpi_snd_mss in bytes. */
  sndMss?: number;
  /** tcpi_rcv_mss in bytes. */
  rcvMss?: number;
  /** tcpi_unacked: segments sent and not yet acknowledged. */
  unacked?: number;
  /** tcpi_sacked: segments selectively acknowledged. */
  sacked?: number;
  /** tcpi_lost: segments presumed lost. */
  lost?: number;
  /** tcpi_retrans: segments retransmitted and not yet acknowledged. */
  retrans?: number;
  /** tcpi_fackets (unused by modern kernels). */
  fackets?: number;
  /** tcpi_last_data_sent: ms since data was last sent. */
  lastDataSentMs?: number;
  /** tcpi_last_ack_sent: ms since an ack was last sent (unused by Linux). */
  lastAckSentMs?: number;
  /** tcpi_last_data_recv: ms since data was last received. */
  lastDataRecvMs?: number;
  /** tcpi_last_ack_recv: ms since an ack was last received. */
  lastAckRecvMs?: number;
  /** tcpi_pmtu: path MTU in bytes. */
  pmtu?: number;
  /** tcpi_rcv_ssthresh in bytes. */
  rcvSsthresh?: number;
  /** tcpi_rtt: smoothed round-trip time in microseconds. */
  rttUs?: number;
  /** tcpi_rttvar: round-trip time variance in microseconds. */
  rttvarUs?: number;
  /** tcpi_snd_ssthresh in segments (0x7fffffff means "infinite"). */
  sndSsthresh?: number;
  /** tcpi_snd_cwnd: congestion window in segments. */
  sndCwnd?: number;
  /** tcpi_advmss: advertised MSS in bytes. */
  advmss?: number;
  /** tcpi_reordering: reordering metric in segments. */
  reordering?: number;
  /** tcpi_rcv_rtt: receiver-side RTT estimate in microseconds. */
  rcvRttUs?: number;
  /** tcpi_rcv_space: receive buffer space estimate in bytes. */
  rcvSpace?: number;
  /** tcpi_total_retrans: segments retransmitted over the connection's life. */
  totalRetrans?: number;
  /** tcpi_pacing_rate in bytes per second (all-ones = unlimited). */
  pacingRate?: bigint;
  /** tcpi_max_pacing_rate in bytes per second (all-ones = unlimited). */
  maxPacingRate?: bigint;
  /** tcpi_bytes_acked: bytes acknowledged by the peer. */
  bytesAcked?: bigint;
  /** tcpi_bytes_received: bytes received in order. */
  bytesReceived?: bigint;
  /** tcpi_segs_out: segments sent. */
  segsOut?: number;
  /** tcpi_segs_in: segments received. */
  segsIn?: number;
  /** tcpi_notsent_bytes: bytes queued and not yet sent. */
  notsentBytes?: number;
  /** tcpi_min_rtt: minimum RTT seen, microseconds. */
  minRttUs?: number;
  /** tcpi_data_segs_in: segments with data received. */
  dataSegsIn?: number;
  /** tcpi_data_segs_out: segments with data sent. */
  dataSegsOut?: number;
  /** tcpi_delivery_rate in bytes per second. */
  deliveryRate?: bigint;
  /** tcpi_busy_time: microseconds busy sending data. */
  busyTimeUs?: bigint;
  /** tcpi_rwnd_limited: microseconds limited by the receive window. */
  rwndLimitedUs?: bigint;
  /** tcpi_sndbuf_limited: microseconds limited by the send buffer. */
  sndbufLimitedUs?: bigint;
  /** tcpi_delivered: segments delivered. */
  delivered?: number;
  /** tcpi_delivered_ce: segments delivered with ECN CE marks. */
  deliveredCe?: number;
  /** tcpi_bytes_sent: bytes sent including retransmissions. */
  bytesSent?: bigint;
  /** tcpi_bytes_retrans: bytes retransmitted. */
  bytesRetrans?: bigint;
  /** tcpi_dsack_dups: DSACK blocks received. */
  dsackDups?: number;
  /** tcpi_reord_seen: reordering events seen. */
  reordSeen?: number;
  /** tcpi_rcv_ooopack: out-of-order packets received. */
  rcvOoopack?: number;
  /** tcpi_snd_wnd: peer's advertised receive window in bytes. */
  sndWnd?: number;
  /** tcpi_rcv_wnd: our advertised receive window in bytes. */
  rcvWnd?: number;
  /** tcpi_rehash: PLB or timeout-triggered rehash attempts. */
  rehash?: number;
  /** tcpi_total_rto: RTO timeouts over the connection's life. */
  totalRto?: number;
  /** tcpi_total_rto_recoveries: RTO recoveries. */
  totalRtoRecoveries?: number;
  /** tcpi_total_rto_time: ms spent in RTO recoveries. */
  totalRtoTimeMs?: number;
}

/** Socket memory as INET_DIAG_SKMEMINFO reports it (SK_MEMINFO_*), bytes. */
export interface SocketMemory {
  /** Receive memory allocated. */
  rmemAlloc: number;
  /** Receive buffer size. */
  rcvbuf: number;
  /** Send memory allocated. */
  wmemAlloc: number;
  /** Send buffer size. */
  sndbuf: number;
  /** Forward-allocated memory. */
  fwdAlloc: number;
  /** Send memory queued. */
  wmemQueued: number;
  /** Option memory. */
  optmem: number;
  /** Backlog queue length. */
  backlog: number;
  /** Dropped packets. */
  drops: number;
}

/** A socket timer as /proc/net/tcp or inet_diag reports it. */
export interface SocketTimer {
  /** 0 none, 1 retransmit/probe, 2 keepalive, 3 TIME_WAIT, 4 zero window probe. */
  kind: number;
  /** Milliseconds until it fires (negative when overdue). */
  expiresMs: number;
  /** Retransmits (or probes) counted by the timer. */
  retransmits: number;
}

/** The process that owns a socket. */
export interface ProcessInfo {
  /** Process id. */
  pid: number;
  /** Parent process id, when known. */
  ppid?: number;
  /** Short command name (comm). */
  comm: string;
  /** Full command line, arguments joined by spaces. */
  cmdline?: string;
  /** Real user id of the process. */
  uid?: number;
  /** Start time in clock ticks since boot (tells a reused pid apart). */
  startTime?: number;
}

/**
 * Where the owning process runs and what people call it: cgroup, container, pod, systemd unit.
 * The ids come from /proc/<pid>/cgroup; the names from the container runtime's state on disk
 * (OCI bundle config.json, Docker's config.v2.json), read once per container id.
 */
export interface ContainerInfo {
  /** Container id (64 hex chars) when the process runs in a container. */
  id?: string;
  /** Container runtime: docker, containerd, cri-o, podman. */
  runtime?: string;
  /** systemd unit (service or scope) the process belongs to, as systemd spells it (`nginx.service`). */
  systemdUnit?: string;
  /** Kind of that unit: service, scope, slice, socket, mount… */
  unitKind?: string;
  /** The unit's human name: no suffix, escapes decoded (`nginx.service` → `nginx`). */
  unitName?: string;
  /** Kubernetes pod UID (dashes restored). */
  podUid?: string;
  /** Kubernetes QoS class: guaranteed, burstable, besteffort. */
  qosClass?: string;
  /** The cgroup path the facts were read from. */
  cgroupPath?: string;
  /** Container name: the Kubernetes container name, or the Docker/Podman/nerdctl name. */
  name?: string;
  /** Kubernetes pod name (or Podman's kube play pod). */
  pod?: string;
  /** Kubernetes namespace of the pod. */
  namespace?: string;
  /** Image reference as given (`nginx:1.27`), not the digest. */
  image?: string;
  /** Owning workload's name, inferred from the pod name (see `workloadKind`). */
  workload?: string;
  /** Owning workload's kind as inferred from the pod name: Deployment, StatefulSet, DaemonSet, CronJob. */
  workloadKind?: string;
  /** `sandbox` for a pod's pause/infra container, `container` for an app container. */
  containerType?: 'container' | 'sandbox';
  /** Docker Compose project and service, from the container's labels. */
  composeProject?: string;
  composeService?: string;
  /** Who runs the container: kubernetes, compose, docker, podman, containerd (plain `ctr`/nerdctl). */
  orchestrator?: string;
}

/** Which way a connection goes, as netdata's network viewer classifies it. */
export type Direction = 'listen' | 'inbound' | 'outbound' | 'local';

/** One socket as a collector read it, later completed by enrichers. */
export interface SocketRecord {
  /** Transport protocol. */
  protocol: Protocol;
  /** Address family. */
  family: Family;
  /** Socket state. */
  state: SocketState;
  /** Local endpoint. */
  local: Endpoint;
  /** Remote endpoint (address `0.0.0.0`/`::` and port 0 when unconnected). */
  remote: Endpoint;
  /** Socket inode (0 for TIME_WAIT and request sockets). */
  inode: number;
  /** Owner uid of the socket. */
  uid: number;
  /** Bytes in the receive queue; for a listener, connections waiting in the accept queue. */
  recvQueue: number;
  /** Bytes in the send queue; for a listener, the accept backlog limit. */
  sendQueue: number;
  /** Kernel socket cookie (unique while the socket lives), when the source has one. */
  cookie?: bigint;
  /** Network namespace inode the socket lives in; absent means the collector's own namespace. */
  netns?: number;
  /** Name of the network namespace (from /run/netns), when known. */
  netnsName?: string;
  /** Interface the socket is bound to (0 = any). */
  ifindex?: number;
  /** Pending timer, when the source reports one. */
  timer?: SocketTimer;
  /** IPV6_V6ONLY on an IPv6 socket. */
  v6only?: boolean;
  /** Shutdown state bits (1 = receive shut down, 2 = send shut down). */
  shutdown?: number;
  /** Congestion control algorithm name (cubic, bbr…). */
  congestion?: string;
  /** Socket memory accounting. */
  memory?: SocketMemory;
  /** TCP internals; absent for non-TCP sockets or when the source cannot read them. */
  tcp?: TcpInfo;
  /** Owning process, set by the process enricher. */
  process?: ProcessInfo;
  /** Cgroup, container and pod of the owning process, set by the container enricher. */
  container?: ContainerInfo;
  /** Direction of the connection, set by the direction enricher. */
  direction?: Direction;
  /**
   * Set on a socket the kernel destroyed (a sock_diag destroy event): when the event was read,
   * ms since the epoch. Its `tcp` is the final tcp_info. Absent on sockets alive when read.
   */
  closedAt?: number;
  /** Address space of the local address, set by the direction enricher. */
  localSpace?: AddressSpace;
  /** Address space of the remote address (`unspecified` when unconnected), set by the direction enricher. */
  remoteSpace?: AddressSpace;
}
