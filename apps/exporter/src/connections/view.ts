import { readFileSync } from 'node:fs';
import { createConnectionsFold, parseServices, portName, type ConnectionsSnapshot, type Fold, type PortRange } from '@sockscope/core';

/**
 * User names by uid from the text of an `/etc/passwd` file (`name:password:uid:gid:…`): the
 * first line naming a uid wins, as getpwuid does; comments, blank and malformed lines are skipped.
 */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length < 3) continue;
    const name = fields[0] as string;
    const uidText = fields[2] as string;
    if (name === '' || !/^\d+$/.test(uidText)) continue;
    const uid = Number(uidText);
    if (!users.has(uid)) users.set(uid, name);
  }
  return users;
}

/** A file's text, or '' when it cannot be read (a container without it: no names then). */
function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The agent feeds the connections fold only while the view was read (`/api/v1/connections`, the
 * page) within this long: measured at 10k connections (apps/exporter/bench/connections-view.mjs),
 * feeding it costs a default /metrics scrape about a fifth more time and CPU and doubles the peak
 * RSS, so a view nobody reads must cost the scrapes nothing. Five minutes keep `age_seconds`
 * meaningful while someone watches (the page and `--watch` ask every few seconds).
 */
export const CONNECTIONS_VIEW_IDLE_MS = 300_000;

/** Where the connections fold's look-ups are read from; the host's files by default. */
export interface ConnectionsViewOptions {
  /** The host's ephemeral ports (the direction enricher's). */
  ephemeralPorts?: PortRange;
  /** Default `/etc/passwd`. */
  passwdPath?: string;
  /** Default `/etc/services`. */
  servicesPath?: string;
}

/**
 * The connections fold of the live connections view, its `/etc/passwd` and `/etc/services`
 * look-ups read once, now (a user added later shows as its uid until a restart).
 */
export function createConnectionsView(opts: ConnectionsViewOptions = {}): Fold<ConnectionsSnapshot> {
  const users = parsePasswd(readOrEmpty(opts.passwdPath ?? '/etc/passwd'));
  const services = parseServices(readOrEmpty(opts.servicesPath ?? '/etc/services'));
  return createConnectionsFold({
    userName: (uid) => users.get(uid),
    portName: (port, protocol) => portName(services, port, protocol),
    ephemeralPorts: opts.ephemeralPorts,
  });
}
