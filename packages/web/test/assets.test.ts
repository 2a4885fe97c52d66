import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSockscopeError } from '@sockscope/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTIONS_PAGE, contentTypeOf, readWebAssets, REQUIRED_ASSETS, WEB_CSP, webAssets } from '../src/index.js';

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('webAssets', () => {
  it('holds the built page, its script, its style and cytoscape, each with its content type', () => {
    const assets = webAssets();
    for (const name of REQUIRED_ASSETS) expect(assets.has(name), name).toBe(true);
    expect(assets.get(CONNECTIONS_PAGE)?.contentType).toBe('text/html; charset=utf-8');
    expect(assets.get('connections.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('connections.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(assets.get('cytoscape.min.js')?.body.length).toBeGreaterThan(100_000);
    // read once
    expect(webAssets()).toBe(assets);
  });

  it('has a page that loads only relative, same-origin assets: no CDN, no inline script or style', () => {
    const html = (webAssets().get(CONNECTIONS_PAGE)?.body.toString('utf8') ?? '').replace(/<!--[\s\S]*?-->/g, '');
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(['connections.css', 'connections.js', 'cytoscape.min.js']);
    for (const ref of refs) expect(webAssets().has(ref as string), ref).toBe(true);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const js = webAssets().get('connections.js')?.body.toString('utf8') ?? '';
    expect(js).toContain('api/v1/connections?');
    expect(js).not.toMatch(/["'`]\/api\/v1/); // relative to the page, never absolute
    expect(js).not.toMatch(/\beval\(|new Function\(|innerHTML/);
  });

  it('WEB_CSP allows only its own origin, and no inline code', () => {
    expect(WEB_CSP).toContain("default-src 'none'");
    expect(WEB_CSP).toContain("script-src 'self'");
    expect(WEB_CSP).toContain("style-src 'self'");
    expect(WEB_CSP).toContain("connect-src 'self'");
    expect(WEB_CSP).not.toMatch(/unsafe-|https?:|\*/);
  });

  it('names the build command when the assets are not built, or a build is incomplete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-web-'));
    tmp.push(dir);
    let err: unknown;
    try {
      readWebAssets(join(dir, 'absent'));
    } catch (e) {
      err = e;
    }
    expect(isSockscopeError(err) && err.code).toBe('ERR_WEB_ASSETS_MISSING');
    expect((err as Error).message).toMatch(/absent\/: the connections page is not built: run `npx --yes pnpm@10 --filter @sockscope\/web build`/);
    writeFileSync(join(dir, CONNECTIONS_PAGE), '<!doctype html>');
    expect(() => readWebAssets(dir)).toThrow(/build is incomplete \(no connections\.js, connections\.css, cytoscape\.min\.js\)/);
  });

  it('knows the content type of every kind of asset it may hold', () => {
    expect(contentTypeOf('a.svg')).toBe('image/svg+xml');
    expect(contentTypeOf('a.PNG')).toBe('image/png');
    expect(contentTypeOf('noext')).toBe('application/octet-stream');
  });
});
