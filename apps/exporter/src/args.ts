import { closest } from '@sockscope/core';
import { parseListenAddress } from '@sockscope/sink-prometheus';
import { UsageError } from './errors.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';

export { UsageError };

/** What the command line asked for. */
export interface CliArgs {
  /** Subcommand. */
  command: 'serve' | 'check-config' | 'migrate-config' | 'help' | 'version';
  /** Config file (`--config`, or the file argument of check-config / migrate-config). */
  configFile?: string;
  /** `--web.listen-address`. */
  listenAddress?: string;
  /** `--port`: shorthand that keeps the host of the listen address. */
  port?: number;
  /** `--web.config.file`: TLS and basic auth, exporter-toolkit format. */
  webConfigFile?: string;
  /** `--log.level`, when given (the config's `log.level`, then info, otherwise). */
  logLevel?: LogLevel;
  /** `--log.format`, when given (the config's `log.format`, then logfmt, otherwise). */
  logFormat?: LogFormat;
}


const VALUE_FLAGS = ['--config', '--web.listen-address', '--port', '--web.config.file', '--log.level', '--log.format'] as const;
const BOOL_FLAGS = ['--help', '--version'] as const;
const COMMANDS = ['serve', 'check-config', 'migrate-config', 'help', 'version'] as const;

/** Parses argv (without node and script), accepting `--flag value` and `--flag=value`. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { command: 'serve' };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    // `pnpm start -- --flag` passes the separator through; it carries no meaning here.
    if (raw === '--') continue;
    if (!raw.startsWith('-') || raw === '-') {
      positional.push(raw);
      continue;
    }
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (flag === '-h' || flag === '--help') {
      args.command = 'help';
      continue;
    }
    if (flag === '--version') {
      args.command = 'version';
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      const hint = closest(flag, [...VALUE_FLAGS, ...BOOL_FLAGS]);
      throw new UsageError(`unknown flag ${flag}${hint ? ` (did you mean ${hint}?)` : ''}; see sockscope --help`);
    }
    let value: string | undefined;
    if (eq > 0) value = raw.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`flag ${flag} needs a value; see sockscope --help`);
      i++;
    }
    setFlag(args, flag, value);
  }
  if (positional.length > 0) {
    const [cmd, ...rest] = positional as [string, ...string[]];
    if (!(COMMANDS as readonly string[]).includes(cmd)) {
      const hint = closest(cmd, COMMANDS);
      throw new UsageError(`unknown command "${cmd}"${hint ? ` (did you mean "${hint}"?)` : ''}; commands: ${COMMANDS.join(', ')}`);
    }
    if (args.command === 'serve') args.command = cmd as CliArgs['command'];
    if (cmd === 'check-config' || cmd === 'migrate-config') {
      if (rest.length !== 1) throw new UsageError(`${cmd} takes exactly one config file: sockscope ${cmd} FILE`);
      args.configFile = rest[0];
    } else if (rest.length > 0) {
      throw new UsageError(`unexpected argument "${rest[0]}" after ${cmd}`);
    }
  }
  return args;
}

function setFlag(args: CliArgs, flag: (typeof VALUE_FLAGS)[number] | string, value: string): void {
  switch (flag) {
    case '--config':
      args.configFile = value;
      break;
    case '--web.listen-address':
      try {
        parseListenAddress(value);
      } catch (err) {
        throw new UsageError(`--web.listen-address: ${(err as Error).message}`);
      }
      args.listenAddress = value;
      break;
    case '--web.config.file':
      args.webConfigFile = value;
      break;
    case '--port': {
      const port = Number(value);
      if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port ${value}: must be a port number 0-65535`);
      args.port = port;
      break;
    }
    case '--log.level':
      if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new UsageError(`--log.level ${value}: must be one of ${LOG_LEVELS.join(', ')}`);
      args.logLevel = value as LogLevel;
      break;
    case '--log.format':
      if (value !== 'logfmt' && value !== 'json') throw new UsageError(`--log.format ${value}: must be logfmt or json`);
      args.logFormat = value;
      break;
  }
}

/** The `--help` text. */
export const HELP = `sockscope: every socket and interface of this host as Prometheus and OTLP metrics

Usage:
  sockscope [serve] [flags]          run the agent (no config file needed)
  sockscope check-config FILE        validate a config file, print every error, exit 0 or 2
  sockscope migrate-config FILE      print the native equivalent of a prometheus_ss_exporter config
  sockscope --help | --version

Flags:
  --config FILE                  YAML config file (default: the embedded default)
  --web.listen-address ADDR      address of /metrics, host:port or :port (default :8020)
  --port N                       port of /metrics, keeping the listen host
  --web.config.file FILE         TLS and basic auth (exporter-toolkit web config format)
  --log.level LEVEL              debug, info, warn, error (default info)
  --log.format FORMAT            logfmt or json (default logfmt)
  -h, --help                     this text
  --version                      print the version
`;
