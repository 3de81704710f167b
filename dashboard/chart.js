import { h, svg } from './dom.js';

const W = 360;
const H = 150;
const PAD = { left: 30, right: 8, top: 8, bottom: 30 };
const Y_TICKS = [0, 0.25, 0.5, 0.75, 1];
const text = (value) => document.createTextNode(value);
const DAY_MS = 86_400_000;
/** A tick's time: the clock within a day; the date and hour when the samples span more than a day. */
const tickLabel = (ms, span) =>
  span > DAY_MS
    ? new Date(ms).toLocaleString([], { month: 'short', day: 'numeric', hour: 'numeric' })
    : new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Up to `n` evenly spaced instants across [from, to], for the time axis. */
function timeTicks(from, to, n = 4) {
  if (to <= from) return [from];
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}

/**
 * Divergence and identity drift of every scored shadow sample over time, on a fixed 0..1 scale with
 * gridlines and the L1/L2/L3 tier lines, the time axis in real clock time (a single sample sits in
 * the middle of a one-minute span), critical samples in red and every point titled with its values.
 */
export function divergenceChart(series, thresholds) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const times = series.map((p) => Date.parse(p.at));
  const first = times.length ? Math.min(...times) : Date.now();
  const last = times.length ? Math.max(...times) : first;
  // One sample, or all at one instant: a minute around it, so the point is not at both ends.
  const [from, to] = last - first < 1000 ? [first - 30_000, last + 30_000] : [first, last];
  const x = (ms) => PAD.left + ((ms - from) / (to - from)) * plotW;
  const y = (v) => PAD.top + (1 - Math.max(0, Math.min(1, v))) * plotH;
  const path = (values) =>
    values.map(([ms, v], i) => `${i ? 'L' : 'M'}${x(ms).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const drift = series.filter((p) => p.drift !== null && p.drift !== undefined).map((p) => [Date.parse(p.at), p.drift]);
  const tiers = [
    ['L1', thresholds.l1, 'tier-l1'],
    ['L2', thresholds.l2, 'tier-l2'],
    ['L3', thresholds.l3, 'tier-l3'],
  ];
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      class: 'chart',
      role: 'img',
      'aria-label': `divergence and identity drift of ${series.length} scored samples over time`,
    },
    svg('rect', { x: PAD.left, y: PAD.top, width: plotW, height: plotH, class: 'plot' }),
    Y_TICKS.map((v) => [
      svg('line', { x1: PAD.left, x2: PAD.left + plotW, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: PAD.left - 4, y: y(v) + 3, class: 'axis value', 'text-anchor': 'end' }, text(String(v))),
    ]),
    timeTicks(from, to).map((ms, i, all) => [
      svg('line', { x1: x(ms), x2: x(ms), y1: PAD.top + plotH, y2: PAD.top + plotH + 3, class: 'tick' }),
      svg(
        'text',
        {
          x: x(ms),
          y: H - 16,
          class: 'axis time',
          'text-anchor': i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle',
        },
        text(tickLabel(ms, to - from)),
      ),
    ]),
    tiers.map(([label, v, cls]) => [
      svg('line', { x1: PAD.left, x2: PAD.left + plotW, y1: y(v), y2: y(v), class: `tier ${cls}` }),
      svg(
        'text',
        { x: PAD.left + plotW - 2, y: y(v) - 2, class: `axis tier-label ${cls}`, 'text-anchor': 'end' },
        text(`${label} ${v}`),
      ),
    ]),
    drift.length > 1 ? svg('path', { d: path(drift), class: 'series drift' }) : null,
    series.length > 1
      ? svg('path', { d: path(series.map((p) => [Date.parse(p.at), p.divergence])), class: 'series' })
      : null,
    drift.map(([ms, v]) =>
      svg(
        'rect',
        { x: x(ms) - 2, y: y(v) - 2, width: 4, height: 4, class: 'point drift' },
        svg('title', {}, text(`identity drift ${v.toFixed(3)}`)),
      ),
    ),
    series.map((p) =>
      svg(
        'circle',
        {
          cx: x(Date.parse(p.at)).toFixed(1),
          cy: y(p.divergence).toFixed(1),
          r: p.critical ? 3.5 : 2.5,
          class: p.critical ? 'point critical' : 'point',
        },
        svg(
          'title',
          {},
          text(
            `divergence ${p.divergence.toFixed(3)}${p.drift !== null && p.drift !== undefined ? ` · drift ${p.drift.toFixed(3)}` : ''} at ${new Date(p.at).toLocaleString()}${p.critical ? ' · critical' : ''}`,
          ),
        ),
      ),
    ),
    svg(
      'text',
      { x: PAD.left, y: H - 3, class: 'axis legend' },
      text('● divergence  ▪ identity drift  (time of scoring)'),
    ),
  );
  return series.length === 0
    ? h('div', { class: 'chart-empty' }, chart, h('span', {}, 'no scored samples yet'))
    : chart;
}

/** The probe battery's verdict at staging: how many passed, and which failed with their severity. */
export function probeResults(probes) {
  if (!probes) return h('span', { class: 'muted' }, 'no probe battery');
  const failed = Array.isArray(probes.failed) ? probes.failed : [];
  return h(
    'span',
    { 'data-testid': 'probes' },
    `${probes.passed}/${probes.total} passed`,
    failed.length
      ? h(
          'ul',
          { class: 'probes' },
          failed.map((f) =>
            h('li', { class: f.severity === 'critical' ? 'bad' : '' }, `✗ ${f.id} (${f.category}, ${f.severity})`),
          ),
        )
      : null,
  );
}
