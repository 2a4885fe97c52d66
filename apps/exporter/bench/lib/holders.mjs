// A pool of holder processes keeping N established loopback TCP connections: pairs of a server
// holder (one listening port) and a client holder, each pair holding at most `perPair`
// connections, so no process comes near the 20,000 open-file limit.
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { spawnTracked, stopChild } from './children.mjs';
import { BenchError } from './flags.mjs';

const HOLDER = fileURLToPath(new URL('./holder.mjs', import.meta.url));
const HOST = '127.0.0.1';
const REPLY_TIMEOUT_MS = 120_000;

/** One holder process spoken to over its stdin/stdout, one JSON reply per command (`lib/holder.mjs`). */
export class Holder {
  constructor(role, port) {
    this.role = role;
    this.port = port;
    this.child = spawnTracked(process.execPath, [HOLDER, role, HOST, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.waiting = [];
    this.exited = false;
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(JSON.parse(line)));
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w.reject(new BenchError(`${role} holder on port ${port} exited (${signal ?? code})`));
    });
    this.started = this.next();
  }

  /** Resolves with the next reply line. */
  next() {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchError(`${this.role} holder on port ${this.port} did not answer within ${REPLY_TIMEOUT_MS / 1000} s`)), REPLY_TIMEOUT_MS);
      this.waiting.push({
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /** Sends a command and resolves with its reply; a reply carrying `error` rejects. */
  async send(command) {
    await this.started;
    const reply = this.next();
    this.child.stdin.write(command + '\n');
    const r = await reply;
    if (r.error) throw new BenchError(`${this.role} holder on port ${this.port}: ${r.error}`);
    return r;
  }

  /** Closes stdin (the holder exits on its own) and waits; kills it if it lingers. */
  async close() {
    this.child.stdin.end();
    await stopChild(this.child, 3000);
  }
}

/**
 * Creates an empty pool; `grow(n)` opens connections, `close()` ends every holder. `bytes`: what
 * each new connection sends once (default the holder's 6-byte greeting).
 */
export function createHolderPool({ perPair = 10_000, basePort = 20_000, bytes } = {}) {
  const pairs = [];

  const addPair = async () => {
    const port = basePort + pairs.length;
    const pair = { server: new Holder('server', port), client: new Holder('client', port), count: 0 };
    pairs.push(pair);
    const first = await pair.server.started;
    if (first.error) throw new BenchError(`server holder on port ${port}: ${first.error}`);
    await pair.client.started;
    return pair;
  };

  /** Total connections accepted by the server holders (each one established on both sides). */
  const accepted = async () => (await Promise.all(pairs.map((p) => p.server.send('status')))).reduce((n, r) => n + r.open, 0);

  return {
    /** Processes holding connections, for the report. */
    get processes() {
      return pairs.length * 2;
    },
    /** Opens connections until `target` are established (never closes any); throws if the kernel refuses. */
    async grow(target, onProgress = () => {}) {
      let total = pairs.reduce((n, p) => n + p.count, 0);
      while (total < target) {
        const pair = pairs.find((p) => p.count < perPair) ?? (await addPair());
        const want = Math.min(perPair - pair.count, target - total);
        const r = await pair.client.send(bytes === undefined ? `open ${want}` : `open ${want} ${bytes}`);
        const got = r.open - pair.count;
        if (got < want) throw new BenchError(`could open only ${got} of ${want} connections to port ${pair.server.port} (${r.errors} errors, last ${r.lastError}); check ulimit -Hn and the port range`);
        pair.count = r.open;
        total += got;
        onProgress(total);
      }
      // The client side is established at connect; wait until every server side was accepted too.
      const deadline = Date.now() + 60_000;
      for (let n = await accepted(); n < total; n = await accepted()) {
        if (Date.now() > deadline) throw new BenchError(`only ${n} of ${total} connections were accepted within 60 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return total;
    },
    /** Starts (or with 0 stops) churn in every client holder: `perSecond` closed and opened in all. */
    async churn(perSecond) {
      const each = Math.round(perSecond / Math.max(1, pairs.length));
      await Promise.all(pairs.map((p) => p.client.send(`churn ${each}`)));
    },
    /**
     * Hands every held connection over to `count` `sleep` processes spread evenly over the holder
     * processes (each takes an equal share of its holder's sockets); resolves with their pids.
     * Listening sockets stay with the server holders. Do not grow the pool afterwards.
     */
    async spread(count) {
      const holders = pairs.flatMap((p) => [p.server, p.client]);
      if (count < holders.length) throw new BenchError(`cannot spread connections over ${count} processes: the pool has ${holders.length} holder processes, each needs one at least`);
      const replies = await Promise.all(holders.map((h, i) => h.send(`spread ${Math.floor(((i + 1) * count) / holders.length) - Math.floor((i * count) / holders.length)}`)));
      return replies.flatMap((r) => r.pids);
    },
    /** Listening ports of the server holders. */
    get ports() {
      return pairs.map((p) => p.server.port);
    },
    /** Status lines of every holder (open, opened, closed, received, errors). */
    async status() {
      return Promise.all(pairs.flatMap((p) => [p.server.send('status'), p.client.send('status')]));
    },
    /** Ends every holder process. */
    async close() {
      await Promise.all(pairs.flatMap((p) => [p.client.close(), p.server.close()]));
    },
  };
}
