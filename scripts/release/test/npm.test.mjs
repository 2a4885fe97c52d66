// The npm tarballs, installed with plain `npm install ./*.tgz` into an empty directory (no
// workspace, no pnpm): what `npm install -g @sockscope/exporter` gets once they are published.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publishablePackages } from '../release.mjs';
import { OUT, VERSION, emptyDir, scrapeChecks, startAgent } from './helpers.mjs';

const npmDir = join(OUT, 'npm');

function tarballs() {
  return readdirSync(npmDir).filter((f) => f.endsWith('.tgz'));
}

function packageJsonOf(tgz) {
  return JSON.parse(execFileSync('tar', ['-xzOf', join(npmDir, tgz), 'package/package.json'], { encoding: 'utf8' }));
}

describe('npm tarballs', () => {
  it('one per publishable workspace package, with real versions for workspace ranges, engines, LICENSE, README and types', () => {
    const names = tarballs().map((f) => packageJsonOf(f).name).sort();
    assert.deepEqual(names, publishablePackages().map(({ pkg }) => pkg.name).sort());
    for (const tgz of tarballs()) {
      const pkg = packageJsonOf(tgz);
      const files = execFileSync('tar', ['-tzf', join(npmDir, tgz)], { encoding: 'utf8' }).trim().split('\n');
      for (const [field, deps] of Object.entries({ dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies, optionalDependencies: pkg.optionalDependencies })) {
        for (const [dep, range] of Object.entries(deps ?? {})) assert.doesNotMatch(range, /^workspace:/, `${pkg.name} ${field}.${dep}`);
      }
      assert.equal(pkg.engines?.node, '>=20', `${pkg.name} engines.node`);
      assert.equal(pkg.license, 'Apache-2.0');
      for (const f of ['package/LICENSE', 'package/README.md', 'package/dist/index.js']) assert.ok(files.includes(f), `${pkg.name}: ${f}`);
      const types = pkg.exports?.['.']?.types;
      assert.ok(types && files.includes(`package/${types.replace(/^\.\//, '')}`), `${pkg.name}: the types its exports name (${types}) are in the tarball`);
      assert.ok(files.every((f) => !f.startsWith('package/src/') && !f.startsWith('package/test/')), `${pkg.name}: no sources or tests`);
      if (pkg.bin) for (const bin of Object.values(pkg.bin)) assert.ok(files.includes(`package/${bin.replace(/^\.\//, '')}`), `${pkg.name}: bin ${bin}`);
    }
  });

  describe('installed with npm install ./*.tgz into an empty directory', () => {
    let dir;
    before(() => {
      dir = emptyDir('sockscope-npm-');
      for (const f of tarballs()) copyFileSync(join(npmDir, f), join(dir, f));
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs().map((f) => `./${f}`)], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('npx sockscope --version says this version', () => {
      const out = execFileSync('npx', ['--no-install', 'sockscope', '--version'], { cwd: dir, encoding: 'utf8' });
      assert.match(out, new RegExp(`^sockscope ${VERSION.replace(/\./g, '\\.')} \\(node ${process.versions.node}, linux/${process.arch}, revision [0-9a-f]{7,}(-dirty)?\\)`));
    });

    it('installs no workspace-only package (test-utils, the example plugin)', () => {
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
      const installed = Object.keys(lock.packages).filter((p) => p.includes('node_modules/'));
      assert.ok(!installed.some((p) => /test-utils|sockscope-plugin-port-range/.test(p)), installed.join('\n'));
    });

    it('serves /metrics and /health, with the Node flags of the bin\'s shebang', async () => {
      const agent = await startAgent(join(dir, 'node_modules/.bin/sockscope'), [], { cwd: dir });
      try {
        await scrapeChecks(assert, agent.port);
        assert.match(agent.log(), /node_flags="--max-semi-space-size=4 --single-threaded-gc --max-old-space-size=1024"/);
      } finally {
        assert.equal((await agent.stop()).code, 0);
      }
    });
  });
});
