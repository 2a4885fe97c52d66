import { describe, expect, it } from 'vitest';
import { negotiateFormat } from './negotiate.js';

const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';

describe('negotiateFormat', () => {
  it("gives OpenMetrics to Prometheus' own Accept header, which asks for it first", () => {
    const prometheus = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    expect(negotiateFormat(prometheus)).toEqual({ format: 'openmetrics', contentType: OM });
  });

  it('answers the OpenMetrics version asked for: 1.0.0, 0.0.1, or 1.0.0 when none is named', () => {
    expect(negotiateFormat('application/openmetrics-text; version=1.0.0').contentType).toBe(OM);
    expect(negotiateFormat('application/openmetrics-text;version=0.0.1').contentType).toBe('application/openmetrics-text; version=0.0.1; charset=utf-8');
    expect(negotiateFormat('application/openmetrics-text').contentType).toBe(OM);
  });

  it('gives the text format without a header, to curl, to text/plain, and to an OpenMetrics version it does not know', () => {
    for (const accept of [undefined, '', '*/*', 'text/plain', 'text/plain;version=0.0.4', 'application/openmetrics-text; version=2.0.0', 'application/json']) {
      expect(negotiateFormat(accept), String(accept)).toEqual({ format: 'text', contentType: TEXT });
    }
  });

  it('follows q: text/plain preferred over OpenMetrics wins, and q=0 refuses', () => {
    expect(negotiateFormat('application/openmetrics-text;version=1.0.0;q=0.2,text/plain;version=0.0.4;q=0.9').format).toBe('text');
    expect(negotiateFormat('text/plain;q=0.1, application/openmetrics-text;version=1.0.0').format).toBe('openmetrics');
    expect(negotiateFormat('application/openmetrics-text;version=1.0.0;q=0').format).toBe('text');
  });
});
