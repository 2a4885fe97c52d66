import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, type ExpositionFormat } from './exposition.js';

/** The format a scrape gets and the content type it is answered with. */
export interface Negotiated {
  /** Which text format to write. */
  format: ExpositionFormat;
  /** The `Content-Type` of the answer. */
  contentType: string;
}

const TEXT: Negotiated = { format: 'text', contentType: TEXT_CONTENT_TYPE };

/**
 * Picks the exposition format from a scrape's `Accept` header as Prometheus client libraries do
 * (client_golang's `expfmt.NegotiateIncludingOpenMetrics`): media ranges in order of their `q`,
 * the first that is `application/openmetrics-text` of version 1.0.0, 0.0.1 or none wins
 * OpenMetrics (answered with the version asked for, 1.0.0 when none was), the first that is
 * `text/plain` of version 0.0.4 or none wins the text format; anything else, or no header, is
 * the text format. Prometheus itself asks for OpenMetrics first.
 */
export function negotiateFormat(accept: string | undefined): Negotiated {
  if (!accept) return TEXT;
  const ranges = accept
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.split(';').map((p) => p.trim());
      const args = new Map<string, string>();
      for (const p of params) {
        const eq = p.indexOf('=');
        if (eq > 0) args.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
      }
      const q = args.has('q') ? Number(args.get('q')) : 1;
      return { type: type.toLowerCase(), version: args.get('version'), q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const r of ranges) {
    if (r.type === 'application/openmetrics-text') {
      if (r.version === undefined || r.version === '1.0.0') return { format: 'openmetrics', contentType: OPENMETRICS_CONTENT_TYPE };
      if (r.version === '0.0.1') return { format: 'openmetrics', contentType: 'application/openmetrics-text; version=0.0.1; charset=utf-8' };
    }
    if (r.type === 'text/plain' && (r.version === undefined || r.version === '0.0.4')) return TEXT;
  }
  return TEXT;
}

/**
 * Whether a scrape's `Accept-Encoding` lets the answer be gzipped (RFC 9110 §12.5.3): codings
 * are matched case-insensitively, `x-gzip` is `gzip`, `*` stands for any coding not listed, and
 * a coding with `q=0` is refused. No header, or none that accepts gzip, is the identity.
 */
export function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';').map((p) => p.trim());
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) q = 0;
    const name = coding.toLowerCase();
    if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip ?? 0, q);
    else if (name === '*') any = Math.max(any ?? 0, q);
  }
  return (gzip ?? any ?? 0) > 0;
}
