// The pure parts of the release: the packaged systemd unit derived from the example (hardening
// kept line for line) and the man page from --help.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { manPage, packagedUnit } from '../deb.mjs';
import { ROOT } from './helpers.mjs';

const example = readFileSync(join(ROOT, 'examples/systemd/sockscope.service'), 'utf8');

describe('the packaged systemd unit', () => {
  const unit = packagedUnit(example);
  const directives = (text) => text.split('\n').filter((l) => /^[A-Z]\w+=/.test(l));

  it('keeps every directive of the example but ExecStart, and adds EnvironmentFile and ExecReload', () => {
    const mine = directives(unit);
    const theirs = directives(example).filter((l) => !l.startsWith('ExecStart='));
    for (const d of theirs) assert.ok(mine.includes(d), `${d} kept`);
    assert.deepEqual(
      mine.filter((d) => !theirs.includes(d)),
      ['EnvironmentFile=-/etc/default/sockscope', 'ExecStart=/usr/bin/sockscope --config=/etc/sockscope/sockscope.yml --web.config.file=/etc/sockscope/web.yml $ARGS'],
    );
    assert.ok(mine.includes('ExecReload=/bin/kill -HUP $MAINPID'));
    assert.ok(mine.includes('CapabilityBoundingSet=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH'));
  });

  it('refuses an example without ExecStart rather than shipping a unit that starts nothing', () => {
    assert.throws(() => packagedUnit(example.replace(/^ExecStart=.*$/m, '')), /no ExecStart/);
  });
});

describe('the man page', () => {
  it('has NAME, SYNOPSIS, a section per --help group and every flag, escaped for roff', () => {
    const help = execFileSync(process.execPath, [join(ROOT, 'apps/exporter/dist/cli.js'), '--help'], { encoding: 'utf8' });
    const man = manPage(help, '1.2.3', '2026-01-01');
    assert.match(man, /^\.TH SOCKSCOPE 1 "2026-01-01" "sockscope 1\.2\.3" "User Commands"$/m);
    for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'WEB', 'COLLECTORS', 'LOGGING', 'FILES', 'SIGNALS']) assert.match(man, new RegExp(`^\\.SH ${s}$`, 'm'));
    for (const flag of help.match(/--[a-z][\w.-]*/g)) assert.ok(man.includes(flag.replace(/-/g, '\\-')), `${flag} in the man page`);
    // no line starts with a dot or a quote that roff would take for a request
    for (const line of man.split('\n')) if (/^[.']/.test(line)) assert.match(line, /^\.(TH|SH|TP|I|B|BR|nf|fi|br) ?|^\.$/, line);
  });
});
