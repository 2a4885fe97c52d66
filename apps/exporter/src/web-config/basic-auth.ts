import { createHash, randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SockscopeError } from '@sockscope/core';
import { createBcryptPool, type BcryptPool } from './bcrypt-pool.js';

/** How long a verified user/password pair is trusted without running bcrypt again. */
export const VERIFIED_TTL_MS = 60_000;
/** The bcrypt costs Go's bcrypt (and so exporter-toolkit) accepts. */
export const BCRYPT_MIN_COST = 4;
export const BCRYPT_MAX_COST = 31;
const MAX_CACHED = 256;

/**
 * Checks a request's basic-auth credentials against bcrypt hashes: true or false, or `'busy'`
 * when too many checks of credentials never seen to succeed are already waiting (answer 429).
 */
export type BasicAuthCheck = (req: IncomingMessage) => Promise<boolean | 'busy'>;

/** Options of {@link createBasicAuth}. */
export interface BasicAuthOptions {
  /** The clock of the success cache. */
  now?: () => number;
  /** Where hashes are compared (default: a pool of worker threads of its own). */
  pool?: BcryptPool;
}

/** The cost field of a bcrypt hash (`$2y$10$…` → 10). */
export function bcryptCost(hash: string): number {
  return Number(hash.slice(4, 6));
}

/** Why a bcrypt hash's cost cannot be used, or undefined when it can. */
export function bcryptCostProblem(hash: string): string | undefined {
  const cost = bcryptCost(hash);
  if (cost >= BCRYPT_MIN_COST && cost <= BCRYPT_MAX_COST) return undefined;
  return `bcrypt cost ${hash.slice(4, 6)} is outside ${BCRYPT_MIN_COST}–${BCRYPT_MAX_COST}: make a new hash, e.g. htpasswd -nbBC 10 "" 'password' | tr -d ':\\n'`;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A hash nobody's password matches, of the given prefix and cost: comparing against it costs what a real one does. */
function decoyHash(like: string): string {
  let body = '';
  for (let i = 0; i < 53; i++) body += BCRYPT_ALPHABET[randomInt(BCRYPT_ALPHABET.length)];
  return `${like.slice(0, 7)}${body}`;
}

/**
 * Builds the credential check. Hashes are compared on worker threads (see createBcryptPool), so
 * the event loop keeps answering while bcrypt runs. Every attempt runs one comparison; an unknown
 * user is compared against a decoy hash of the lowest cost among the users, so it takes as long
 * as a wrong password for that user and response time does not tell valid user names from
 * invalid ones. A success is remembered for {@link VERIFIED_TTL_MS} under a SHA-256 of the
 * credentials (failures never are), and credentials that once succeeded are checked again ahead
 * of all others when that expires; checks of credentials never seen to succeed have a bounded
 * queue of their own and get `'busy'` beyond it, so a flood of wrong passwords cannot starve a
 * scraper that knows its password.
 */
export function createBasicAuth(users: Readonly<Record<string, string>>, opts: BasicAuthOptions = {}): BasicAuthCheck {
  const now = opts.now ?? Date.now;
  const hashes = new Map(Object.entries(users));
  for (const [user, hash] of hashes) {
    const problem = bcryptCostProblem(hash);
    if (problem) throw new SockscopeError('ERR_CONFIG_INVALID', `basic_auth_users.${user}: ${problem}`);
  }
  const cheapest = [...hashes.values()].reduce((a, b) => (bcryptCost(b) < bcryptCost(a) ? b : a), '$2y$10$');
  const decoy = decoyHash(cheapest);
  let pool = opts.pool;
  const verified = new Map<string, number>();
  // keys of credentials that passed at least once (least recently passed first)
  const trusted = new Set<string>();
  const inFlight = new Map<string, Promise<boolean | 'busy'>>();

  const remember = (key: string) => {
    if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value as string);
    verified.set(key, now() + VERIFIED_TTL_MS);
    trusted.delete(key);
    if (trusted.size >= MAX_CACHED) trusted.delete(trusted.values().next().value as string);
    trusted.add(key);
  };

  const verify = async (user: string, password: string, key: string): Promise<boolean | 'busy'> => {
    const hash = hashes.get(user);
    pool ??= createBcryptPool();
    const ok = await pool.compare(password, hash ?? decoy, trusted.has(key) ? 'trusted' : 'untrusted');
    if (ok !== true || hash === undefined) return ok === 'busy' ? 'busy' : false;
    remember(key);
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
