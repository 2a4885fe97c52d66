// Reads `ss -tuanemiH` (iproute2) text into plain objects keyed by socket cookie, so tests can
// hold the collector's records against what ss printed for the same sockets.

/** One socket as ss printed it; numeric fields as ss's numbers (ms for times, bps for rates). */
export interface SsSocket {
  netid: string;
  state: string;
  recvQ: number;
  sendQ: number;
  local: { address: string; port: number };
  peer: { address: string; port: number };
  inode: number;
  cookie: bigint;
  v6only?: boolean;
  timer?: { name: string; text: string };
  skmem?: number[];
  congestion?: string;
  /** `key:value` and `key value` fields of the info line, numbers only (e.g. rtt → [0.03, 0.015]). */
  info: Map<string, number[]>;
}

function endpoint(text: string): { address: string; port: number } {
  const cut = text.lastIndexOf(':');
  let address = text.slice(0, cut);
  const port = text.slice(cut + 1);
  if (address.startsWith('[')) address = address.slice(1, -1);
  if (address === '*') address = '::';
  return { address, port: port === '*' ? 0 : Number(port) };
}

/** Parses ss's two-line records (the second line starts with a tab). */
export function parseSsOutput(text: string): Map<bigint, SsSocket> {
  const NETIDS = new Set(['tcp', 'udp', 'raw', 'u_str', 'u_dgr', 'u_seq', 'mptcp', 'sctp']);
  const out = new Map<bigint, SsSocket>();
  let last: SsSocket | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('\t') && last) {
      readInfoLine(line.trim(), last);
      continue;
    }
    const f = line.trim().split(/\s+/);
    // With a single protocol (ss -t) there is no Netid column.
    if (!NETIDS.has(f[0] ?? '')) f.unshift('tcp');
    const [netid = '', state = '', rq = '0', sq = '0', local = '', peer = ''] = f;
    const s: SsSocket = { netid, state, recvQ: Number(rq), sendQ: Number(sq), local: endpoint(local), peer: endpoint(peer), inode: 0, cookie: -1n, info: new Map() };
    for (const tok of f.slice(6)) {
      if (tok.startsWith('ino:')) s.inode = Number(tok.slice(4));
      else if (tok.startsWith('sk:')) s.cookie = BigInt(`0x${tok.slice(3)}`);
      else if (tok.startsWith('v6only:')) s.v6only = tok === 'v6only:1';
      else if (tok.startsWith('timer:(')) {
        const [name = '', ...rest] = tok.slice(7, -1).split(',');
        s.timer = { name, text: rest.join(',') };
      }
    }
    out.set(s.cookie, s);
    last = s;
  }
  return out;
}

const CONGESTION = new Set(['cubic', 'bbr', 'reno', 'dctcp', 'vegas', 'htcp', 'bic']);

function readInfoLine(line: string, s: SsSocket): void {
  const toks = line.split(/\s+/);
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i] ?? '';
    if (tok.startsWith('skmem:(')) {
      s.skmem = tok.slice(7, -1).split(',').map((p) => Number(p.replace(/^[a-z]+/, '')));
    } else if (CONGESTION.has(tok)) s.congestion = tok;
    else if (/^[a-z_]+:[\d.,/]+$/.test(tok)) {
      const [key = '', value = ''] = tok.split(':');
      s.info.set(key, value.split(/[/,]/).map(Number));
    } else if (/^(send|pacing_rate|delivery_rate)$/.test(tok) && /^\d+bps$/.test(toks[i + 1] ?? '')) {
      s.info.set(tok, [Number((toks[i + 1] ?? '').slice(0, -3))]);
      i++;
    }
  }
}
