// The pain trend of a profile as an SVG chart drawn here (no library): one line per area
// through the pain after each session (the pain before where no after was given), with the
// same figures in a table for screen readers and for checking.

import { h, s, fill } from './dom.js';
import { areaName } from './words.js';

const W = 900;
const H = 320;
const L = 56;   // left margin: the scale
const R = 24;
const T = 20;
const B = 56;   // bottom margin: the sessions

export function drawTrend(box, hist) {
  const trend = (hist && hist.trend) || [];
  const sessions = (hist && hist.sessions) || [];
  if (!trend.length || !sessions.length) {
    fill(box, h('p', { class: 'muted', text: 'No pain scores stored yet.' }));
    return;
  }
  const index = new Map(sessions.map((x, i) => [x.session_id, i]));
  const n = Math.max(2, sessions.length);
  const x = (i) => (sessions.length === 1 ? (L + W - R) / 2 : L + ((W - L - R) * i) / (n - 1));
  const y = (score) => T + ((H - T - B) * (10 - score)) / 10;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', id: 'trend-chart',
    'aria-labelledby': 'h-trend trend-desc' });
  for (let v = 0; v <= 10; v += 2) {
    svg.append(s('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    svg.append(s('text', { x: L - 10, y: y(v) + 5, 'text-anchor': 'end', text: String(v) }));
  }
  svg.append(s('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  sessions.forEach((ss, i) => {
    const d = new Date(ss.start_s * 1000);
    svg.append(s('text', { x: x(i), y: H - B + 24, 'text-anchor': 'middle', text: `${i + 1} · ${d.getDate()}/${d.getMonth() + 1}` }));
  });
  svg.append(s('text', { x: W - R, y: H - 4, 'text-anchor': 'end', text: 'session · day/month' }));
  trend.slice(0, 6).forEach((t, k) => {
    const pts = t.points
      .filter((p) => index.has(p.session_id))
      .map((p) => [x(index.get(p.session_id)), p.after !== null ? p.after : p.before, p]);
    const g = s('g', { class: `c${k}`, 'data-area': t.area });
    if (pts.length > 1) g.append(s('polyline', { class: 'series', points: pts.map(([px, v]) => `${px},${y(v)}`).join(' ') }));
    for (const [px, v, p] of pts) {
      if (p.before !== null && p.after !== null) g.append(s('line', { class: 'series', x1: px, x2: px, y1: y(p.before), y2: y(p.after), 'stroke-dasharray': '4 4' }));
      g.append(s('circle', { cx: px, cy: y(v), r: 7 }));
    }
    svg.append(g);
  });
  const legend = h('ul', { class: 'legend', 'aria-hidden': 'true' },
    trend.slice(0, 6).map((t, k) => h('li', {}, h('span', { class: `swatch c${k}` }), areaName(t.area))));
  const table = h('table', { class: 'data', id: 'trend-table' },
    h('caption', { class: 'visually-hidden', id: 'trend-desc', text: 'Pain first and last, by area' }),
    h('thead', {}, h('tr', {}, ['Area', 'First', 'Last', 'Change'].map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, trend.map((t) => h('tr', { 'data-area': t.area },
      h('th', { scope: 'row', text: areaName(t.area) }),
      h('td', { text: t.first_before === null ? '–' : String(t.first_before) }),
      h('td', { text: t.last_after === null ? '–' : String(t.last_after) }),
      h('td', { text: change(t) })))));
  fill(box, svg, legend, table);
}

function change(t) {
  if (t.change_pct === null || t.change_pct === undefined) return '–';
  const pct = Math.abs(Math.round(t.change_pct));
  if (pct === 0) return 'no change';
  const dir = t.direction === 'better' ? 'less pain' : t.direction === 'worse' ? 'more pain' : 'no change';
  return `${pct} % ${dir}${t.meaningful ? ', a real change' : ''}`;
}
