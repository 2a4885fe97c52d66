import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBasicAuth, createBcryptPool, loadWebConfig, VERIFIED_TTL_MS, type BcryptPool } from '../src/web-config/index.js';
import { startCli } from './run-cli.js';

// Issue 15: "Basic auth can be flooded by unauthenticated clients". bcrypt ran on the event loop
// (bcryptjs's async compare in slices), so 50 clients sending wrong passwords against a cost-12
// hash held every request, even one with a cached credential, for 12–14 s. bcrypt costs outside
// 4–31 were taken at load and then hung start-up (31, 99: the decoy hash was made at that cost)
// or answered 500 to every request (03).

// cost 10 takes ~70 ms in bcryptjs here: 50 clients are seconds of bcrypt per round
const PASSWORD = 'correct horse';
const HASH_10 = bcrypt.hashSync(PASSWORD, 10);

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'sockscope-auth-flood-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const servers: Server[] = [];
const pools: BcryptPool[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function webConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const basic = (auth: string) => `Basic ${Buffer.from(auth).toString('base64')}`;

/** One GET, resolving with the status, the Retry-After header and the time it took. */
function get(port: number, auth: string, agent: Agent): Promise<{ status: number; retryAfter?: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/metrics', agent, headers: { authorization: basic(auth) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('basic auth can be flooded by unauthenticated clients', () => {
  it('an authenticated scraper keeps getting answers within 1 s while 50 clients send wrong passwords (cost 10)', async () => {
    const factory = await loadWebConfig(webConfig('flood.yml', `basic_auth_users:\n  prometheus: '${HASH_10}'\n`));
    const server = factory((_req, res) => res.end('ok\n'));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;

    const scraperAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    // the scraper logs in once: its credential is cached from then on
    expect((await get(port, `prometheus:${PASSWORD}`, scraperAgent)).status).toBe(200);

    let flooding = true;
    const attackerStatuses = new Map<number, number>();
    const retryAfters = new Set<string | undefined>();
    const attackers = Array.from({ length: 50 }, async (_, i) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      // bounded: at most 200 requests each, and only while the scraper runs
      for (let n = 0; flooding && n < 200; n++) {
        const r = await get(port, `prometheus:wrong-${i}-${n}`, agent).catch((e: Error) => ({ status: -1, retryAfter: e.message }));
        attackerStatuses.set(r.status, (attackerStatuses.get(r.status) ?? 0) + 1);
        if (r.status === 429) retryAfters.add(r.retryAfter);
      }
      agent.destroy();
    });

    const latencies: number[] = [];
    const statuses: number[] = [];
    try {
      // let the flood build up, then scrape every 100 ms: 30 times, for at most 6 s
      await new Promise((r) => setTimeout(r, 300));
      const deadline = performance.now() + 6000;
      for (let i = 0; i < 30 && performance.now() < deadline; i++) {
        const r = await get(port, `prometheus:${PASSWORD}`, scraperAgent);
        statuses.push(r.status);
        latencies.push(r.ms);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      flooding = false;
      await Promise.all(attackers);
      scraperAgent.destroy();
    }
    expect(statuses.every((s) => s === 200), `scraper statuses ${statuses.join(',')}`).toBe(true);
    expect(Math.max(...latencies), `scraper latencies (ms) ${latencies.map(Math.round).join(',')}`).toBeLessThan(1000);
    // the flood is answered 401 (checked) or 429 (shed, with Retry-After), nothing else
    expect([...attackerStatuses.keys()].sort()).toEqual([401, 429]);
    expect([...retryAfters]).toEqual(['1']);
  });

  it('a credential that passed before is checked ahead of the flood when its cached success expires', async () => {
    let clock = 1_000_000;
    const pool = createBcryptPool({ workers: 1 });
    pools.push(pool);
    const check = createBasicAuth({ prometheus: HASH_10 }, { now: () => clock, pool });
    const req = (auth: string) => ({ headers: { authorization: basic(auth) } }) as never;
    expect(await check(req(`prometheus:${PASSWORD}`))).toBe(true);
    clock += VERIFIED_TTL_MS + 1;

    let flooding = true;
    const results: (boolean | 'busy')[] = [];
    const attackers = Array.from({ length: 50 }, async (_, i) => {
      for (let n = 0; flooding && n < 200; n++) {
        results.push(await check(req(`prometheus:wrong-${i}-${n}`)));
        // a refused attempt comes back at once: yield so the loop is not a busy spin
        await new Promise((r) => setImmediate(r));
      }
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      expect(await check(req(`prometheus:${PASSWORD}`))).toBe(true);
      // one wrong-password check may be running ahead of it: ~70 ms at cost 10
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      flooding = false;
      await Promise.all(attackers);
    }
    expect(results).toContain('busy');
    expect(results).toContain(false);
    expect(results).not.toContain(true);
  });

  it('an unknown user costs what a wrong password for the cheapest user costs', async () => {
    const pool = createBcryptPool({ workers: 1 });
    pools.push(pool);
    // alice has the lowest cost (8, ~18 ms), bob the highest (11, ~8 times as long)
    const check = createBasicAuth({ bob: bcrypt.hashSync('b', 11), alice: bcrypt.hashSync('a', 8) }, { pool });
    const req = (auth: string) => ({ headers: { authorization: basic(auth) } }) as never;
    const median = async (auth: (i: number) => string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        expect(await check(req(auth(i)))).toBe(false);
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[2] as number;
    };
    const unknown = await median((i) => `mallory:guess-${i}`);
    const aliceWrong = await median((i) => `alice:guess-${i}`);
    const bobWrong = await median((i) => `bob:guess-${i}`);
    // loose bounds: same order as alice's, far from bob's
    expect(unknown / aliceWrong, `unknown ${unknown} ms, alice wrong ${aliceWrong} ms`).toBeGreaterThan(0.5);
    expect(unknown / aliceWrong, `unknown ${unknown} ms, alice wrong ${aliceWrong} ms`).toBeLessThan(2);
    expect(unknown, `unknown ${unknown} ms, bob wrong ${bobWrong} ms`).toBeLessThan(bobWrong / 2);
  });
});

describe('bcrypt costs outside 4–31 are refused at load', () => {
  const withCost = (cost: string) => bcrypt.hashSync('pw', 4).replace(/^\$2b\$04\$/, `$2b$${cost}$`);

  it('names the file, the user and the cost', async () => {
    for (const cost of ['03', '00', '32', '99']) {
      const path = webConfig(`cost-${cost}.yml`, `basic_auth_users:\n  prometheus: '${withCost(cost)}'\n`);
      await expect(loadWebConfig(path)).rejects.toMatchObject({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(new RegExp(`^web config file ${path}: basic_auth_users\\.prometheus: bcrypt cost ${cost} is outside 4–31: make a new hash`)),
        details: [],
      });
    }
    // both ends of the range load
    for (const cost of ['04', '31']) await expect(loadWebConfig(webConfig(`ok-${cost}.yml`, `basic_auth_users:\n  p: '${withCost(cost)}'\n`))).resolves.toBeTypeOf('function');
  });

  it('the CLI exits 2 with one line for cost 99, and starts at once with cost 31 (no hash is made at start)', async () => {
    const bad = webConfig('cli-99.yml', `basic_auth_users:\n  prometheus: '${withCost('99')}'\n`);
    const err = await startCli(['--web.config.file', bad], { timeoutMs: 10_000 }).then(
      async (cli) => {
        await cli.stop();
        return 'it started';
      },
      (e: Error) => e.message,
    );
    const m = /^sockscope exited with (\S+) before listening; stderr:\n([\s\S]*)$/.exec(err);
    expect(m, err).not.toBeNull();
    expect(m?.[1]).toBe('2');
    expect(m?.[2]).toBe(`sockscope: web config file ${bad}: basic_auth_users.prometheus: bcrypt cost 99 is outside 4–31: make a new hash, e.g. htpasswd -nbBC 10 "" 'password' | tr -d ':\\n'\n`);

    const slow = webConfig('cli-31.yml', `basic_auth_users:\n  prometheus: '${withCost('31')}'\n`);
    const cli = await startCli(['--web.config.file', slow], { timeoutMs: 10_000 });
    const res = await fetch(`http://127.0.0.1:${cli.port}/health`);
    expect(res.status).toBe(401);
    expect(await cli.stop()).toBe(0);
  });
});
