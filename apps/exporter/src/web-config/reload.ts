import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Server } from 'node:https';
import { errorMessage } from '@sockscope/core';
import type { TlsSetup } from './tls.js';

/** How often the certificate files are checked for a renewal (exporter-toolkit re-reads them per handshake). */
export const CERT_CHECK_INTERVAL_MS = 30_000;

/** Options of {@link reloadCertificatesOnChange}. */
export interface ReloadOptions {
  /** Poll interval for the files' modification times. */
  intervalMs?: number;
  /**
   * Called with a line to log: renewed files could not be loaded (the previous certificate stays
   * in use), password checks were refused under load, a password check failed.
   */
  onError?: (message: string) => void;
  /** Called after a renewed certificate took effect. */
  onReload?: () => void;
}

/**
 * Applies renewed certificate, key and CA files to a running HTTPS server, without a restart.
 * A half-finished renewal (new certificate, old key) fails to load and keeps the old context;
 * the next file change retries. Watching stops when the server closes and never keeps the
 * process alive on its own.
 */
export function reloadCertificatesOnChange(server: Server, tls: TlsSetup, opts: ReloadOptions = {}): void {
  let generation = 0;
  const onChange = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size) return;
    const mine = ++generation;
    tls.reread().then(
      (options) => {
        if (mine !== generation) return; // a newer change is being loaded
        try {
          server.setSecureContext(options);
          opts.onReload?.();
        } catch (err) {
          opts.onError?.(`web config: renewed TLS files do not load, keeping the previous certificate: ${errorMessage(err)}`);
        }
      },
      (err: unknown) => opts.onError?.(`web config: cannot re-read TLS files, keeping the previous certificate: ${errorMessage(err)}`),
    );
  };
  const interval = opts.intervalMs ?? CERT_CHECK_INTERVAL_MS;
  for (const f of tls.files) watchFile(f, { interval, persistent: false }, onChange);
  server.once('close', () => {
    for (const f of tls.files) unwatchFile(f, onChange);
  });
}
