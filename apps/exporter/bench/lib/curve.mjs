// The cost curve (issue 20): time and peak RSS of each step against N, a least-squares line per
// step (slope per 10k sockets, R²), the linearity rule, and the SVG chart. Pure functions.

/** Sockets per connection: a loopback connection is a client and a server socket. */
export const SOCKETS_PER_CONNECTION = 2;

/** The linearity rule: per-socket time at the largest N at most this many times the reference N's. */
export const LINEAR_MAX_GROWTH = 1.5;

/** The reference N of the linearity rule (the smallest N measured when it is absent). */
export const LINEAR_REFERENCE_N = 10_000;

/**
 * Least-squares line through `points` ([x, y], finite ones only): `{ slope, intercept, r2, n }`;
 * slope NaN with fewer than two distinct x. R² is 1 when every y is the same and the line fits.
 */
export function fitLine(points) {
  const ps = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const n = ps.length;
  const mx = ps.reduce((s, [x]) => s + x, 0) / n;
  const my = ps.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of ps) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (n < 2 || sxx === 0) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (const [x, y] of ps) sse += (y - (intercept + slope * x)) ** 2;
  return { slope, intercept, r2: syy === 0 ? 1 : 1 - sse / syy, n };
}

/**
 * Per-socket cost at the largest N over that at the reference N (10k when a larger N was
 * measured, else the smallest N):
 * `{ refN, lastN, growth }`; growth NaN with fewer than two Ns above zero.
 */
export function perSocketGrowth(points) {
  const ps = points.filter((p) => Number.isFinite(p.value) && p.n > 0).sort((a, b) => a.n - b.n);
  const last = ps.at(-1);
  const ref = ps.find((p) => p.n === LINEAR_REFERENCE_N && p.n < last.n) ?? ps[0];
  if (!ref || !last || last.n <= ref.n) return { refN: ref?.n, lastN: last?.n, growth: NaN };
  return { refN: ref.n, lastN: last.n, growth: last.value / last.n / (ref.value / ref.n) };
}

// The steps on the curve: [key in a size's result, label, how to read time, how to read peak RSS, sockscope's own].
const time = (r) => r?.ms?.median;
export const CURVE_STEPS = [
  { key: 'ss_tin', label: 'ss -tin', ms: time, mb: (r) => r?.memory?.peakMb, ours: false },
  { key: 'ss_tinp', label: 'ss -tinp', ms: time, mb: (r) => r?.memory?.peakMb, ours: false },
  { key: 'netlink', label: 'netlink collect', ms: time, mb: () => undefined, ours: true },
  { key: 'fold', label: 'netlink stream + fold (fresh process)', ms: time, mb: (r) => r?.peakMb?.median, ours: true },
  { key: 'scrape_default', label: 'scrape default (service)', ms: time, mb: (r) => r?.memory?.peakMb, ours: true },
  { key: 'scrape_raw', label: 'scrape raw_endpoint', ms: time, mb: (r) => r?.memory?.peakMb, ours: true },
  { key: 'scrape_ss', label: 'scrape ss_exporter format (raw_endpoint)', ms: time, mb: (r) => r?.memory?.peakMb, ours: true },
  { key: 'scrape_peer', label: 'scrape peer', ms: time, mb: (r) => r?.memory?.peakMb, ours: true },
];

/**
 * The curve of a bench result: per step present at any N, its points
 * `{ n, sockets, ms, peakMb }`, the fits of time and of peak RSS against sockets (slope per 10k
 * sockets), and the per-socket time growth of the linearity rule.
 */
export function costCurve(sizes) {
  const out = [];
  for (const step of CURVE_STEPS) {
    const points = sizes.filter((s) => s[step.key]).map((s) => ({
      n: s.connections,
      sockets: s.connections * SOCKETS_PER_CONNECTION,
      ms: step.ms(s[step.key]),
      peakMb: step.mb(s[step.key]),
    }));
    if (points.length === 0) continue;
    const timeFit = fitLine(points.map((p) => [p.sockets, p.ms]));
    const rssFit = fitLine(points.map((p) => [p.sockets, p.peakMb]));
    out.push({
      key: step.key,
      label: step.label,
      ours: step.ours,
      points,
      msPer10kSockets: timeFit.slope * 10_000,
      msR2: timeFit.r2,
      mbPer10kSockets: rssFit.slope * 10_000,
      mbR2: rssFit.r2,
      linearity: perSocketGrowth(points.map((p) => ({ n: p.n, value: p.ms }))),
    });
  }
  return out;
}

// ---- SVG ----

const PALETTE = {
  ss_tin: '#222222',
  ss_tinp: '#888888',
  netlink: '#1f77b4',
  fold: '#17becf',
  scrape_default: '#2ca02c',
  scrape_raw: '#d62728',
  scrape_ss: '#ff7f0e',
  scrape_peer: '#9467bd',
};

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x) => Number(x.toFixed(1));

/** Round tick step for a range: 1, 2 or 5 times a power of ten, about `count` ticks. */
export function niceStep(max, count = 5) {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

/**
 * One panel: axes from 0, ticks, labels, a polyline with markers per series. `series`:
 * `[{ key, label, points: [[x, y]] }]`. Returns SVG elements as strings.
 */
function panel({ x0, y0, width, height, title, xLabel, yLabel, series, dashed, unit = '', offScale = [] }) {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  // series in offScale do not set the scale (ss -tinp, 17x ss -tin at 100k, would flatten the rest): drawn to the top edge, with a note
  const scaled = series.filter((s) => !offScale.includes(s.key));
  const ys = (scaled.length > 0 ? scaled : series).flatMap((s) => s.points.map(([, y]) => y));
  const xStep = niceStep(Math.max(...xs, 1));
  const yStep = niceStep(Math.max(...ys, 1));
  const xMax = Math.ceil(Math.max(...xs, 1) / xStep) * xStep;
  const yMax = Math.ceil(Math.max(...ys, 1) / yStep) * yStep;
  const px = (x) => num(x0 + (x / xMax) * width);
  const py = (y) => num(y0 + height - (y / yMax) * height);
  const out = [`<g class="panel">`, `<text x="${num(x0 + width / 2)}" y="${num(y0 - 14)}" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`];
  out.push(`<rect x="${x0}" y="${y0}" width="${width}" height="${height}" fill="none" stroke="#bbbbbb"/>`);
  for (let t = 0; t <= xMax + xStep / 2; t += xStep) {
    out.push(`<line x1="${px(t)}" y1="${y0}" x2="${px(t)}" y2="${y0 + height}" stroke="#eeeeee"/>`);
    out.push(`<text x="${px(t)}" y="${y0 + height + 16}" text-anchor="middle" font-size="11">${esc(t.toLocaleString('en-US'))}</text>`);
  }
  for (let t = 0; t <= yMax + yStep / 2; t += yStep) {
    out.push(`<line x1="${x0}" y1="${py(t)}" x2="${x0 + width}" y2="${py(t)}" stroke="#eeeeee"/>`);
    out.push(`<text x="${x0 - 6}" y="${num(py(t) + 4)}" text-anchor="end" font-size="11">${esc(t.toLocaleString('en-US'))}</text>`);
  }
  out.push(`<text x="${num(x0 + width / 2)}" y="${y0 + height + 36}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text x="${x0 - 48}" y="${num(y0 + height / 2)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 - 48} ${num(y0 + height / 2)})">${esc(yLabel)}</text>`);
  for (const s of series) {
    const color = PALETTE[s.key] ?? '#17becf';
    const dash = dashed(s.key) ? ' stroke-dasharray="6 4"' : '';
    const inside = s.points.filter(([, y]) => y <= yMax);
    const beyond = s.points.filter(([, y]) => y > yMax);
    // a point off the scale: the line runs to the top edge, between the last point inside and it
    const pts = [...inside.map(([x, y]) => `${px(x)},${py(y)}`)];
    if (beyond.length > 0) {
      const [bx, by] = beyond[0];
      const [ax, ay] = inside.at(-1) ?? [0, 0];
      const xTop = ax + ((bx - ax) * (yMax - ay)) / (by - ay);
      pts.push(`${px(xTop)},${py(yMax)}`);
      out.push(`<text x="${num(Math.min(Number(px(xTop)) + 6, x0 + width - 4))}" y="${num(y0 + 14)}" text-anchor="${Number(px(xTop)) + 6 > x0 + width - 160 ? 'end' : 'start'}" font-size="11" fill="${color}">${esc(`${s.label} off the scale: ${beyond.map(([x, y]) => `${Math.round(y).toLocaleString('en-US')}${unit} at ${x.toLocaleString('en-US')}`).join(', ')}`)}</text>`);
    }
    out.push(`<polyline data-series="${esc(s.key)}" points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of inside) out.push(`<circle data-series="${esc(s.key)}" cx="${px(x)}" cy="${py(y)}" r="3.5" fill="${color}"><title>${esc(`${s.label}: ${y.toFixed(1)} at ${x.toLocaleString('en-US')}`)}</title></circle>`);
  }
  out.push('</g>');
  return out;
}

/**
 * The cost curve as one hand-written SVG: left, median time (ms) against connections; right,
 * peak RSS (MB) against connections; ss -tin and ss -tinp dashed; a legend under both.
 * `curve` is costCurve()'s answer; `subtitle` one line (machine, date).
 */
export function curveSvg(curve, { subtitle = '' } = {}) {
  const width = 1100;
  const legendRows = Math.ceil(curve.length / 3);
  const height = 470 + legendRows * 20;
  const seriesOf = (pick) => curve
    .map((c) => ({ key: c.key, label: c.label, points: c.points.filter((p) => Number.isFinite(pick(p))).map((p) => [p.n, pick(p)]) }))
    .filter((s) => s.points.length > 0);
  const dashed = (key) => key.startsWith('ss_');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold">sockscope cost against connections (2 sockets each), beside ss</text>`,
  ];
  if (subtitle) out.push(`<text x="${width / 2}" y="44" text-anchor="middle" font-size="12" fill="#555555">${esc(subtitle)}</text>`);
  const common = { y0: 80, width: 440, height: 300, xLabel: 'connections (N)', dashed };
  out.push(...panel({ ...common, x0: 80, title: 'median time', yLabel: 'ms', unit: ' ms', offScale: ['ss_tinp'], series: seriesOf((p) => p.ms) }));
  out.push(...panel({ ...common, x0: 620, title: 'peak RSS', yLabel: 'MB (VmHWM)', series: seriesOf((p) => p.peakMb) }));
  curve.forEach((c, i) => {
    const x = 80 + (i % 3) * 340;
    const y = 450 + Math.floor(i / 3) * 20;
    const dash = dashed(c.key) ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 28}" y2="${y - 4}" stroke="${PALETTE[c.key] ?? '#17becf'}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${x + 34}" y="${y}" font-size="12">${esc(c.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
