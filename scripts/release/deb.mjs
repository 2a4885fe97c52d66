// The Debian package, built with dpkg-deb alone (no debhelper):
//   /usr/lib/sockscope/            the executable directory (launcher, Node runtime, bundle, koffi.node)
//   /usr/bin/sockscope             -> ../lib/sockscope/sockscope
//   /usr/lib/systemd/system/sockscope.service   examples/systemd/sockscope.service with the packaged
//                                  paths, /etc/default/sockscope and ExecReload (its hardening unchanged)
//   /usr/lib/sysusers.d/sockscope.conf, /usr/lib/tmpfiles.d/sockscope.conf
//   /etc/sockscope/{sockscope,web}.yml, /etc/default/sockscope   (conffiles: commented templates)
//   /usr/share/man/man1/sockscope.1.gz   generated from `sockscope --help`
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CONFFILES = ['/etc/default/sockscope', '/etc/sockscope/sockscope.yml', '/etc/sockscope/web.yml'];

const EXEC_START = '/usr/bin/sockscope --config=/etc/sockscope/sockscope.yml --web.config.file=/etc/sockscope/web.yml $ARGS';

/**
 * The packaged unit: the example unit's hardening as it is, with the packaged binary, flags from
 * /etc/default/sockscope and reload by SIGHUP. Throws if the example's ExecStart is not where the
 * packaged one goes (so the two cannot drift apart silently).
 */
export function packagedUnit(exampleUnit) {
  const lines = exampleUnit.split('\n');
  const at = lines.findIndex((l) => l.startsWith('ExecStart='));
  if (at < 0) throw new Error('examples/systemd/sockscope.service has no ExecStart= line');
  const out = lines.filter((l, i) => {
    if (i < at && /^# npm install -g|adjust to where yours lives/.test(l)) return false;
    if (l.startsWith('ExecReload=')) return false;
    return true;
  });
  const start = out.findIndex((l) => l.startsWith('ExecStart='));
  out.splice(
    start,
    1,
    '# Extra flags: ARGS in /etc/default/sockscope. Reload (config, web config, certificates): systemctl reload sockscope.',
    'EnvironmentFile=-/etc/default/sockscope',
    `ExecStart=${EXEC_START}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
  );
  const header = out.findIndex((l) => l.startsWith('[Unit]'));
  return [
    '# sockscope as a least-privilege system service (installed by the sockscope Debian package; the',
    '# same unit as examples/systemd/sockscope.service in the repository, with the packaged paths).',
    '# Local changes: systemctl edit sockscope (drop-ins in /etc/systemd/system/sockscope.service.d/).',
    ...out.slice(header),
  ].join('\n');
}

const TMPFILES = `# sockscope (systemd-tmpfiles format): the config directory is readable by the service's group
# only, web.yml may hold password hashes and the TLS key's path.
z /etc/sockscope 0750 root sockscope -
z /etc/sockscope/sockscope.yml 0640 root sockscope -
z /etc/sockscope/web.yml 0640 root sockscope -
`;

const DEFAULTS = `# Flags for sockscope, read by sockscope.service (systemctl restart sockscope after a change).
# The config file (/etc/sockscope/sockscope.yml) and the web config (/etc/sockscope/web.yml) are
# always given; flags here win over the config file. See sockscope --help or man sockscope.
# Examples:
#   ARGS="--web.listen-address=127.0.0.1:8020"
#   ARGS="--log.level=debug --collector.disable-defaults --collector.linux-netlink"
ARGS=""
`;

const CONFIG_TEMPLATE = `# sockscope config (sockscope check-config /etc/sockscope/sockscope.yml validates it).
# A file of comments only is the embedded default: every built-in collector that fits the
# platform, /metrics on :8020. Uncomment what you change; README.md "Configuration" explains each
# key, and sockscope --help the flags that override them.
#
# collection:
#   timeout: 5s          # per collector; a slow or failing collector is reported, the rest publish
#   min_interval: 1s     # concurrent scrapes share one collection
# collectors:
#   linux-netlink:
#     namespaces: own    # own | all | [name, …] from /run/netns (all needs CAP_SYS_ADMIN: see
#                        # /usr/share/doc/sockscope/README.md, and a drop-in granting it)
#   linux-procfs:
#     interfaces:
#       exclude: '^(lo|veth.*|br-.*|docker.*)$'
# enrichers:
#   process: { cache_size: 8192 }
# sinks:
#   prometheus:
#     listen_address: ':8020'
#   otlp:
#     endpoint: http://127.0.0.1:4318     # or OTEL_EXPORTER_OTLP_ENDPOINT
# flows:
#   folding: service     # raw_endpoint | pid_condensed | peer | service | process | container
#   max_series: 10000
#   selection:
#     include: { ports: ['80', '443'] }
#     exclude: { commands: [sshd] }
`;

const WEB_TEMPLATE = `# sockscope web config: TLS and basic auth for /metrics, in the exporter-toolkit format
# node_exporter reads (https://prometheus.io/docs/prometheus/latest/configuration/https/).
# A file of comments only serves plain HTTP without auth. Reloaded on systemctl reload sockscope.
#
# tls_server_config:
#   cert_file: /etc/sockscope/sockscope.crt
#   key_file: /etc/sockscope/sockscope.key
# basic_auth_users:
#   # htpasswd -nBC 10 "" | tr -d ':\\n'  gives a bcrypt hash
#   prometheus: $2y$10$...
`;

const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  # the system user, from the sysusers entry (useradd where systemd-sysusers is missing)
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers sockscope.conf
  elif ! getent passwd sockscope >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin --comment "sockscope network exporter" sockscope
  fi
  if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --create sockscope.conf
  else
    chown root:sockscope /etc/sockscope /etc/sockscope/sockscope.yml /etc/sockscope/web.yml
    chmod 0750 /etc/sockscope
    chmod 0640 /etc/sockscope/sockscope.yml /etc/sockscope/web.yml
  fi
  # only where systemd runs (not in a container or chroot): enable it, start it on first install,
  # restart it on upgrade
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
    systemctl enable sockscope.service >/dev/null || true
    if [ -z "$2" ]; then
      systemctl start sockscope.service || true
    else
      systemctl try-restart sockscope.service || true
    fi
  fi
fi
exit 0
`;

const PRERM = `#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
  systemctl stop sockscope.service || true
fi
exit 0
`;

const POSTRM = `#!/bin/sh
set -e
case "$1" in
  remove)
    if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
    ;;
  purge)
    if [ -d /run/systemd/system ]; then
      systemctl disable sockscope.service >/dev/null 2>&1 || true
      systemctl daemon-reload >/dev/null || true
    fi
    rm -f /etc/systemd/system/multi-user.target.wants/sockscope.service
    rmdir /etc/sockscope 2>/dev/null || true
    # the sockscope user stays (files it owned may remain), as Debian keeps system users
    ;;
esac
exit 0
`;

function roffEscape(s) {
  return s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1').replace(/-/g, '\\-');
}

/** A man page (roff) from the `--help` text: its sections as they are, in no-fill blocks. */
export function manPage(help, version, date) {
  const [summary, ...rest] = help.trimEnd().split('\n');
  const text = rest.join('\n').replace(/^\n+/, '');
  const blocks = text.split(/\n(?=[A-Z][A-Za-z ]*(?: \(.*\))?:\s*$)/m);
  const out = [
    `.TH SOCKSCOPE 1 "${date}" "sockscope ${version}" "User Commands"`,
    '.SH NAME',
    `sockscope \\- ${roffEscape(summary.replace(/^sockscope:\s*/, ''))}`,
    '.SH SYNOPSIS',
    '.B sockscope',
    '[\\fBserve\\fR] [\\fIflags\\fR]',
    '.br',
    '.B sockscope',
    '\\fBcheck-config\\fR|\\fBmigrate-config\\fR \\fIFILE\\fR',
    '.br',
    '.B sockscope',
    '\\fBplugins\\fR [\\fIflags\\fR]',
    '.SH DESCRIPTION',
    'sockscope reads every socket (with TCP health from tcp_info through NETLINK_SOCK_DIAG) and the',
    'network counters of this host, names the process, container and unit behind each socket, and',
    'publishes them as Prometheus metrics on /metrics and, when configured, over OTLP.',
    'The text below is',
    '.BR "sockscope \\-\\-help" .',
  ];
  for (const block of blocks) {
    const lines = block.replace(/\n+$/, '').split('\n');
    // "Web:", "Collectors (--collector.NAME turns one on, …):" — a title, and what its parentheses say
    const title = /^([A-Z][A-Za-z ]*?)(?: \((.*)\))?:\s*$/.exec(lines[0]);
    if (title) {
      out.push(`.SH ${roffEscape(title[1].toUpperCase())}`);
      if (title[2]) out.push(roffEscape(`${title[2]}.`));
      lines.shift();
    }
    out.push('.nf', ...lines.map((l) => roffEscape(l)), '.fi');
  }
  out.push(
    '.SH FILES',
    '.TP',
    '.I /etc/sockscope/sockscope.yml',
    'the config file given by the systemd unit',
    '.TP',
    '.I /etc/sockscope/web.yml',
    'TLS and basic auth (exporter-toolkit format)',
    '.TP',
    '.I /etc/default/sockscope',
    'extra flags (ARGS) for the systemd unit',
    '.SH SIGNALS',
    'SIGHUP reloads the config, the web config and the certificates (systemctl reload sockscope);',
    'SIGTERM and SIGINT stop the agent after in-flight scrapes.',
    '.SH SEE ALSO',
    '.BR systemd.exec (5),',
    '/usr/share/doc/sockscope/README.md',
  );
  return `${out.join('\n')}\n`;
}

function write(file, text, mode = 0o644) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
}

function du(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((s, n) => s + du(join(path, n)), 0);
}

/** Builds dist-release/sockscope_<version>_<arch>.deb from the executable directory; returns its path. */
export function buildDeb({ root, out, version, arch, binaryDir }) {
  const stage = join(out, `deb-${arch}`);
  rmSync(stage, { recursive: true, force: true });
  const lib = join(stage, 'usr/lib/sockscope');
  mkdirSync(dirname(lib), { recursive: true });
  cpSync(binaryDir, lib, { recursive: true });
  rmSync(join(lib, 'LICENSE'));
  mkdirSync(join(stage, 'usr/bin'), { recursive: true });
  symlinkSync('../lib/sockscope/sockscope', join(stage, 'usr/bin/sockscope'));

  const example = readFileSync(join(root, 'examples/systemd/sockscope.service'), 'utf8');
  write(join(stage, 'usr/lib/systemd/system/sockscope.service'), packagedUnit(example));
  write(join(stage, 'usr/lib/sysusers.d/sockscope.conf'), readFileSync(join(root, 'examples/systemd/sockscope.sysusers'), 'utf8'));
  write(join(stage, 'usr/lib/tmpfiles.d/sockscope.conf'), TMPFILES);
  write(join(stage, 'etc/default/sockscope'), DEFAULTS);
  write(join(stage, 'etc/sockscope/sockscope.yml'), CONFIG_TEMPLATE, 0o640);
  write(join(stage, 'etc/sockscope/web.yml'), WEB_TEMPLATE, 0o640);

  // the man page from the --help of what is packaged (run where it can run; else the workspace build)
  const help =
    arch === 'amd64' && process.arch === 'x64'
      ? execFileSync(join(binaryDir, 'sockscope'), ['--help'], { encoding: 'utf8' })
      : execFileSync(process.execPath, [join(root, 'apps/exporter/dist/cli.js'), '--help'], { encoding: 'utf8' });
  const date = new Date().toISOString().slice(0, 10);
  write(join(stage, 'usr/share/man/man1/sockscope.1.gz'), gzipSync(manPage(help, version, date), { level: 9 }));
  const doc = join(stage, 'usr/share/doc/sockscope');
  write(join(doc, 'copyright'), `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: sockscope\n\nFiles: *\nLicense: Apache-2.0\n On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n\nFiles: usr/lib/sockscope/lib/node\nLicense: MIT (Node.js; its bundled dependencies under their own licenses)\n\nFiles: usr/lib/sockscope/lib/koffi.node\nLicense: MIT (koffi)\n`);
  write(join(doc, 'README.md'), readFileSync(join(root, 'README.md'), 'utf8'));
  write(join(doc, 'changelog.gz'), gzipSync(readFileSync(join(root, 'CHANGELOG.md')), { level: 9 }));

  const installedKb = Math.ceil(du(join(stage)) / 1024);
  const debian = join(stage, 'DEBIAN');
  write(
    join(debian, 'control'),
    [
      'Package: sockscope',
      `Version: ${version}`,
      `Architecture: ${arch}`,
      'Maintainer: sockscope maintainers <sockscope@localhost>',
      `Installed-Size: ${installedKb}`,
      // what lib/node links against (objdump -T: GLIBC_2.28, GLIBCXX_3.4.21, GCC_3.4)
      'Depends: libc6 (>= 2.28), libstdc++6 (>= 5), libgcc-s1 | libgcc1',
      'Recommends: systemd',
      'Section: net',
      'Priority: optional',
      'Description: network socket and interface metrics for Prometheus and OpenTelemetry',
      ' sockscope sees every socket and interface of a host: per-connection TCP health',
      ' (RTT, cwnd, retransmits, queues) through NETLINK_SOCK_DIAG, host network counters',
      " under node_exporter's names, and the process, container and unit behind each",
      ' socket. It serves them on /metrics and pushes them over OTLP when asked.',
      ' .',
      ' The package carries its own Node.js runtime; it runs as the sockscope system',
      ' user with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only.',
      '',
    ].join('\n'),
  );
  write(join(debian, 'conffiles'), `${CONFFILES.join('\n')}\n`);
  write(join(debian, 'postinst'), POSTINST, 0o755);
  write(join(debian, 'prerm'), PRERM, 0o755);
  write(join(debian, 'postrm'), POSTRM, 0o755);
  const deb = join(out, `sockscope_${version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(stage, { recursive: true, force: true });
  return deb;
}
