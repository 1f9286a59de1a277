/**
 * The benchmark's chart as a hand-written SVG: throughput over cumulative payments (a line) and
 * latency distributions (one box per series on a log scale). The same input gives the same bytes.
 */
import { percentile } from './load';

/** Percentiles of one latency series, ms (`NaN` when it has no samples). */
export interface LatencyDistribution {
  count: number;
  minMs: number;
  p5Ms: number;
  p25Ms: number;
  p50Ms: number;
  p75Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Summarises `values` (ms) for the JSON and the chart; the samples themselves are not kept. */
export function distribution(values: number[]): LatencyDistribution {
  const at = (p: number) => Math.round(percentile(values, p) * 10) / 10;
  return {
    count: values.length,
    minMs: at(0),
    p5Ms: at(5),
    p25Ms: at(25),
    p50Ms: at(50),
    p75Ms: at(75),
    p95Ms: at(95),
    p99Ms: at(99),
    maxMs: at(100),
  };
}

export interface ChartInput {
  title: string;
  /** Under the title: mode, database, load average. */
  subtitle: string;
  /** Payments/s of each fill chunk and window, by the cumulative payments before it. */
  trend: { afterPayments: number; ratePerSecond: number }[];
  latencies: { label: string; distribution: LatencyDistribution | undefined }[];
}

/** Text and attribute values for SVG. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const width = 1000;
const left = 230;
/** Room for each latency row's figures, right of the plot. */
const right = 200;
const plotWidth = width - left - right;
const throughputHeight = 220;
const rowHeight = 30;

/** A coordinate with at most one decimal: never NaN (callers pass finite values only). */
const n = (value: number) => String(Math.round(value * 10) / 10);

/** A step of 1, 2 or 5 × 10^k that splits `span` into about `parts`. */
function niceStep(span: number, parts: number): number {
  const raw = span / parts;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

/** One line of text; `extra` attributes may set their own `font-size` (12 otherwise). */
function label(x: number, y: number, text: string, anchor = 'start', extra = ''): string {
  const size = extra.includes('font-size=') ? '' : ' font-size="12"';
  return `<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}" font-family="sans-serif"${size}${extra}>${escapeXml(text)}</text>`;
}

function throughputPanel(trend: ChartInput['trend'], top: number): string[] {
  const points = trend.filter((p) => Number.isFinite(p.afterPayments) && Number.isFinite(p.ratePerSecond));
  const bottom = top + throughputHeight;
  const out = [
    label(
      left,
      top - 12,
      'Payments/s over cumulative payments (fill chunks and windows)',
      'start',
      ' font-weight="bold"',
    ),
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${throughputHeight}" fill="none" stroke="#999"/>`,
  ];
  if (points.length === 0) {
    out.push(label(left + plotWidth / 2, top + throughputHeight / 2, 'not measured in this run', 'middle'));
    return out;
  }
  const xMax = Math.max(1, ...points.map((p) => p.afterPayments));
  const yMax = Math.max(1, ...points.map((p) => p.ratePerSecond)) * 1.1;
  const xStep = niceStep(xMax, 5);
  const yStep = niceStep(yMax, 5);
  const x = (value: number) => left + (value / xMax) * plotWidth;
  const y = (value: number) => bottom - (value / yMax) * throughputHeight;
  for (let i = 0, tick = 0; tick <= xMax; tick = ++i * xStep) {
    out.push(`<line x1="${n(x(tick))}" y1="${top}" x2="${n(x(tick))}" y2="${bottom}" stroke="#eee"/>`);
    out.push(label(x(tick), bottom + 16, tick.toLocaleString('en-US'), 'middle'));
  }
  for (let i = 0, tick = 0; tick <= yMax; tick = ++i * yStep) {
    out.push(`<line x1="${left}" y1="${n(y(tick))}" x2="${left + plotWidth}" y2="${n(y(tick))}" stroke="#eee"/>`);
    out.push(label(left - 6, y(tick) + 4, String(Math.round(tick * 100) / 100), 'end'));
  }
  out.push(label(left + plotWidth / 2, bottom + 34, 'cumulative payments created', 'middle'));
  out.push(label(left - 50, top + throughputHeight / 2, 'payments/s', 'end'));
  const path = points.map((p) => `${n(x(p.afterPayments))},${n(y(p.ratePerSecond))}`).join(' ');
  out.push(
    `<polyline class="series" data-series="throughput" points="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
  );
  for (const p of points)
    out.push(`<circle cx="${n(x(p.afterPayments))}" cy="${n(y(p.ratePerSecond))}" r="2.5" fill="#1f77b4"/>`);
  return out;
}

function latencyPanel(latencies: ChartInput['latencies'], top: number): string[] {
  const measured = latencies.filter(
    (l): l is { label: string; distribution: LatencyDistribution } =>
      !!l.distribution && l.distribution.count > 0 && Number.isFinite(l.distribution.maxMs),
  );
  const height = Math.max(1, latencies.length) * rowHeight;
  const out = [
    label(
      left,
      top - 12,
      'Latency, ms (log scale): box p25–p75, bar p50, whiskers p5–p99, dot max',
      'start',
      ' font-weight="bold"',
    ),
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${height}" fill="none" stroke="#999"/>`,
  ];
  const positive = measured.flatMap((l) => [l.distribution.minMs, l.distribution.maxMs]).filter((v) => v > 0);
  const low = positive.length > 0 ? 10 ** Math.floor(Math.log10(Math.min(...positive))) : 1;
  const high = Math.max(low * 10, 10 ** Math.ceil(Math.log10(Math.max(1, ...positive))));
  const x = (value: number) =>
    left + ((Math.log10(Math.max(low, value)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * plotWidth;
  for (let decade = low; decade <= high; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const tick = decade * m;
      if (tick > high) break;
      out.push(`<line x1="${n(x(tick))}" y1="${top}" x2="${n(x(tick))}" y2="${top + height}" stroke="#eee"/>`);
      out.push(label(x(tick), top + height + 16, String(tick), 'middle'));
    }
  }
  latencies.forEach((series, row) => {
    const mid = top + row * rowHeight + rowHeight / 2;
    out.push(label(left - 8, mid + 4, series.label, 'end'));
    const d = series.distribution;
    if (!d || d.count === 0 || !Number.isFinite(d.maxMs)) {
      out.push(label(left + 8, mid + 4, 'not measured', 'start', ' fill="#999"'));
      return;
    }
    const boxTop = mid - 8;
    out.push(
      `<g class="series" data-series="${escapeXml(series.label)}">`,
      `<line x1="${n(x(d.p5Ms))}" y1="${n(mid)}" x2="${n(x(d.p99Ms))}" y2="${n(mid)}" stroke="#555"/>`,
      `<rect x="${n(x(d.p25Ms))}" y="${n(boxTop)}" width="${n(Math.max(1, x(d.p75Ms) - x(d.p25Ms)))}" height="16" fill="#aec7e8" stroke="#1f77b4"/>`,
      `<line x1="${n(x(d.p50Ms))}" y1="${n(boxTop)}" x2="${n(x(d.p50Ms))}" y2="${n(boxTop + 16)}" stroke="#d62728" stroke-width="2"/>`,
      `<circle cx="${n(x(d.maxMs))}" cy="${n(mid)}" r="2.5" fill="#555"/>`,
      label(
        left + plotWidth + 8,
        mid + 4,
        `p50 ${d.p50Ms} · p99 ${d.p99Ms} (n=${d.count})`,
        'start',
        ' font-size="11"',
      ),
      '</g>',
    );
  });
  return out;
}

/** The whole chart: one SVG document. */
export function renderChart(input: ChartInput): string {
  const throughputTop = 80;
  const latencyTop = throughputTop + throughputHeight + 80;
  const height = latencyTop + Math.max(1, input.latencies.length) * rowHeight + 40;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    label(20, 28, input.title, 'start', ' font-size="16" font-weight="bold"'),
    label(20, 48, input.subtitle),
    ...throughputPanel(input.trend, throughputTop),
    ...latencyPanel(input.latencies, latencyTop),
    '</svg>',
    '',
  ].join('\n');
}
