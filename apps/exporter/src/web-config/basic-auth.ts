import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';

/** How long a verified user/password pair is trusted without running bcrypt again. */
export const VERIFIED_TTL_MS = 60_000;
const MAX_CACHED = 256;

/** Checks a request's basic-auth credentials against bcrypt hashes. */
export type BasicAuthCheck = (req: IncomingMessage) => Promise<boolean>;

/**
 * Builds the credential check. Every attempt runs one bcrypt comparison (against a dummy hash
 * of the same cost when the user is unknown) so response time does not tell valid user names
 * from invalid ones. A success is remembered for {@link VERIFIED_TTL_MS} under a SHA-256 of the
 * credentials, so a scrape every few seconds does not pay bcrypt's deliberate slowness each time;
 * failures are never remembered.
 */
export function createBasicAuth(users: Readonly<Record<string, string>>, now: () => number = Date.now): BasicAuthCheck {
  const hashes = new Map(Object.entries(users));
  const cost = Math.max(...[...hashes.values()].map((h) => bcrypt.getRounds(h)));
  const dummy = bcrypt.hashSync('sockscope-dummy-password', cost);
  const verified = new Map<string, number>();
  const inFlight = new Map<string, Promise<boolean>>();

  const verify = async (user: string, password: string, key: string): Promise<boolean> => {
    const hash = hashes.get(user);
    const ok = await bcrypt.compare(password, hash ?? dummy);
    if (!ok || hash === undefined) return false;
    if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value as string);
    verified.set(key, now() + VERIFIED_TTL_MS);
    return true;
  };

  return async (req) => {
    const creds = parseBasicAuth(req.headers.authorization);
    if (!creds) return false;
    // The stored hash is part of the key, so a changed password never matches an old entry.
    const key = createHash('sha256').update(`${creds.user}\0${creds.password}\0${hashes.get(creds.user) ?? ''}`).digest('hex');
    const until = verified.get(key);
    if (until !== undefined) {
      if (until > now()) return true;
      verified.delete(key);
    }
    let pending = inFlight.get(key);
    if (!pending) {
      pending = verify(creds.user, creds.password, key).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}

/** Splits an `Authorization: Basic …` header into user and password (the password may hold colons). */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

