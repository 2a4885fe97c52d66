/**
 * The connections page in a REAL headless Chromium (Debian's /usr/bin/chromium, driven by
 * puppeteer-core) against a node:http server serving webAssets() with WEB_CSP and basic auth,
 * and a fixture API answer written from the spec (test/fixtures/answers.ts). Every test also
 * checks that the page broke no rule of the Content-Security-Policy and threw nothing.
 *
 * Screenshots of each view go to test-artifacts/ (gitignored); with
 * SOCKSCOPE_UPDATE_SCREENSHOTS=1 they are also copied to docs/images/ at the repository root.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATED_ROWS, DETAILED_ROWS, TOPOLOGY, TOPOLOGY_BY_PID } from './fixtures/answers.js';
import { PASSWORD, startFixtureServer, USER, type FixtureServer } from './fixtures/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const DOCS_IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));

let browser: Browser;
let server: FixtureServer;
let context: BrowserContext | undefined;
let problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  server = await startFixtureServer();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // we are root in CI: Chromium's sandbox needs an unprivileged user
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  const seen = problems;
  problems = [];
  await context?.close();
  context = undefined;
  server.dataset = 'small';
  expect(seen, 'CSP violations, page errors or failed loads').toEqual([]);
});

async function openPage(hash = ''): Promise<Page> {
  server.requests.length = 0;
  context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1400, height: 860 });
  await page.authenticate({ username: USER, password: PASSWORD });
  page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/favicon/.test(msg.location().url ?? '')) problems.push(`console error: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => {
    if (!req.url().endsWith('/favicon.ico') && req.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`failed: ${req.url()} ${req.failure()?.errorText}`);
  });
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const w = window as unknown as { cspViolations?: string[] };
      (w.cspViolations ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(`${server.url}/connections${hash}`, { waitUntil: 'load' });
  return page;
}

async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
}

/** The rendered rows, in table order, as their cells' texts. */
async function renderedRows(page: Page): Promise<string[][]> {
  const rows = await page.$$eval('#tbody .tr', (trs) =>
    trs.map((tr) => ({ i: Number((tr as HTMLElement).dataset.index), cells: [...tr.children].map((td) => td.textContent ?? '') })),
  );
  return rows.sort((a, b) => a.i - b.i).map((r) => r.cells);
}

async function columnIndex(page: Page, key: string): Promise<number> {
  const keys = await page.$$eval('#thead .th', (ths) => ths.map((th) => (th as HTMLElement).dataset.key));
  const i = keys.indexOf(key);
  if (i < 0) throw new Error(`no column ${key} in ${keys.join(', ')}`);
  return i;
}

async function waitRows(page: Page, n: number): Promise<void> {
  await page.waitForFunction((want) => document.querySelectorAll('#tbody .tr').length === want, { timeout: 10_000 }, n);
}

async function screenshot(page: Page, view: string): Promise<void> {
  const file = `${ARTIFACTS}connections-${view}.png`;
  await page.screenshot({ path: file as `${string}.png` });
  if (process.env.SOCKSCOPE_UPDATE_SCREENSHOTS === '1') {
    await mkdir(DOCS_IMAGES, { recursive: true });
    await copyFile(file, `${DOCS_IMAGES}connections-${view}.png`);
  }
}

/** Resolves once `cond` holds (checked every 50 ms); fails after `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not true within ${ms} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function endCheck(page: Page): Promise<void> {
  problems.push(...(await cspViolations(page)).map((v) => `CSP violation: ${v}`));
}

describe('connections page', () => {
  it('shows every row of the detailed answer, the counts by direction, protocol and process, and sends credentials with each request', async () => {
    const page = await openPage('#view=detailed&paused=1');
    await waitRows(page, DETAILED_ROWS.length);
    expect(server.requests[0]?.get('view')).toBe('detailed');
    const rows = await renderedRows(page);
    const proc = await columnIndex(page, 'process');
    const remote = await columnIndex(page, 'remote');
    expect(rows.map((r) => r[proc])).toEqual(DETAILED_ROWS.map((r) => String(r.process ?? '')));
    // IPv6 endpoints are bracketed
    expect(rows.map((r) => r[remote])).toContain('[2001:db8::1]:443');
    const bars = await page.$$eval('#by-direction li', (lis) => lis.map((li) => [li.querySelector('.label')?.textContent, li.querySelector('.value')?.textContent]));
    const listen = DETAILED_ROWS.filter((r) => r.direction === 'listen').length;
    expect(bars[0]).toEqual(['listen', String(listen)]);
    const protos = await page.$$eval('#by-protocol li .label', (els) => els.map((e) => e.textContent));
    expect(new Set(protos)).toEqual(new Set(DETAILED_ROWS.map((r) => r.protocol)));
    const status = await page.$eval('#status', (e) => e.textContent ?? '');
    expect(status).toContain(`web-1 · ${DETAILED_ROWS.length} sockets, ${DETAILED_ROWS.length} matched`);
    await screenshot(page, 'detailed');
    await endCheck(page);
  });

  it('sorts by a column, largest first on the first click of a number and the other way on the second', async () => {
    const page = await openPage('#view=detailed&paused=1');
    await waitRows(page, DETAILED_ROWS.length);
    const pid = await columnIndex(page, 'pid');
    const pids = DETAILED_ROWS.map((r) => r.pid).filter((p): p is number => typeof p === 'number');
    const blanks = DETAILED_ROWS.length - pids.length;
    await page.click('#thead .th[data-key="pid"]');
    let rows = await renderedRows(page);
    // rows without a pid stay last in either order
    expect(rows.map((r) => r[pid])).toEqual([...[...pids].sort((a, b) => b - a).map(String), ...Array<string>(blanks).fill('')]);
    expect(await page.$eval('#thead .th[data-key="pid"]', (e) => e.getAttribute('aria-sort'))).toBe('descending');
    await page.click('#thead .th[data-key="pid"]');
    rows = await renderedRows(page);
    expect(rows.map((r) => r[pid])).toEqual([...[...pids].sort((a, b) => a - b).map(String), ...Array<string>(blanks).fill('')]);
    // a text column sorts A→Z first
    await page.click('#thead .th[data-key="process"]');
    const proc = await columnIndex(page, 'process');
    rows = await renderedRows(page);
    const names = DETAILED_ROWS.map((r) => r.process).filter((p): p is string => typeof p === 'string').sort();
    expect(rows.map((r) => r[proc]).slice(0, names.length)).toEqual(names);
    await endCheck(page);
  });

  it('sends a filter as its query parameter (repeated values for a list) and shows the filtered rows', async () => {
    const page = await openPage('#view=detailed&paused=1');
    await waitRows(page, DETAILED_ROWS.length);
    await page.type('input[name="process"]', 'nginx');
    await page.keyboard.press('Enter');
    const nginx = DETAILED_ROWS.filter((r) => r.process === 'nginx');
    await waitRows(page, nginx.length);
    const last = server.requests.at(-1);
    expect(last?.getAll('process')).toEqual(['nginx']);
    expect(last?.get('view')).toBe('detailed');
    const proc = await columnIndex(page, 'process');
    expect((await renderedRows(page)).map((r) => r[proc])).toEqual(nginx.map(() => 'nginx'));
    expect(await page.$$eval('#by-process li .label', (els) => els.map((e) => e.textContent))).toEqual(['nginx']);
    // the page's own URL keeps the filter
    expect(await page.evaluate(() => location.hash)).toContain('process=nginx');

    // a select applies on change, ANDed with the other keys
    await page.select('select[name="direction"]', 'inbound');
    const inbound = nginx.filter((r) => r.direction === 'inbound');
    await waitRows(page, inbound.length);
    expect(server.requests.at(-1)?.getAll('direction')).toEqual(['inbound']);
    expect(server.requests.at(-1)?.getAll('process')).toEqual(['nginx']);

    // a list in one box is sent as repeated parameters (OR within a key)
    await page.click('#clear');
    await waitRows(page, DETAILED_ROWS.length);
    await page.type('input[name="port"]', '443, 53');
    await page.keyboard.press('Enter');
    const ports = DETAILED_ROWS.filter((r) => [r.local_port, r.remote_port].some((p) => p === 443 || p === 53));
    await waitRows(page, ports.length);
    expect(server.requests.at(-1)?.getAll('port')).toEqual(['443', '53']);

    // clicking a bar filters on it
    await page.click('#by-protocol li[data-value="tcp6"]');
    await page.waitForFunction(() => (document.querySelector('input[name="protocol"]') as HTMLInputElement).value === 'tcp6');
    expect(server.requests.at(-1)?.getAll('protocol')).toEqual(['tcp6']);
    await endCheck(page);
  });

  it("shows the agent's error for a bad filter value", async () => {
    const page = await openPage('#view=detailed&paused=1');
    await waitRows(page, DETAILED_ROWS.length);
    await page.type('input[name="pid"]', 'abc');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.$eval('#error', (e) => e.textContent)).toBe('pid: "abc" is not a process id: give a whole number such as pid=1234');
    expect(server.requests.at(-1)?.getAll('pid')).toEqual(['abc']);
    // Chromium logs the 400 itself; that one is expected here
    problems = problems.filter((p) => !p.includes('status of 400 (Bad Request)'));
    await endCheck(page);
  });

  it('switches to the aggregated view without a reload, sorted by socket count', async () => {
    const page = await openPage('#view=detailed&paused=1');
    await waitRows(page, DETAILED_ROWS.length);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.click('#view-aggregated');
    await waitRows(page, AGGREGATED_ROWS.length);
    expect(server.requests.at(-1)?.get('view')).toBe('aggregated');
    // the same document: no reload happened
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.$eval('#view-aggregated', (e) => e.classList.contains('active'))).toBe(true);
    const count = await columnIndex(page, 'count');
    const rows = await renderedRows(page);
    const counts = rows.map((r) => Number(r[count]));
    expect(counts).toEqual(AGGREGATED_ROWS.map((r) => Number(r.count)).sort((a, b) => b - a));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(DETAILED_ROWS.length);
    const server_ = await columnIndex(page, 'server');
    expect(rows[0]?.[server_]).toBe('10.0.0.5:443');
    expect(await page.evaluate(() => location.hash)).toContain('view=aggregated');
    await screenshot(page, 'aggregated');
    await endCheck(page);
  });

  it('switches to the topology view: cytoscape holds one node per actor and one edge per link; group by pid', async () => {
    const page = await openPage('#view=detailed&paused=1');
    await waitRows(page, DETAILED_ROWS.length);
    await page.click('#view-topology');
    await page.waitForFunction(
      (n) => ((window as any).sockscopeConnections?.cy?.nodes().length ?? 0) === n,
      { timeout: 10_000 },
      TOPOLOGY.actors.length,
    );
    expect(server.requests.at(-1)?.get('view')).toBe('topology');
    expect(await page.$eval('#table-pane', (e) => (e as HTMLElement).hidden)).toBe(true);
    const graph = await page.evaluate(() => {
      const cy = (window as any).sockscopeConnections.cy;
      return {
        nodes: cy.nodes().map((n: any) => ({ id: n.id(), label: n.data('label'), kind: n.data('kind') })),
        edges: cy.edges().map((e: any) => `${e.source().id()} -> ${e.target().id()} ${e.data('label')}`),
        visible: cy.nodes().every((n: any) => n.visible() && Number.isFinite(n.position('x'))),
      };
    });
    expect(graph.nodes.map((n: { id: string }) => n.id).sort()).toEqual(TOPOLOGY.actors.map((a) => a.id).sort());
    expect(graph.nodes.find((n: { id: string }) => n.id === 'process:app')).toEqual({ id: 'process:app', label: 'app', kind: 'process' });
    expect(graph.edges.sort()).toEqual(TOPOLOGY.links.map((l) => `${l.source} -> ${l.target} ${l.sockets}`).sort());
    expect(graph.visible).toBe(true);
    // the canvas is drawn and sized to the pane
    const box = await page.$eval('#graph', (e) => [e.clientWidth, e.clientHeight, e.querySelectorAll('canvas').length]);
    expect(box[0]).toBeGreaterThan(600);
    expect(box[1]).toBeGreaterThan(300);
    expect(box[2]).toBeGreaterThan(0);
    await screenshot(page, 'topology');

    await page.select('select[name="group_by"]', 'pid');
    await page.waitForFunction(
      (ids) => {
        const cy = (window as any).sockscopeConnections?.cy;
        return cy && JSON.stringify(cy.nodes().map((n: any) => n.id()).sort()) === JSON.stringify(ids);
      },
      { timeout: 10_000 },
      TOPOLOGY_BY_PID.actors.map((a) => a.id).sort(),
    );
    expect(server.requests.at(-1)?.get('group_by')).toBe('pid');
    expect(server.requests.at(-1)?.get('view')).toBe('topology');

    // and back to the table
    await page.click('#view-detailed');
    await waitRows(page, DETAILED_ROWS.length);
    expect(server.requests.at(-1)?.has('group_by')).toBe(false);
    await endCheck(page);
  });

  it('refreshes every N seconds and the pause button stops it until resumed', async () => {
    const page = await openPage('#view=detailed&refresh=1');
    await waitRows(page, DETAILED_ROWS.length);
    // it refreshes by itself
    await until(() => server.requests.length >= 3);
    await page.click('#pause');
    expect(await page.$eval('#pause', (e) => [e.textContent, e.getAttribute('aria-pressed')])).toEqual(['Resume', 'true']);
    const paused = server.requests.length;
    await new Promise((r) => setTimeout(r, 3500));
    expect(server.requests.length).toBe(paused);
    expect(await page.$eval('#status', (e) => e.textContent)).toContain('paused');
    await page.click('#pause');
    await until(() => server.requests.length >= paused + 2);
    await endCheck(page);
  });

  it('opens on the aggregated view when the last answer had more than 5000 sockets and no view was chosen', async () => {
    server.dataset = 'big';
    const page = await openPage('#paused=1');
    await page.waitForFunction(() => (window as any).sockscopeConnections?.answer?.view === 'aggregated', { timeout: 15_000 });
    expect(server.requests.map((q) => q.get('view'))).toEqual(['detailed', 'aggregated']);
    expect(await page.$eval('#view-aggregated', (e) => e.classList.contains('active'))).toBe(true);
    // a chosen view stays chosen whatever the host's size
    await page.click('#view-detailed');
    await page.waitForFunction(() => (window as any).sockscopeConnections?.answer?.view === 'detailed', { timeout: 15_000 });
    expect(server.requests.at(-1)?.get('view')).toBe('detailed');
    await endCheck(page);
  });

  it('stays usable with 30,000 rows: only the visible rows are in the DOM while scrolling and sorting', async () => {
    server.dataset = 'big';
    const page = await openPage('#view=detailed&limit=100000&paused=1');
    await page.waitForFunction(() => (window as any).sockscopeConnections?.answer?.rows?.length === 30_000, { timeout: 30_000 });
    expect(server.requests[0]?.get('limit')).toBe('100000');
    const domRows = () => page.$$eval('#tbody .tr', (trs) => trs.length);
    expect(await domRows()).toBeGreaterThan(10);
    expect(await domRows()).toBeLessThan(120);
    expect(await page.$eval('#tbody', (e) => (e as HTMLElement).offsetHeight)).toBe(30_000 * 22);

    // scroll to the middle: the rows there are rendered, and still only a screenful of them
    await page.$eval('#scroller', (e) => {
      e.scrollTop = 15_000 * 22;
    });
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('#tbody .tr')].some((tr) => tr.dataset.index === '15000'), { timeout: 10_000 });
    expect(await domRows()).toBeLessThan(120);
    const cookieRow = await page.$$eval('#tbody .tr[data-index="15000"] .td', (tds) => tds.map((td) => td.textContent));
    expect(cookieRow).toContain('svc-00'); // row 15000 of the answer: 15000 % 40 = 0

    // sort 30k rows by rtt: the largest first, the DOM still small
    await page.click('#thead .th[data-key="rtt_ms"]');
    await page.$eval('#scroller', (e) => {
      e.scrollTop = 0;
    });
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#tbody .tr[data-index="0"]') !== null, { timeout: 10_000 });
    const rtt = await columnIndex(page, 'rtt_ms');
    const top = await renderedRows(page);
    const values = top.map((r) => Number(r[rtt]));
    expect(values.slice(0, 10)).toEqual([...values.slice(0, 10)].sort((a, b) => b - a));
    expect(await domRows()).toBeLessThan(120);
    await endCheck(page);
  });
});
