import { CONNECTIONS_QUERY_PARAMETERS, closest } from '@sockscope/core';
import { UsageError } from '../errors.js';

/** What `sockscope connections` was asked for. */
export interface ConnectionsArgs {
  /** `--help`. */
  help: boolean;
  /** The query's parameters (the filters, `view`, `limit`, …), as the API takes them: name → values. */
  params: Record<string, string[]>;
  /** `--json`: print the API's answer. */
  json: boolean;
  /** `--watch [seconds]`: refresh every this many seconds (default 2). */
  watchSeconds?: number;
  /** `--from URL`: read a running agent instead of collecting here. */
  from?: string;
  /** `--ca-file FILE`: the CA of the agent's TLS certificate. */
  caFile?: string;
  /** `--insecure-skip-verify`: do not check the agent's TLS certificate. */
  insecure: boolean;
  /** `--user NAME[:PASSWORD]` (the password also from SOCKSCOPE_PASSWORD). */
  user?: string;
  /** `--config FILE`: the config of an in-process collection (its collectors and enrichers). */
  configFile?: string;
  /** `--no-color`: never colour (NO_COLOR does the same). */
  noColor: boolean;
}

/** Default refresh of `--watch`, seconds. */
export const DEFAULT_WATCH_SECONDS = 2;

const PARAMS = Object.keys(CONNECTIONS_QUERY_PARAMETERS);
const VALUE_FLAGS = ['--from', '--ca-file', '--user', '--config'];
const BOOL_FLAGS = ['--help', '--json', '--aggregate', '--topology', '--insecure-skip-verify', '--no-color', '--watch'];
const ALL_FLAGS = [...VALUE_FLAGS, ...BOOL_FLAGS, ...PARAMS.map((p) => `--${p.replace(/_/g, '-')}`)];

/**
 * Parses `sockscope connections` flags: every query parameter of `/api/v1/connections` as a
 * flag of the same name (`--state`, `--port`, `--local-port` or `--local_port`, …), repeatable,
 * `--flag value` or `--flag=value`; `--aggregate` and `--topology` choose the view; the rest say
 * where the answer comes from and how it is shown. Values are checked later, by the query parser.
 */
export function parseConnectionsArgs(argv: readonly string[]): ConnectionsArgs {
  const args: ConnectionsArgs = { help: false, params: {}, json: false, insecure: false, noColor: false };
  const add = (name: string, value: string) => (args.params[name] ??= []).push(value);
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    if (raw === '--') continue;
    if (!raw.startsWith('-') || raw === '-') throw new UsageError(`connections: unexpected argument "${raw}": filters are flags, e.g. --state ESTABLISHED --port 443 (see sockscope connections --help)`);
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`connections: ${flag} needs a value; see sockscope connections --help`);
      i++;
      return next;
    };
    if (flag === '-h' || flag === '--help') {
      args.help = true;
      continue;
    }
    if (flag === '--watch') {
      // an optional number of seconds: --watch, --watch 5, --watch=0.5
      let text = inline;
      if (text === undefined && /^\d+(\.\d+)?$/.test(argv[i + 1] ?? '')) text = argv[++i];
      const seconds = text === undefined ? DEFAULT_WATCH_SECONDS : Number(text);
      if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 86_400) throw new UsageError(`connections: --watch ${text}: must be a number of seconds from 0.1 to 86400`);
      args.watchSeconds = seconds;
      continue;
    }
    if (BOOL_FLAGS.includes(flag)) {
      if (inline !== undefined) throw new UsageError(`connections: ${flag} takes no value`);
      if (flag === '--json') args.json = true;
      else if (flag === '--aggregate') add('view', 'aggregated');
      else if (flag === '--topology') add('view', 'topology');
      else if (flag === '--insecure-skip-verify') args.insecure = true;
      else if (flag === '--no-color') args.noColor = true;
      continue;
    }
    if (flag === '--from') args.from = value();
    else if (flag === '--ca-file') args.caFile = value();
    else if (flag === '--user') args.user = value();
    else if (flag === '--config') args.configFile = value();
    else {
      const name = flag.slice(2).replace(/-/g, '_');
      if (!flag.startsWith('--') || !PARAMS.includes(name)) {
        const hint = closest(flag, ALL_FLAGS);
        throw new UsageError(`connections: unknown flag ${flag}${hint ? ` (did you mean ${hint}?)` : ''}; see sockscope connections --help`);
      }
      add(name, value());
    }
  }
  if ((args.caFile !== undefined || args.insecure || args.user !== undefined) && args.from === undefined) {
    throw new UsageError('connections: --ca-file, --insecure-skip-verify and --user are for reading an agent: give its URL with --from');
  }
  if (args.from !== undefined && args.configFile !== undefined) throw new UsageError('connections: --config is for collecting here; with --from the agent collects with its own config');
  return args;
}

/** `sockscope connections --help`. */
export function connectionsHelpText(): string {
  const filters = PARAMS.filter((p) => p !== 'view')
    .map((p) => {
      const flag = `--${p.replace(/_/g, '-')} VALUE`;
      return `  ${flag.padEnd(26)}${CONNECTIONS_QUERY_PARAMETERS[p]}\n`;
    })
    .join('');
  return `sockscope connections: every TCP and UDP socket of this host now, as ss -tp, with direction,
process, user, container and RTT

Usage:
  sockscope connections [flags]               collect here (no agent needed; root sees every process)
  sockscope connections --from URL [flags]    read a running agent's /api/v1/connections
                                              (it must run with --web.enable-connections)

View:
  --aggregate               sockets folded on process, user, direction, state and server endpoint,
                            with a count (the API's view=aggregated)
  --topology                who talks to whom: actors and client → server links (view=topology)
  --json                    print the API's JSON answer (schema: connectionsAnswerSchema)
  --watch [SECONDS]         refresh in place every SECONDS (default ${DEFAULT_WATCH_SECONDS}), like top; ctrl-C quits
  --no-color                no colour (also NO_COLOR=1; colour is used only on a terminal)

Filters (the API's query parameters; repeat a flag or give a comma list to OR, flags AND):
${filters}
Reading an agent:
  --from URL                the agent's address, e.g. https://host:8020 (or its /api/v1/connections);
                            user:password@ in the URL is basic auth
  --user NAME[:PASSWORD]    basic auth; the password from SOCKSCOPE_PASSWORD when not given here
  --ca-file FILE            CA certificate(s) of the agent's TLS certificate (PEM)
  --insecure-skip-verify    do not verify the agent's TLS certificate

Collecting here:
  --config FILE             use this config's collectors and enrichers (default: the embedded default)

Exit status: 0 answered; 1 the agent could not be read (refused, wrong URL, 401, TLS); 2 a bad flag or filter.
`;
}
