// The Debian package installed on this machine with dpkg, run from PATH, scraped, removed (only
// conffiles stay) and purged (nothing stays). Needs root and dpkg; refuses to touch a machine
// that has sockscope installed already. The sockscope user the package creates is deleted after
// if it did not exist before, so the machine is left as it was.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { CONFFILES } from '../deb.mjs';
import { VERSION, artifact, scrapeChecks, startAgent } from './helpers.mjs';

const ARCH = { x64: 'amd64', arm64: 'arm64' }[process.arch];
const deb = () => artifact(`sockscope_${VERSION}_${ARCH}.deb`);
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const status = () => spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', 'sockscope'], { encoding: 'utf8' }).stdout.trim();
const userExists = () => spawnSync('getent', ['passwd', 'sockscope']).status === 0;
const canInstall = process.getuid?.() === 0 && spawnSync('dpkg', ['--version']).status === 0;

describe(`sockscope_${VERSION}_${ARCH}.deb`, () => {
  it('says what it is, and ships the conffiles, the unit, sysusers, tmpfiles and the man page', () => {
    const info = sh('dpkg-deb', ['--field', deb()]);
    assert.match(info, /^Package: sockscope$/m);
    assert.match(info, new RegExp(`^Version: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(info, new RegExp(`^Architecture: ${ARCH}$`, 'm'));
    assert.equal(sh('dpkg-deb', ['--ctrl-tarfile', deb()]).length > 0, true);
    const conffiles = sh('sh', ['-c', `dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./conffiles`, 'sh', deb()]);
    assert.deepEqual(conffiles.trim().split('\n').sort(), [...CONFFILES].sort());
    const contents = sh('dpkg-deb', ['--contents', deb()]);
    for (const path of ['./usr/bin/sockscope -> ../lib/sockscope/sockscope', './usr/lib/sockscope/lib/node', './usr/lib/sockscope/lib/koffi.node', './usr/lib/systemd/system/sockscope.service', './usr/lib/sysusers.d/sockscope.conf', './usr/lib/tmpfiles.d/sockscope.conf', './usr/share/man/man1/sockscope.1.gz', './etc/default/sockscope', './etc/sockscope/sockscope.yml', './etc/sockscope/web.yml']) {
      assert.ok(contents.includes(path), `${path} in the package`);
    }
    assert.doesNotMatch(contents, /node_modules\/(?!bcryptjs|koffi|$)/m);
  });

  describe('installed with dpkg -i', { skip: canInstall ? false : 'needs root and dpkg' }, () => {
    let hadUser;
    before(() => {
      assert.equal(status(), '', 'sockscope is already installed on this machine: the test would replace it; remove it first (dpkg -P sockscope)');
      hadUser = userExists();
      sh('dpkg', ['-i', deb()]);
    });
    after(() => {
      // whatever failed, leave nothing installed
      if (status() !== '') spawnSync('dpkg', ['-P', 'sockscope']);
      if (!hadUser && userExists()) spawnSync('userdel', ['sockscope']);
      if (!hadUser) spawnSync('groupdel', ['sockscope']);
    });

    it('puts sockscope on PATH, saying its version and revision', () => {
      assert.equal(status(), 'ii');
      const out = sh('sockscope', ['--version'], { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, cwd: '/' });
      assert.match(out, new RegExp(`^sockscope ${VERSION.replace(/\./g, '\\.')} \\(node [0-9.]+, linux/${process.arch}, revision [0-9a-f]{7,}(-dirty)?\\)`));
    });

    it('created the sockscope system user and gave its group the config directory (sysusers, tmpfiles)', () => {
      assert.ok(userExists());
      const uid = Number(sh('id', ['-u', 'sockscope']));
      assert.ok(uid < 1000, `a system uid (${uid})`);
      const gid = Number(sh('id', ['-g', 'sockscope']));
      for (const [path, mode] of [['/etc/sockscope', 0o750], ['/etc/sockscope/sockscope.yml', 0o640], ['/etc/sockscope/web.yml', 0o640]]) {
        const st = statSync(path);
        assert.equal(st.mode & 0o777, mode, `${path} mode`);
        assert.equal(st.uid, 0, `${path} owner`);
        assert.equal(st.gid, gid, `${path} group`);
      }
    });

    it('its config templates are valid as they are (comments only: the embedded default)', () => {
      const out = sh('sockscope', ['check-config', '/etc/sockscope/sockscope.yml']);
      assert.match(out, /valid/);
    });

    it('systemd-analyze verify passes on the installed unit', { skip: spawnSync('systemd-analyze', ['--version']).status === 0 ? false : 'systemd-analyze is not installed' }, () => {
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', '/usr/lib/systemd/system/sockscope.service'], { encoding: 'utf8' });
      const complaints = `${r.stdout}${r.stderr}`
        .split('\n')
        .filter((l) => l.includes('sockscope'));
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.deepEqual(complaints, []);
      const unit = readFileSync('/usr/lib/systemd/system/sockscope.service', 'utf8');
      assert.match(unit, /^ExecStart=\/usr\/bin\/sockscope --config=\/etc\/sockscope\/sockscope\.yml --web\.config\.file=\/etc\/sockscope\/web\.yml \$ARGS$/m);
      assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
      assert.match(unit, /^EnvironmentFile=-\/etc\/default\/sockscope$/m);
    });

    it('runs from PATH with the packaged config and web config as the unit starts it, and serves /metrics and /health', async () => {
      const agent = await startAgent('sockscope', ['--config=/etc/sockscope/sockscope.yml', '--web.config.file=/etc/sockscope/web.yml'], { cwd: '/' });
      try {
        await scrapeChecks(assert, agent.port);
      } finally {
        assert.equal((await agent.stop()).code, 0);
      }
    });

    it('as the sockscope user with only the unit\'s two capabilities, it names processes with no notice', async () => {
      const agent = await startAgent('setpriv', ['--reuid=sockscope', '--regid=sockscope', '--init-groups', '--inh-caps=+sys_ptrace,+dac_read_search', '--ambient-caps=+sys_ptrace,+dac_read_search', '--', 'sockscope', '--config=/etc/sockscope/sockscope.yml', '--web.config.file=/etc/sockscope/web.yml'], { cwd: '/' });
      try {
        const { health } = await scrapeChecks(assert, agent.port);
        // the two capabilities are enough: no notice names a missing one (host notices may stand)
        assert.deepEqual((health.notices ?? []).filter((n) => /CAP_|capabilit/i.test(n)), [], JSON.stringify(health.notices));
      } finally {
        await agent.stop();
      }
    });

    it('has a man page made from --help', () => {
      const man = gunzipSync(readFileSync('/usr/share/man/man1/sockscope.1.gz')).toString('utf8');
      assert.match(man, /^\.TH SOCKSCOPE 1 /m);
      assert.match(man, /web\\-listen\\-address|web\.listen\\-address/);
      assert.match(man, /^\.SH WEB$/m);
    });

    it('dpkg -r removes the program and keeps only the conffiles; dpkg -P removes those too', () => {
      sh('dpkg', ['-r', 'sockscope']);
      assert.equal(status(), 'rc');
      for (const gone of ['/usr/bin/sockscope', '/usr/lib/sockscope', '/usr/lib/systemd/system/sockscope.service', '/usr/lib/sysusers.d/sockscope.conf', '/usr/lib/tmpfiles.d/sockscope.conf', '/usr/share/man/man1/sockscope.1.gz', '/usr/share/doc/sockscope']) {
        assert.equal(existsSync(gone), false, `${gone} removed`);
      }
      for (const kept of CONFFILES) assert.ok(existsSync(kept), `${kept} kept`);
      const left = sh('dpkg-query', ['-L', 'sockscope']).trim().split('\n').filter((p) => p && !p.startsWith('/etc'));
      assert.deepEqual(left, [], 'dpkg lists only /etc paths after remove');
      sh('dpkg', ['-P', 'sockscope']);
      assert.equal(status(), '');
      for (const gone of [...CONFFILES, '/etc/sockscope']) assert.equal(existsSync(gone), false, `${gone} purged`);
    });
  });
});
