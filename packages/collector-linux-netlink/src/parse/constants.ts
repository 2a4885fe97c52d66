// Numbers from the kernel's UAPI headers (linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h).

/** AF_NETLINK address family. */
export const AF_NETLINK = 16;
/** NETLINK_SOCK_DIAG protocol of a netlink socket. */
export const NETLINK_SOCK_DIAG = 4;
/** AF_INET. */
export const AF_INET = 2;
/** AF_INET6. */
export const AF_INET6 = 10;
/** IPPROTO_TCP. */
export const IPPROTO_TCP = 6;
/** IPPROTO_UDP. */
export const IPPROTO_UDP = 17;

/** Size of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;
/** Message type: nothing, skip it. */
export const NLMSG_NOOP = 1;
/** Message type: an error (or an ack when the errno is 0). */
export const NLMSG_ERROR = 2;
/** Message type: end of a multipart dump. */
export const NLMSG_DONE = 3;
/** Message type: data lost. */
export const NLMSG_OVERRUN = 4;
/** Request and reply type of sock_diag. */
export const SOCK_DIAG_BY_FAMILY = 20;
/**
 * Request and reply type of the original TCP dump (linux/inet_diag.h), which the kernel still
 * answers: its request has no family, so one walk of the TCP tables answers IPv4 and IPv6.
 */
export const TCPDIAG_GETSOCK = 18;

/** nlmsg_flags: this is a request. */
export const NLM_F_REQUEST = 0x1;
/** nlmsg_flags: part of a multipart reply. */
export const NLM_F_MULTI = 0x2;
/** nlmsg_flags: the dump was interrupted by a change of the table (retry for consistency). */
export const NLM_F_DUMP_INTR = 0x10;
/** nlmsg_flags: NLM_F_ROOT | NLM_F_MATCH. */
export const NLM_F_DUMP = 0x300;

/** Size of struct inet_diag_msg. */
export const INET_DIAG_MSG_LEN = 72;
/** Size of struct inet_diag_req_v2. */
export const INET_DIAG_REQ_V2_LEN = 56;
/** Size of struct inet_diag_req (the TCPDIAG_GETSOCK request): family, lengths, ext, sockid, states, dbs. */
export const INET_DIAG_REQ_LEN = 60;

/** Attribute types of an inet_diag reply (enum in linux/inet_diag.h). */
export const INET_DIAG = {
  MEMINFO: 1,
  INFO: 2,
  CONG: 4,
  TOS: 5,
  TCLASS: 6,
  SKMEMINFO: 7,
  SHUTDOWN: 8,
  PROTOCOL: 10,
  SKV6ONLY: 11,
} as const;

/** rtattr/nlattr type bits beyond this mask are the NESTED and NET_BYTEORDER flags. */
export const NLA_TYPE_MASK = 0x3fff;
