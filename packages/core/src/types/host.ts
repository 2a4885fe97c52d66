/** Counters and facts of one network interface. */
export interface InterfaceStats {
  /** Interface name (the `device` label). */
  device: string;
  /**
   * Counters from /proc/net/dev (or if_data) keyed by node_exporter's suffix, without
   * `_total`: `receive_bytes`, `receive_packets`, `receive_errs`, `receive_drop`,
   * `receive_fifo`, `receive_frame`, `receive_compressed`, `receive_multicast`,
   * `transmit_bytes`, `transmit_packets`, `transmit_errs`, `transmit_drop`, `transmit_fifo`,
   * `transmit_colls`, `transmit_carrier`, `transmit_compressed`.
   */
  counters: Record<string, number>;
  /** Facts from /sys/class/net/<device>, each absent when unreadable. */
  info?: InterfaceInfo;
}

/** Facts about an interface, from /sys/class/net or its platform's equivalent. */
export interface InterfaceInfo {
  /** Hardware address. */
  address?: string;
  /** Broadcast address. */
  broadcast?: string;
  /** Operational state (up, down, unknown…). */
  operstate?: string;
  /** Duplex (full, half) when the driver reports it. */
  duplex?: string;
  /** Interface alias. */
  ifalias?: string;
  /** Interface index. */
  ifindex?: number;
  /** Link type number (ARPHRD_*). */
  type?: number;
  /** Link speed in bytes per second. */
  speedBytes?: number;
  /** MTU in bytes. */
  mtu?: number;
  /** 1 when the carrier is present. */
  carrier?: number;
  /** Carrier up+down changes. */
  carrierChanges?: number;
  /** Carrier up changes. */
  carrierUpChanges?: number;
  /** Carrier down changes. */
  carrierDownChanges?: number;
  /** Transmit queue length. */
  txQueueLen?: number;
  /** Interface flags (IFF_*). */
  flags?: number;
  /** Name of the interface's admin-up flag set. */
  up?: boolean;
  /** Index of the interface this one is linked to (iflink). */
  iflink?: number;
  /** How the hardware address was assigned (addr_assign_type). */
  addressAssignType?: number;
  /** How the name was assigned (name_assign_type), when the kernel knows. */
  nameAssignType?: number;
  /** 1 when the interface is dormant. */
  dormant?: number;
  /** Network device group (netdev_group). */
  netDevGroup?: number;
  /** Device port id (dev_id). */
  devId?: number;
  /** Link mode (link_mode). */
  linkMode?: number;
}

/** Per-CPU packet processing counters from /proc/net/softnet_stat. */
export interface SoftnetStats {
  /** CPU number. */
  cpu: number;
  /** Packets processed. */
  processed: number;
  /** Packets dropped because the backlog was full. */
  dropped: number;
  /** Times net_rx_action ran out of budget or time. */
  timesSqueezed: number;
  /** Always 0 on kernels since 4.x; kept because node_exporter publishes it (cpu_collision). */
  cpuCollision?: number;
  /** Packets received through RPS (received_rps). */
  receivedRps?: number;
  /** Times the flow limit was hit. */
  flowLimitCount?: number;
  /** Backlog length at read time, when the kernel reports it. */
  backlogLen?: number;
}

/** Connection tracking table state. */
export interface ConntrackStats {
  /** Entries in the table. */
  entries?: number;
  /** Table size limit. */
  limit?: number;
  /** Summed per-CPU statistics from /proc/net/stat/nf_conntrack, keyed by column name. */
  stats?: Record<string, number>;
}

/** Host-wide network counters, shaped after the kernel files they come from. */
export interface HostStats {
  /** Per-interface counters and facts. */
  interfaces?: InterfaceStats[];
  /**
   * Protocol counters keyed like /proc/net/snmp, /proc/net/snmp6 and /proc/net/netstat:
   * `{ Tcp: { RetransSegs: 12 }, TcpExt: { ListenOverflows: 0 }, Ip6: { InReceives: 4 } }`.
   */
  protocols?: Record<string, Record<string, number>>;
  /**
   * Socket statistics keyed like /proc/net/sockstat(6): `{ TCP: { inuse, orphan, tw, alloc, mem },
   * UDP: { inuse, mem }, sockets: { used }, TCP6: { inuse } }`. `mem` is in pages as the kernel
   * reports it; `mem_bytes` (pages × page size) sits beside it when known.
   */
  sockstat?: Record<string, Record<string, number>>;
  /** Connection tracking. */
  conntrack?: ConntrackStats;
  /** Per-CPU softnet counters. */
  softnet?: SoftnetStats[];
  /**
   * TCP connections per state, for platforms whose kernel counts them directly (FreeBSD's
   * net.inet.tcp.states), keyed by sockscope's state names (the Linux spelling of
   * `SocketState`: `CLOSE`, `LISTEN`, `SYN_SENT`, `SYN_RECV`, `ESTABLISHED`, `CLOSE_WAIT`,
   * `FIN_WAIT1`, `CLOSING`, `LAST_ACK`, `FIN_WAIT2`, `TIME_WAIT`). Core renders it as
   * node_exporter's FreeBSD `node_netstat_tcp_connections{state}`: one sample per state in that
   * order with node_exporter's label values (`CLOSED`, `SYN_RCVD`, `FIN_WAIT_1`, `FIN_WAIT_2`
   * for the four spelled differently), 0 for a state the map leaves out; any other key follows
   * as its own sample, labelled as given.
   */
  tcpStates?: Record<string, number>;
  /**
   * Packets sent and received per transport protocol, for platforms whose kernel counts them per
   * protocol (FreeBSD's tcpstat `tcps_sndtotal`/`tcps_rcvtotal` and udpstat
   * `udps_opackets`/`udps_ipackets`). Core renders each protocol present as node_exporter's
   * FreeBSD `node_netstat_<tcp|udp>_transmit_packets_total` and `…_receive_packets_total`
   * counters. On Linux the same facts are `protocols.Tcp.OutSegs`/`InSegs` (which exclude
   * retransmissions; `tcps_sndtotal` includes them), so a Linux collector leaves this out.
   */
  transportPackets?: TransportPackets;
}

/** Packets a transport protocol sent and received since boot (see {@link HostStats.transportPackets}). */
export interface TransportPacketCounts {
  /** Packets sent, retransmissions included. */
  transmit: number;
  /** Packets received, including those later dropped as bad. */
  receive: number;
}

/** {@link TransportPacketCounts} per protocol; a protocol that was not read is absent. */
export interface TransportPackets {
  /** TCP segments. */
  tcp?: TransportPacketCounts;
  /** UDP datagrams. */
  udp?: TransportPacketCounts;
}
