// Isolation: the bench re-runs itself inside a private network namespace (loopback only) and,
// by default, a private pid namespace so that every process it starts dies with it.
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { BenchError } from './flags.mjs';

const INSIDE = 'SOCKSCOPE_BENCH_INSIDE';

/** Ports kept out of the ephemeral range: listeners of the exporters (9000-9999) and holders (20000-20999). */
export const RESERVED_PORTS = '9000-9999,20000-20999';

/** True in the copy of the bench that runs inside the private namespaces. */
export function insideNamespace() {
  return process.env[INSIDE] === '1';
}

/**
 * Runs this script again under `unshare --net`, by default also in a private pid namespace
 * (`--pid --fork --mount-proc --kill-child`): when that namespace's first process ends, for
 * whatever reason, the kernel kills every process the bench started. Without it (`pidns`
 * false) unshare execs the bench itself, whose signal handlers stop its children. Needs root.
 */
export function reexecInNamespace(script, argv, { pidns = true } = {}) {
  if (process.getuid?.() !== 0) throw new BenchError('the bench must run as root: it creates a private network namespace with unshare --net (try sudo pnpm bench)');
  const ns = pidns ? ['--net', '--pid', '--fork', '--mount-proc', '--kill-child'] : ['--net'];
  const child = spawn('unshare', [...ns, process.execPath, script, ...argv], { stdio: 'inherit', env: { ...process.env, [INSIDE]: '1' } });
  // unshare --fork blocks SIGINT and SIGTERM, so a signal sent to us goes straight to the bench
  // inside; if that has not ended in 15 s, unshare is killed and --kill-child ends the namespace.
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(s, () => {
      for (const pid of childrenOf(child.pid)) signalQuietly(pid, s);
      signalQuietly(child.pid, s);
      setTimeout(() => signalQuietly(child.pid, 'SIGKILL'), 15_000).unref();
    });
  }
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new BenchError(`cannot run unshare (util-linux): ${err.message}`)));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
  });
}

/** Pids of a process's children, from /proc/<pid>/task/<tid>/children. */
function childrenOf(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function signalQuietly(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Brings loopback up and widens the namespace's own sysctls for many connections; refuses to
 * go on when the namespace has any interface besides lo (the traffic must stay private).
 */
export function prepareNamespace() {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).trim().split('\n');
  const names = links.map((l) => l.split(':')[1]?.trim());
  if (names.length !== 1 || names[0] !== 'lo') {
    throw new BenchError(`expected a private network namespace with only lo, found: ${names.join(', ')}; refusing to open connections here`);
  }
  // Per-namespace sysctls: they change nothing outside this namespace.
  writeSysctl('net/ipv4/ip_local_port_range', '1024 65535');
  // The exporters listen on 9000-9999 and the holders on 20000-20999: no client may take those as its own port.
  writeSysctl('net/ipv4/ip_local_reserved_ports', RESERVED_PORTS);
  writeSysctl('net/core/somaxconn', '65535');
  writeSysctl('net/ipv4/tcp_max_syn_backlog', '65535');
}

function writeSysctl(name, value) {
  try {
    writeFileSync(`/proc/sys/${name}`, value);
  } catch (err) {
    process.stderr.write(`bench: cannot set ${name} (${err.code}); continuing with ${readFileSync(`/proc/sys/${name}`, 'utf8').trim()}\n`);
  }
}
