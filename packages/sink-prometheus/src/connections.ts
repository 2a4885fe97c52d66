import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@sockscope/core';

/** Paths a connection beyond `max_connections` may still ask for: the probes, which must answer during a flood. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/-/healthy', '/-/ready']);

/** Connections accepted beyond the limit when every connection is busy, to serve the probes only. */
export const PROBE_RESERVE = 8;

/** What a {@link ConnectionGuard} knows of its connections, for `/health`-like summaries and SIGUSR1. */
export interface ConnectionStats {
  /** TCP connections open now (TLS handshakes in progress included). */
  open: number;
  /** Of those, the ones serving a request now. */
  busy: number;
  /** Of those, the ones accepted beyond the limit, for the probes only. */
  reserve: number;
  /** The limit (`max_connections`; 0: none). */
  max: number;
  /** Connections closed since start because a new one needed the room (the one idle longest first). */
  evicted: number;
  /** Connections refused since start because every connection was busy and the reserve was full. */
  refused: number;
  /** Connections closed since start because they sent no request within `read_header_timeout`. */
  timedOut: number;
}

/** A request being served, for the log line of a shutdown that cut it. */
interface InFlight {
  method: string;
  url: string;
  since: number;
  res: ServerResponse;
}

interface Conn {
  socket: Socket;
  /** Its addresses, as read at accept (a destroyed socket forgets them). */
  key: string;
  /** Requests being served on it now (pipelined requests can overlap). */
  busy: Set<InFlight>;
  /** Accepted beyond the limit: serves the probes only. */
  reserve: boolean;
  /** Whether a request was ever seen on it. */
  requested: boolean;
  /** Closes it when no request came within the header timeout. */
  timer?: NodeJS.Timeout;
}

/** Options of {@link ConnectionGuard}. */
export interface ConnectionGuardOptions {
  /** Most connections held at once (`max_connections`); 0: no limit. */
  max: number;
  /** How long a new connection may take to send its first request's headers, in ms; 0: no limit. */
  firstRequestMs: number;
  /** Where the limit's episodes are logged. */
  logger: Logger;
  /** Connections beyond the limit kept for the probes (default {@link PROBE_RESERVE}). */
  reserve?: number;
}

const key = (s: Socket) => `${s.localAddress}|${s.localPort}|${s.remoteAddress}|${s.remotePort}`;

/**
 * Holds the sink's TCP connections under `max_connections`, counting raw TCP connections (a TLS
 * handshake in progress is one). At the limit a new connection takes the place of the one idle
 * the longest: no request in flight, whether it is a keep-alive connection between scrapes or one
 * that never sent a request. When every connection is busy, up to `reserve` more are accepted that
 * answer only the probes ({@link PROBE_PATHS}); beyond those a new connection is closed at once.
 * The limit being reached is logged once per episode (a warning), and its end once (info, with how
 * many connections were closed or refused). A connection that sends no request within
 * `firstRequestMs` is closed (this also bounds a TLS handshake that never completes).
 */
export class ConnectionGuard {
  // insertion order is the order of last activity: a connection moves to the end when it goes idle
  private readonly conns = new Map<string, Conn>();
  private readonly bySocket = new WeakMap<Socket, Conn>();
  private readonly reserveMax: number;
  private reserveOpen = 0;
  private busyCount = 0;
  private evicted = 0;
  private refused = 0;
  private timedOut = 0;
  private episode: { evicted: number; refused: number; since: number } | undefined;

  constructor(private readonly opts: ConnectionGuardOptions) {
    this.reserveMax = opts.reserve ?? PROBE_RESERVE;
  }

  /**
   * Watches the server's connections and requests (call before it listens). Every request counts,
   * also one that an authentication layer in front of the sink answers itself.
   */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accept(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.begin(req, res));
  }

  private accept(socket: Socket): void {
    const max = this.opts.max;
    let reserve = false;
    if (max > 0 && this.conns.size >= max) {
      const victim = this.idlest();
      if (victim) {
        this.evicted++;
        this.startEpisode().evicted++;
        this.drop(victim);
        victim.socket.destroy();
      } else if (this.reserveOpen < this.reserveMax) {
        reserve = true;
        this.startEpisode();
      } else {
        this.refused++;
        this.startEpisode().refused++;
        socket.destroy();
        return;
      }
    }
    const conn: Conn = { socket, key: key(socket), busy: new Set(), reserve, requested: false };
    if (reserve) this.reserveOpen++;
    this.conns.set(conn.key, conn);
    this.bySocket.set(socket, conn);
    if (this.opts.firstRequestMs > 0) {
      conn.timer = setTimeout(() => {
        if (conn.requested || socket.destroyed) return;
        this.timedOut++;
        socket.destroy();
      }, this.opts.firstRequestMs);
      conn.timer.unref();
    }
    socket.once('close', () => this.forget(conn));
  }

  /** The connection without a request in flight that was active the longest ago. */
  private idlest(): Conn | undefined {
    for (const c of this.conns.values()) if (c.busy.size === 0) return c;
    return undefined;
  }

  private startEpisode(): { evicted: number; refused: number; since: number } {
    if (!this.episode) {
      this.episode = { evicted: 0, refused: 0, since: Date.now() };
      this.opts.logger.warn('connection limit reached: new connections close the ones idle the longest, and only the probes are served beyond it', {
        max_connections: this.opts.max,
        open: this.conns.size,
        busy: this.busyCount,
        hint: 'raise max_connections (--web.max-connections) if this is not a flood',
      });
    }
    return this.episode;
  }

  private forget(conn: Conn): void {
    if (conn.timer) clearTimeout(conn.timer);
    this.drop(conn);
    // the episode ends once there is room again
    if (this.episode && this.conns.size < this.opts.max) {
      const e = this.episode;
      this.episode = undefined;
      this.opts.logger.info('connections back under the limit', {
        max_connections: this.opts.max,
        open: this.conns.size,
        closed_for_new_ones: e.evicted,
        refused: e.refused,
        duration_seconds: (Date.now() - e.since) / 1000,
      });
    }
  }

  private drop(conn: Conn): void {
    if (this.conns.get(conn.key) === conn) this.conns.delete(conn.key);
    if (this.bySocket.get(conn.socket) === conn) this.bySocket.delete(conn.socket);
    if (conn.reserve) {
      conn.reserve = false;
      this.reserveOpen--;
    }
    this.busyCount -= conn.busy.size;
    conn.busy.clear();
  }

  /** The connection a request came on (for TLS, the TLS socket wraps the TCP one this guard saw). */
  private connOf(socket: Socket): Conn | undefined {
    return this.bySocket.get(socket) ?? this.bySocket.get((socket as Socket & { _parent?: Socket })._parent as Socket) ?? this.conns.get(key(socket));
  }

  /** True when the request came on a connection accepted beyond the limit: it may answer the probes only. */
  probesOnly(req: IncomingMessage): boolean {
    return this.connOf(req.socket)?.reserve === true;
  }

  /** Marks the request's connection busy until the response is done. */
  private begin(req: IncomingMessage, res: ServerResponse): void {
    const conn = this.connOf(req.socket);
    if (!conn) return;
    conn.requested = true;
    if (conn.timer) {
      clearTimeout(conn.timer);
      conn.timer = undefined;
    }
    const entry: InFlight = { method: req.method ?? '?', url: req.url ?? '', since: performance.now(), res };
    conn.busy.add(entry);
    this.busyCount++;
    res.once('close', () => {
      if (!conn.busy.delete(entry)) return;
      this.busyCount--;
      // idle again: it moves to the end of the eviction order
      if (conn.busy.size === 0 && this.conns.get(conn.key) === conn) {
        this.conns.delete(conn.key);
        this.conns.set(conn.key, conn);
      }
    });
  }

  /** Closes every connection without a request in flight (shutdown: nothing more will be served on them). */
  closeIdle(): void {
    for (const c of [...this.conns.values()]) if (c.busy.size === 0) c.socket.destroy();
  }

  /** The requests in flight now, as `GET /metrics (2.1s, 1048576 bytes sent)`. */
  inFlight(): string[] {
    const now = performance.now();
    const out: string[] = [];
    for (const c of this.conns.values()) {
      for (const r of c.busy) out.push(`${r.method} ${r.url} (${((now - r.since) / 1000).toFixed(1)}s, ${c.socket.bytesWritten} bytes sent)`);
    }
    return out;
  }

  /** Cuts every connection. */
  destroyAll(): void {
    for (const c of [...this.conns.values()]) c.socket.destroy();
  }

  /** Counts, for summaries. */
  stats(): ConnectionStats {
    return {
      open: this.conns.size,
      busy: this.busyCount,
      reserve: this.reserveOpen,
      max: this.opts.max,
      evicted: this.evicted,
      refused: this.refused,
      timedOut: this.timedOut,
    };
  }
}
