import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from './run-cli.js';
import { makeTestPki, type TestPki } from './tls-fixtures.js';

// Issue 15: "A bad PEM prints a stack trace". Swapped cert/key, a garbage certificate or a key of
// another certificate reached https.createServer when the sink started, and the OpenSSL error
// (code ERR_OSSL_…) crashed the error printer: `TypeError: err.details is not iterable`, exit 1.
// Now the files are checked when the web config loads: one line naming the file and the problem,
// exit 2 (a configuration mistake).

let pki: TestPki;
beforeAll(() => void (pki = makeTestPki()));
afterAll(() => pki.remove());

/** Runs `sockscope serve` expecting it to exit before it listens; resolves with the exit code and stderr. */
async function failsToStart(args: string[]): Promise<{ code: string; stderr: string }> {
  const message = await startCli(args, { timeoutMs: 10_000 }).then(
    async (cli) => {
      await cli.stop();
      return 'it started listening';
    },
    (e: Error) => e.message,
  );
  const m = /^sockscope exited with (\S+) before listening; stderr:\n([\s\S]*)$/.exec(message);
  expect(m, message).not.toBeNull();
  return { code: m?.[1] as string, stderr: m?.[2] as string };
}

function webConfig(name: string, tls: Record<string, string>): string {
  const path = join(pki.dir, name);
  writeFileSync(path, `tls_server_config:\n${Object.entries(tls).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`);
  return path;
}

function garbage(name: string, text: string): string {
  const path = join(pki.dir, name);
  writeFileSync(path, text);
  return path;
}

describe('a bad PEM is one line naming the file and the problem, exit 2 (it printed a stack trace)', () => {
  const cases: [string, () => Record<string, string>, (p: TestPki) => string][] = [
    [
      'cert_file and key_file swapped',
      () => ({ cert_file: pki.serverKey, key_file: pki.serverCert }),
      (p) => `tls_server_config.cert_file: ${p.serverKey}: not a PEM certificate: it holds a private key (cert_file and key_file look swapped)`,
    ],
    [
      'a garbage certificate',
      () => ({ cert_file: garbage('garbage.crt', 'this is not a certificate\n'), key_file: pki.serverKey }),
      (p) => `tls_server_config.cert_file: ${join(p.dir, 'garbage.crt')}: not a PEM certificate: it holds no PEM block`,
    ],
    [
      'a certificate PEM block that does not parse',
      () => ({ cert_file: garbage('broken.crt', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'), key_file: pki.serverKey }),
      (p) => `tls_server_config.cert_file: ${join(p.dir, 'broken.crt')}: not a PEM certificate: `,
    ],
    [
      'a key of another certificate',
      () => ({ cert_file: pki.serverCert, key_file: pki.clientKey }),
      (p) => `tls_server_config.key_file: ${p.clientKey}: the private key does not belong to the certificate in ${p.serverCert}`,
    ],
    [
      'a garbage key',
      () => ({ cert_file: pki.serverCert, key_file: garbage('garbage.key', '\n') }),
      (p) => `tls_server_config.key_file: ${join(p.dir, 'garbage.key')}: not a PEM private key: it is empty`,
    ],
    [
      'an encrypted key',
      () => {
        const encrypted = join(pki.dir, 'encrypted.key');
        execFileSync('openssl', ['pkey', '-in', pki.serverKey, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
        return { cert_file: pki.serverCert, key_file: encrypted };
      },
      (p) => `tls_server_config.key_file: ${join(p.dir, 'encrypted.key')}: the private key is encrypted: sockscope needs it unencrypted`,
    ],
    [
      'a CA file without certificates',
      () => ({ cert_file: pki.serverCert, key_file: pki.serverKey, client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: pki.serverKey }),
      (p) => `tls_server_config.client_ca_file: ${p.serverKey}: no PEM certificate: it holds a private key`,
    ],
  ];

  for (const [name, tls, expected] of cases) {
    it(name, async () => {
      const { code, stderr } = await failsToStart(['--web.config.file', webConfig(`${name.replace(/\W+/g, '-')}.yml`, tls())]);
      expect(code).toBe('2');
      expect(stderr).not.toMatch(/TypeError|\n\s+at /);
      expect(stderr.split('\n').filter(Boolean), stderr).toHaveLength(1);
      expect(stderr.startsWith(`sockscope: web config: ${expected(pki)}`), stderr).toBe(true);
    });
  }
});
