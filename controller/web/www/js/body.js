// The body outline, front and back, drawn as SVG: areas a person taps to say where it hurts
// (PANEL.md's area names), the areas a plan works or avoids, and on the back the rollers:
// where they are along the back (y_mm, 0 at the top of the track above the neck) and how
// hard they press (the halo grows with the force towards the cap).

import { s } from './user/dom.js';
import { areaName } from './user/words.js';

const W = 200;
const H = 480;

// Shapes of each area in the figure's coordinates: [x, y, width, height, corner radius].
// No side is under 30 units, so that at 1.5 px a unit (the consultation's figures) every
// area is a touch target of at least 48 px.
const BACK = {
  neck: [[84, 48, 32, 32, 8]],
  shoulders: [[46, 80, 108, 32, 14]],
  'upper-back': [[56, 112, 88, 38, 4]],
  'mid-back': [[56, 150, 88, 38, 4]],
  'lower-back': [[56, 188, 88, 38, 4]],
  sacrum: [[70, 226, 60, 32, 10]],
  glutes: [[56, 258, 88, 34, 14]],
  thighs: [[60, 292, 38, 80, 12], [102, 292, 38, 80, 12]],
  arms: [[10, 112, 32, 160, 14], [158, 112, 32, 160, 14]],
  calves: [[63, 376, 33, 64, 12], [104, 376, 33, 64, 12]],
  feet: [[60, 444, 36, 32, 10], [104, 444, 36, 32, 10]],
};
const FRONT = {
  neck: BACK.neck, shoulders: BACK.shoulders, arms: BACK.arms, thighs: BACK.thighs,
  calves: BACK.calves, feet: BACK.feet,
};
// The front's torso is outline only: the chair works the back.
const FRONT_TORSO = [56, 112, 88, 180, 18];

// Where the areas sit in the figure (their middle) and along the back in mm for a body of
// average build; a scan's landmarks replace the mm.
const FIG_Y = { neck: 64, shoulders: 96, 'upper-back': 131, 'mid-back': 169, 'lower-back': 207, sacrum: 242, glutes: 275, thighs: 332 };
const DEFAULT_MM = { neck: 174, shoulders: 267, 'upper-back': 351, 'mid-back': 456, 'lower-back': 598, sacrum: 721, glutes: 845, thighs: 1115 };
const ORDER = ['neck', 'shoulders', 'upper-back', 'mid-back', 'lower-back', 'sacrum', 'glutes', 'thighs'];

// The piecewise linear map from mm along the back to the figure's y, from landmarks.
function makeMap(landmarks) {
  const pts = [];
  for (const a of ORDER) {
    const mm = landmarks && typeof landmarks[a] === 'number' ? landmarks[a] : DEFAULT_MM[a];
    if (!pts.length || mm > pts[pts.length - 1][0]) pts.push([mm, FIG_Y[a]]);
  }
  return (y_mm) => {
    let i = 1;
    while (i < pts.length - 1 && y_mm > pts[i][0]) i++;
    const [m0, f0] = pts[i - 1];
    const [m1, f1] = pts[i];
    const f = f0 + ((y_mm - m0) * (f1 - f0)) / (m1 - m0);
    return Math.max(20, Math.min(380, f));
  };
}

function rect([x, y, w, h, r]) {
  return s('rect', { x, y, width: w, height: h, rx: r });
}

// A figure: side 'back' or 'front'; onTap(area) makes the areas buttons.
export function bodyFigure({ side = 'back', caption, onTap, live = false, idPrefix = '' }) {
  const shapes = side === 'front' ? FRONT : BACK;
  const areas = {};
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: onTap ? 'group' : 'img',
    'aria-label': caption || (side === 'front' ? 'Body from the front' : 'Body from the back') });
  svg.append(s('circle', { class: 'body-outline', cx: 100, cy: 25, r: 22 }));
  if (side === 'front') svg.append(s('g', { class: 'body-outline' }, rect(FRONT_TORSO)));
  else svg.append(s('rect', { class: 'body-outline', x: 54, y: 80, width: 92, height: 214, rx: 16 }));
  for (const [area, list] of Object.entries(shapes)) {
    const g = s('g', { class: 'body-area', 'data-area': area }, list.map(rect));
    if (onTap) {
      g.setAttribute('role', 'button');
      g.setAttribute('tabindex', '0');
      g.setAttribute('aria-pressed', 'false');
      g.setAttribute('aria-label', `${areaName(area)}, ${side}`);
      if (idPrefix) g.id = `${idPrefix}-${area}`;
      g.addEventListener('click', () => onTap(area));
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          onTap(area);
        }
      });
    } else {
      g.setAttribute('aria-hidden', 'true');
    }
    areas[area] = g;
    svg.append(g);
  }
  let map = makeMap(null);
  let shoulder = null;
  let roller = null;
  if (side === 'back') {
    shoulder = s('line', { class: 'shoulder-line', x1: 40, x2: 160, y1: 0, y2: 0, visibility: 'hidden' });
    svg.append(shoulder);
    if (live) {
      const halo = s('circle', { class: 'roller-halo', cx: 100, cy: 0, r: 0 });
      const left = s('circle', { class: 'roller', cx: 88, cy: 0, r: 7 });
      const right = s('circle', { class: 'roller', cx: 112, cy: 0, r: 7 });
      roller = { g: s('g', { id: idPrefix ? `${idPrefix}-roller` : null, visibility: 'hidden' }, halo, left, right), halo, left, right };
      svg.append(roller.g);
    }
  }
  const el = document.createElement('figure');
  el.className = 'body-fig' + (live ? ' live' : '') + (onTap ? ' tap' : '');
  el.append(svg);
  if (caption) {
    const fc = document.createElement('figcaption');
    fc.textContent = caption;
    fc.setAttribute('aria-hidden', 'true');
    el.append(fc);
  }
  return {
    el,
    areas,
    // Mark an area chosen (score 0-10) or not (null).
    setSelected(area, score) {
      const g = areas[area];
      if (!g) return;
      const on = score !== null && score !== undefined;
      g.classList.toggle('sel', on);
      g.classList.toggle('s-high', on && score >= 7);
      if (g.hasAttribute('aria-pressed')) g.setAttribute('aria-pressed', String(on));
    },
    // Areas a plan works and areas it avoids.
    setMarks({ worked = [], avoided = [] }) {
      for (const [a, g] of Object.entries(areas)) {
        g.classList.toggle('worked', worked.includes(a));
        g.classList.toggle('avoid', avoided.includes(a));
      }
    },
    // The zone the roller works now, highlighted.
    setHere(zone) {
      for (const [a, g] of Object.entries(areas)) g.classList.toggle('here', a === zone);
    },
    setLandmarks(landmarks) {
      map = makeMap(landmarks);
    },
    // The shoulder line from a scan, in mm along the back (null hides it).
    setShoulder(y_mm) {
      if (!shoulder) return;
      if (y_mm === null || y_mm === undefined) {
        shoulder.setAttribute('visibility', 'hidden');
        return;
      }
      const y = map(y_mm).toFixed(1);
      shoulder.setAttribute('y1', y);
      shoulder.setAttribute('y2', y);
      shoulder.setAttribute('visibility', 'visible');
    },
    // The rollers at y_mm, spaced by width_mm, pressing force_n of cap_n.
    setRoller({ y_mm, force_n = 0, cap_n = 60, width_mm = 110 }) {
      if (!roller || typeof y_mm !== 'number') return;
      const y = map(y_mm).toFixed(1);
      const half = Math.max(6, Math.min(22, (width_mm / 150) * 20));
      roller.left.setAttribute('cx', (100 - half).toFixed(1));
      roller.right.setAttribute('cx', (100 + half).toFixed(1));
      for (const c of [roller.left, roller.right, roller.halo]) c.setAttribute('cy', y);
      const frac = cap_n > 0 ? Math.max(0, Math.min(1, force_n / cap_n)) : 0;
      roller.halo.setAttribute('r', (frac * 34).toFixed(1));
      roller.g.setAttribute('visibility', 'visible');
    },
  };
}
