import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Certificates made for one test run: a CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from an unrelated CA (must be refused where verification is on). */
  strangerCert: string;
  strangerKey: string;
  /** Issues a new server certificate and key from the same CA into the same files (a renewal). */
  renewServer(): void;
  remove(): void;
}

/**
 * Generates the PKI with openssl into a temp dir (no private key is ever committed). EC P-256
 * keys keep generation to a few milliseconds; certificates live one day.
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-pki-'));
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=sockscope test CA', '-days', '1');
  ssl('req', '-x509', ...key, '-keyout', 'stranger-ca.key', '-out', 'stranger-ca.crt', '-subj', '/CN=stranger CA', '-days', '1');
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const issue = (name: string, ca: string, ext: string, cn: string) => {
    ssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', ext);
  };
  issue('server', 'ca', 'server.ext', '127.0.0.1');
  issue('client', 'ca', 'client.ext', 'prometheus');
  issue('stranger', 'stranger-ca', 'client.ext', 'stranger');
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
    renewServer: () => issue('server', 'ca', 'server.ext', '127.0.0.1'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
