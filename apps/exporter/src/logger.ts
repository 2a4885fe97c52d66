import type { Logger } from '@sockscope/core';

/** Log levels in increasing severity. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Output formats: logfmt (Prometheus ecosystem default) or JSON lines. */
export type LogFormat = 'logfmt' | 'json';

/** Creates a logger writing one line per entry to `out` (stderr by default). */
export function createLogger(level: LogLevel, format: LogFormat, out: (line: string) => void = (l) => process.stderr.write(l), base: Record<string, unknown> = {}): Logger & { child(fields: Record<string, unknown>): Logger } {
  const min = LOG_LEVELS.indexOf(level);
  const write = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const entry = { ts: new Date().toISOString(), level: lvl, ...base, msg, ...fields };
    out(format === 'json' ? `${JSON.stringify(entry)}\n` : `${toLogfmt(entry)}\n`);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => createLogger(level, format, out, { ...base, ...fields }),
  };
}

function toLogfmt(entry: Record<string, unknown>): string {
  return Object.entries(entry)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`;
    })
    .join(' ');
}
