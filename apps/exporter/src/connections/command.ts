import { errorMessage, isSockscopeError, parseConnectionsQuery, type ConnectionsQuery } from '@sockscope/core';
import { SourceError, UsageError } from '../errors.js';
import { connectionsHelpText, parseConnectionsArgs, type ConnectionsArgs } from './args.js';
import { renderAnswer, type RenderOptions } from './render.js';
import { inProcessSource, remoteSource, type AnswerSource, type LoadedForConnections } from './source.js';

/** What `sockscope connections` needs from the CLI around it. */
export interface ConnectionsIo {
  out(text: string): void;
  err(text: string): void;
  onSignal(signal: NodeJS.Signals, handler: () => void): void;
  /** Loads (and validates) the config of an in-process collection: the file, or the embedded default. */
  loadConfig(configFile: string | undefined): Promise<LoadedForConnections>;
  /** Whether stdout is a terminal (colour, refresh in place), and its width. */
  tty?: { columns?: number } | undefined;
  env: NodeJS.ProcessEnv;
}

const CLEAR = '\x1b[H\x1b[2J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/**
 * `sockscope connections`: parses its flags, checks the filters (exit 2 with the query parser's
 * message), then prints one answer — or, with `--watch`, one every N seconds until SIGINT or
 * SIGTERM (exit 0). An agent that cannot be read is one line on stderr and exit 1.
 */
export async function runConnections(argv: readonly string[], io: ConnectionsIo): Promise<number> {
  let args: ConnectionsArgs;
  let query: ConnectionsQuery;
  try {
    args = parseConnectionsArgs(argv);
    if (args.help) {
      io.out(connectionsHelpText());
      return 0;
    }
    query = parseConnectionsQuery(args.params);
  } catch (err) {
    if (err instanceof UsageError || (isSockscopeError(err) && err.code === 'ERR_QUERY_INVALID')) {
      io.err(`sockscope: ${errorMessage(err)}\n`);
      return 2;
    }
    throw err;
  }
  const params = new URLSearchParams();
  for (const [k, values] of Object.entries(args.params)) for (const v of values) params.append(k, v);
  const watching = args.watchSeconds !== undefined;
  // --watch ends on ctrl-C from the start: one while the collectors start stops it cleanly once they have
  const stop = watching ? stopSignal(io) : undefined;

  let source: AnswerSource;
  try {
    if (args.from !== undefined) {
      source = remoteSource({ from: args.from, caFile: args.caFile, insecure: args.insecure, user: args.user, env: io.env });
    } else {
      const loaded = await io.loadConfig(args.configFile);
      if (loaded.errors.length > 0) {
        io.err(`sockscope: config ${args.configFile ?? '(embedded default)'} has ${loaded.errors.length} error${loaded.errors.length > 1 ? 's' : ''}\n`);
        for (const e of loaded.errors) io.err(`  ${e}\n`);
        return 2;
      }
      source = await inProcessSource(loaded);
    }
  } catch (err) {
    return failed(io, err);
  }

  const color = io.tty !== undefined && !args.noColor && !args.json && (io.env.NO_COLOR ?? '') === '' && io.env.TERM !== 'dumb';
  const render = (opts: RenderOptions) => async () => {
    const answer = await source.answer(query, params);
    return args.json ? `${JSON.stringify(answer, null, watching ? undefined : 2)}\n` : renderAnswer(answer, opts);
  };
  try {
    if (!watching) {
      io.out(await render({ color })());
      return 0;
    }
    return await watch(io, args, render({ color, width: io.tty && !args.json ? io.tty.columns : undefined }), stop as StopSignal);
  } catch (err) {
    return failed(io, err);
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** One line for a failure; exit 2 for a refused filter or a bad flag value, 1 otherwise. */
function failed(io: ConnectionsIo, err: unknown): number {
  io.err(`sockscope: ${errorMessage(err)}\n`);
  if (err instanceof SourceError) return err.usage ? 2 : 1;
  if (err instanceof UsageError) return 2;
  return 1;
}

/** Resolves on the first SIGINT or SIGTERM; `stopped` says whether one came. */
interface StopSignal {
  readonly stopped: () => boolean;
  readonly promise: Promise<void>;
}

function stopSignal(io: ConnectionsIo): StopSignal {
  let stopped = false;
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  const stop = () => {
    stopped = true;
    resolve();
  };
  io.onSignal('SIGINT', stop);
  io.onSignal('SIGTERM', stop);
  return { stopped: () => stopped, promise };
}

/**
 * Prints a frame every `--watch` seconds: on a terminal the screen is cleared and redrawn (cursor
 * hidden, shown again at the end); otherwise (a pipe) frames follow one another. SIGINT or
 * SIGTERM ends it at once with exit 0. A frame that fails is said in place of the table, and the
 * next one is tried (an agent restarting), unless the first fails.
 */
async function watch(io: ConnectionsIo, args: ConnectionsArgs, frame: () => Promise<string>, stop: StopSignal): Promise<number> {
  const everyMs = (args.watchSeconds as number) * 1000;
  const tty = io.tty !== undefined && !args.json;
  const stopping = stop.promise;
  if (stop.stopped()) return 0;
  if (tty) io.out(HIDE_CURSOR);
  try {
    for (let n = 0; !stop.stopped(); n++) {
      const started = Date.now();
      let text: string;
      try {
        text = await Promise.race([frame(), stopping.then(() => '')]);
      } catch (err) {
        if (n === 0) throw err;
        text = `sockscope: ${errorMessage(err)} (retrying every ${args.watchSeconds}s)\n`;
      }
      if (stop.stopped()) break;
      if (tty) io.out(`${CLEAR}sockscope connections — every ${args.watchSeconds}s — ${new Date().toISOString()} — ctrl-C quits\n\n${text}`);
      else io.out(args.json ? text : `${text}\n`);
      const wait = Math.max(0, everyMs - (Date.now() - started));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, wait))), stopping]);
      clearTimeout(timer);
    }
  } finally {
    if (tty) io.out(SHOW_CURSOR);
  }
  return 0;
}
