// The executable directory, unpacked from its tarball into an empty temp dir with no
// node_modules in it or above it, run from there and through a symlink on PATH.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION, artifact, emptyDir, get, scrapeChecks, startAgent } from './helpers.mjs';

const name = `sockscope-${VERSION}-linux-${process.arch}`;

describe(`${name}.tar.gz run from an empty directory`, () => {
  let dir;
  before(() => {
    dir = emptyDir('sockscope-binary-');
    execFileSync('tar', ['-xzf', artifact(`${name}.tar.gz`), '-C', dir]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the launcher, the runtime, the bundle, koffi.node and nothing that needs a download', () => {
    const files = execFileSync('find', [join(dir, name), '-type', 'f', '-printf', '%P\n'], { encoding: 'utf8' }).trim().split('\n').sort();
    for (const f of ['sockscope', 'lib/node', 'lib/sockscope.mjs', 'lib/koffi.node', 'lib/web/connections.html', 'LICENSE', 'VERSION']) assert.ok(files.includes(f), `${f} in the tarball`);
    assert.ok(files.every((f) => /^lib\/node_modules\/(bcryptjs|koffi)\//.test(f) || !f.includes('node_modules')), 'no node_modules but bcryptjs and the koffi stand-in');
    // the runtime needs nothing but the C library (and the kernel's vDSO)
    const libs = execFileSync('ldd', [join(dir, name, 'lib/node')], { encoding: 'utf8' });
    for (const line of libs.trim().split('\n')) assert.match(line, /linux-vdso|libc\.so|libm\.so|ld-linux|libdl|libpthread|libstdc|libgcc_s/, line);
  });

  it('--version says the version and the git revision', () => {
    const out = execFileSync(join(dir, name, 'sockscope'), ['--version'], { cwd: dir, encoding: 'utf8' });
    assert.match(out, new RegExp(`^sockscope ${VERSION.replace(/\./g, '\\.')} \\(node ${process.versions.node}, linux/${process.arch}, revision [0-9a-f]{7,}(-dirty)?\\)\\n$`));
  });

  it('serves /metrics and /health from the empty directory, with the CLI node flags in effect', async () => {
    const agent = await startAgent(join(dir, name, 'sockscope'), [], { cwd: dir });
    try {
      await scrapeChecks(assert, agent.port);
      const started = agent.log().split('\n').find((l) => l.includes('msg=started'));
      assert.ok(started, agent.log());
      assert.match(started, new RegExp(`version=${VERSION.replace(/\./g, '\\.')} revision=[0-9a-f]{7,}`));
      assert.match(started, /node_flags="--max-semi-space-size=4 --single-threaded-gc --max-old-space-size=1024"/);
      // the process is the runtime beside the launcher, not a node from PATH
      const exe = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0')[0];
      assert.equal(exe, join(dir, name, 'lib/node'));
    } finally {
      assert.equal((await agent.stop()).code, 0);
    }
  });

  it('serves the connections page from the files shipped beside the bundle', async () => {
    const config = join(dir, 'connections.yml');
    writeFileSync(config, 'sinks:\n  prometheus:\n    connections: true\n');
    const agent = await startAgent(join(dir, name, 'sockscope'), ['--config', config], { cwd: dir });
    try {
      const page = await get(agent.port, '/connections');
      assert.equal(page.status, 200, page.text);
      assert.match(page.text, /<html/i);
      const script = await get(agent.port, '/connections.js');
      assert.equal(script.status, 200);
    } finally {
      assert.equal((await agent.stop()).code, 0);
    }
  });

  it('runs through a symlink in another directory (as /usr/bin/sockscope does)', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(join('..', name, 'sockscope'), join(bin, 'sockscope'));
    const out = execFileSync('sockscope', ['--version'], { cwd: '/', encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
    assert.match(out, new RegExp(`^sockscope ${VERSION.replace(/\./g, '\\.')} `));
  });
});
