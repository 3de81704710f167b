import { h, svg } from './dom.js';

const W = 320;
const H = 96;
const PAD = { left: 28, right: 6, top: 6, bottom: 14 };

/**
 * Divergence of each scored shadow sample in order, on a fixed 0..1 scale with the L1/L2/L3
 * tier lines, so charts of different endorsements compare at a glance.
 */
export function divergenceChart(series, thresholds) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (series.length <= 1 ? plotW / 2 : (i / (series.length - 1)) * plotW);
  const y = (v) => PAD.top + (1 - Math.max(0, Math.min(1, v))) * plotH;
  const lines = [
    ['L1', thresholds.l1, 'tier-l1'],
    ['L2', thresholds.l2, 'tier-l2'],
    ['L3', thresholds.l3, 'tier-l3'],
  ];
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `divergence of ${series.length} scored samples` },
    svg('rect', { x: PAD.left, y: PAD.top, width: plotW, height: plotH, class: 'plot' }),
    ...lines.map(([label, v, cls]) => [
      svg('line', { x1: PAD.left, x2: PAD.left + plotW, y1: y(v), y2: y(v), class: `tier ${cls}` }),
      svg('text', { x: 2, y: y(v) + 3, class: 'axis' }, document.createTextNode(label)),
    ]),
    svg('text', { x: PAD.left - 3, y: PAD.top + 6, class: 'axis', 'text-anchor': 'end' }, document.createTextNode('1')),
    svg('text', { x: PAD.left - 3, y: PAD.top + plotH, class: 'axis', 'text-anchor': 'end' }, document.createTextNode('0')),
    svg('text', { x: PAD.left, y: H - 2, class: 'axis' }, document.createTextNode(series.length ? new Date(series[0].at).toLocaleTimeString() : '')),
    svg('text', { x: W - PAD.right, y: H - 2, class: 'axis', 'text-anchor': 'end' }, document.createTextNode(series.length ? new Date(series.at(-1).at).toLocaleTimeString() : '')),
    series.length > 1 ? svg('polyline', { points: series.map((p, i) => `${x(i).toFixed(1)},${y(p.divergence).toFixed(1)}`).join(' '), class: 'series' }) : null,
    ...series.map((p, i) =>
      svg('circle', { cx: x(i).toFixed(1), cy: y(p.divergence).toFixed(1), r: p.critical ? 3.5 : 2, class: p.critical ? 'point critical' : 'point' }, svg('title', {}, document.createTextNode(`${p.divergence.toFixed(3)} at ${p.at}`))),
    ),
  );
  return series.length === 0 ? h('div', { class: 'chart-empty' }, chart, h('span', {}, 'no scored samples yet')) : chart;
}
