/**
 * Port names from the `services(5)` database (`/etc/services`), so that a server port reads as
 * `https` rather than `443`. Pure: the caller reads the file once (its path configurable) and
 * passes the text; lookups are then one Map access per record, with no string building beyond
 * the key.
 */

/**
 * Parses `services(5)` text into a map keyed `${port}/${protocol}` (e.g. `443/tcp`) whose value is
 * the service's official name (e.g. `https`).
 *
 * The format, as glibc reads it: one entry per line, `name port/protocol [aliases...]`, fields
 * separated by any run of spaces or tabs, and `#` starting a comment anywhere on the line.
 * Aliases are ignored: a port has one name to show, and the official name is what `ss`,
 * `netstat` and `getservbyport(3)` print. When two lines give the same port and protocol, the
 * first one wins, because `getservbyport` scans the file in order and returns the first match.
 * Lines that do not parse (no `/`, a port that is not a whole number from 0 to 65535, an empty
 * protocol) are skipped, as glibc does, so one bad local edit does not lose every other name.
 * Protocols are kept as written (glibc compares them case-sensitively; the file uses `tcp`/`udp`,
 * as sockscope's records do).
 */
export function parseServices(text: string): Map<string, string> {
  const names = new Map<string, string>();
  let lineStart = 0;
  const n = text.length;
  while (lineStart < n) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = n;
    const hash = text.indexOf('#', lineStart);
    const end = hash >= 0 && hash < lineEnd ? hash : lineEnd;
    const entry = parseEntry(text, lineStart, end);
    if (entry && !names.has(entry.key)) names.set(entry.key, entry.name);
    lineStart = lineEnd + 1;
  }
  return names;
}

/**
 * The name of `port` for `protocol` (`tcp`, `udp`, ...) from a map made by {@link parseServices},
 * or undefined when the database has none (the caller then shows the number).
 */
export function portName(services: ReadonlyMap<string, string>, port: number, protocol: string): string | undefined {
  return services.get(`${port}/${protocol}`);
}

/** True for the field separators of services(5): space, tab and a stray carriage return. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** Parses the first two fields of one comment-free line `text[start, end)`, or undefined. */
function parseEntry(text: string, start: number, end: number): { key: string; name: string } | undefined {
  let i = start;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  const nameStart = i;
  while (i < end && !isBlank(text.charCodeAt(i))) i++;
  if (i === nameStart) return undefined; // blank or comment-only line
  const name = text.slice(nameStart, i);
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  // port/protocol: digits, a slash, then the protocol up to the next blank
  let port = 0;
  const portStart = i;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    port = port * 10 + (c - 48);
    if (port > 65535) return undefined;
    i++;
  }
  if (i === portStart || i >= end || text.charCodeAt(i) !== 47 /* / */) return undefined;
  const protoStart = ++i;
  while (i < end && !isBlank(text.charCodeAt(i))) i++;
  if (i === protoStart) return undefined;
  return { key: `${port}/${text.slice(protoStart, i)}`, name };
}
