import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseServices, portName } from './services.js';

// an excerpt of a real /etc/services (see the fixture's header for where it comes from)
const fixture = readFileSync(new URL('./services.fixture.txt', import.meta.url), 'utf8');

describe('parseServices on a real /etc/services excerpt', () => {
  const services = parseServices(fixture);

  it.each([
    [443, 'tcp', 'https'],
    [443, 'udp', 'https'],
    [22, 'tcp', 'ssh'],
    [53, 'tcp', 'domain'],
    [53, 'udp', 'domain'],
    [80, 'tcp', 'http'], // aliased `www`: the official name wins
    [88, 'udp', 'kerberos'], // several aliases and a trailing comment
    [9, 'tcp', 'discard'], // aliases without a comment
    [1, 'tcp', 'tcpmux'], // the first entry, right after the header comments and a blank line
    [5432, 'tcp', 'postgresql'], // after a block of `#>` comments
    [3306, 'tcp', 'mysql'],
  ])('%i/%s is %s', (port, protocol, name) => {
    expect(portName(services, port, protocol)).toBe(name);
  });

  it('has no name where the file has none', () => {
    expect(portName(services, 22, 'udp')).toBeUndefined(); // ssh is tcp-only in the file
    expect(portName(services, 3306, 'udp')).toBeUndefined();
    expect(portName(services, 8080, 'tcp')).toBeUndefined();
    expect(portName(services, 443, 'raw')).toBeUndefined();
  });

  it('keys only entries, never aliases or comment words', () => {
    const values = new Set(services.values());
    for (const alias of ['www', 'postgres', 'krb5', 'sink', 'mail']) expect(values.has(alias)).toBe(false);
    // every key has the port/protocol shape
    for (const key of services.keys()) expect(key).toMatch(/^\d{1,5}\/[a-z0-9-]+$/);
    // one key per non-comment line of the fixture (it has no duplicate port/protocol pairs)
    const entryLines = fixture.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    expect(services.size).toBe(entryLines.length);
  });
});

describe('parseServices on edge cases', () => {
  it('lets the first name win per port/protocol, as getservbyport does', () => {
    const s = parseServices('http 80/tcp www\nhttp-alt 80/tcp\nwww 80/udp\n');
    expect(portName(s, 80, 'tcp')).toBe('http');
    expect(portName(s, 80, 'udp')).toBe('www');
  });

  it('accepts spaces, tabs, CRLF, leading blanks, a comment right after the protocol and no final newline', () => {
    const s = parseServices('  ssh \t 22/tcp\r\nntp 123/udp# time\r\n\tdomain\t53/udp');
    expect([...s]).toEqual([
      ['22/tcp', 'ssh'],
      ['123/udp', 'ntp'],
      ['53/udp', 'domain'],
    ]);
  });

  it('skips lines that do not parse and keeps the rest', () => {
    const s = parseServices(
      ['noport', 'bad x/tcp', 'big 65536/tcp', 'noproto 5/', 'noslash 5 tcp', '# 7/tcp commented', 'max 65535/udp', 'zero 0/tcp'].join('\n'),
    );
    expect([...s]).toEqual([
      ['65535/udp', 'max'],
      ['0/tcp', 'zero'],
    ]);
  });

  it('returns an empty map for empty text', () => {
    expect(parseServices('').size).toBe(0);
    expect(parseServices('\n\n# only comments\n').size).toBe(0);
  });
});
