// types only: cli.js loads this module before anything else, so it must import nothing at run time
import type { Agent } from './agent.js';

/**
 * SIGUSR1 and Node's inspector. Node starts its inspector (a debugger that runs any code sent to
 * it) on 127.0.0.1:9229 when the process gets SIGUSR1 and nothing listens for that signal: any
 * local process allowed to signal the agent could then run code inside it, with its capabilities.
 * Node 20 has no flag to turn that off (`--disable-sigusr1` came with Node 22.14 and 23.7, and an
 * unknown flag in the shebang would stop Node 20 from starting), but a JavaScript listener for
 * SIGUSR1 replaces Node's own handler, so the inspector never starts while one is installed
 * (checked on this Node by test/signals.test.ts). The CLI installs {@link keepInspectorShut} before
 * it loads anything else, and `serve` adds the listener that logs {@link stateSummary}. Before
 * that, while Node itself starts (measured: the first 50–75 ms after exec on a loaded 2-core
 * machine), Node's own handler is in place and a SIGUSR1 still opens the inspector: only
 * `--disable-sigusr1` (Node 22.14+) closes that gap.
 */
export function keepInspectorShut(): void {
  // the listener itself is the guard; what SIGUSR1 does is serve's (a state summary)
  process.on('SIGUSR1', noop);
}

function noop(): void {}

/** The state of the Prometheus sink, when the running sink tells it (`state()`). */
interface SinkState {
  connections: { open: number; busy: number; reserve: number; max: number; evicted: number; refused: number; timedOut: number };
  scrapes: number;
  maxRequests: number;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * One log line's fields saying what the agent is doing now: uptime and memory, the last
 * collection (age, duration, sockets, failed collectors), notices, and the Prometheus sink's
 * connections and scrapes. SIGUSR1 logs it.
 */
export function stateSummary(agent: Agent, now = Date.now()): Record<string, unknown> {
  const mem = process.memoryUsage();
  const latest = agent.pipeline.latest();
  const fields: Record<string, unknown> = {
    uptime_seconds: round(process.uptime(), 1),
    rss_bytes: mem.rss,
    heap_used_bytes: mem.heapUsed,
  };
  if (latest) {
    fields.last_collection_age_seconds = round((now - latest.snapshot.timestamp) / 1000);
    fields.last_collection_duration_seconds = round(latest.snapshot.durationSeconds);
    fields.sockets = latest.socketCount;
    const failed = latest.snapshot.status.filter((s) => !s.success).map((s) => s.name);
    fields.failed_collectors = failed.join(',') || 'none';
  } else {
    fields.last_collection = 'none yet';
  }
  fields.notices = agent.notices().length;
  const prometheus = agent.sinks.get('prometheus') as { state?: () => SinkState } | undefined;
  const state = typeof prometheus?.state === 'function' ? prometheus.state() : undefined;
  if (state) {
    const c = state.connections;
    Object.assign(fields, {
      connections_open: c.open,
      connections_busy: c.busy,
      connections_max: c.max,
      connections_reserve: c.reserve,
      connections_closed_for_new: c.evicted,
      connections_refused: c.refused,
      connections_timed_out: c.timedOut,
      scrapes_in_flight: state.scrapes,
      max_requests: state.maxRequests,
    });
  }
  fields.sinks = [...agent.sinks.keys()].join(',');
  fields.inspector = 'off (SIGUSR1 logs this summary instead)';
  return fields;
}
