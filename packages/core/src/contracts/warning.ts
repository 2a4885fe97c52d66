/** A non-fatal problem a plugin reports: the rest of its work is still good. */
export interface Warning {
  /** Stable code, `ERR_<AREA>_<WHAT>` (shown in /health and the log). */
  code: string;
  /** One line an operator can act on. */
  message: string;
}

/** Builds a {@link Warning}. */
export function warning(code: string, message: string): Warning {
  return { code, message };
}

/** A warning as one log line: `CODE: message`. */
export function warningLine(w: Warning): string {
  return `${w.code}: ${w.message}`;
}
