// The consultation: where it hurts (tapped on the front and back outlines, each area rated
// 0 to 10), conditions, goals, intensity and duration; consult.submit says what follows,
// or that a professional should be seen first.

import { $, h, fill, chip } from './dom.js';
import { visit } from './state.js';
import { AREAS, CONDITIONS, GOALS, INTENSITIES, DURATIONS_MIN, areaName } from './words.js';
import { bodyFigure } from '../body.js';
import * as scan from './scan.js';
import * as profiles from './profiles.js';

let ctx;
let figures = [];
const scores = new Map(); // area -> 0..10, in the order chosen

export function init(c) {
  ctx = c;
  figures = [
    bodyFigure({ side: 'front', caption: 'Front', onTap: toggle, idPrefix: 'front' }),
    bodyFigure({ side: 'back', caption: 'Back', onTap: toggle, idPrefix: 'back' }),
  ];
  fill($('consult-bodies'), figures.map((f) => f.el));
  fill($('condition-chips'), CONDITIONS.map(([id, text]) => chip('checkbox', 'condition', id, text)));
  fill($('goal-chips'), GOALS.map(([id, text]) => chip('checkbox', 'goal', id, text, id === 'pain-relief')));
  fill($('intensity-chips'), INTENSITIES.map(([id, text]) => chip('radio', 'intensity', id, text, id === 'normal')));
  fill($('duration-chips'), DURATIONS_MIN.map((m) => chip('radio', 'duration', String(m), `${m} min`, m === 10)));
  $('condition-chips').addEventListener('change', renderDetails);
  $('consult-form').addEventListener('submit', onSubmit);
  $('consult-back').addEventListener('click', () => profiles.enter(ctx));
}

export function enter(c) {
  ctx = c || ctx;
  scores.clear();
  $('consult-form').reset();
  renderPain();
  renderDetails();
  ctx.show('consult');
}

function toggle(area) {
  if (scores.has(area)) scores.delete(area);
  else scores.set(area, 5);
  renderPain();
}

function setScore(area, score, act) {
  scores.set(area, Math.max(0, Math.min(10, score)));
  renderPain();
  const again = document.querySelector(`#pain-list li[data-area="${area}"] [data-act="${act}"]`);
  if (again) again.focus();
}

// A row per area: its name, less / the score / more, remove.
export function painRow(area, score, onSet, idPrefix, onRemove) {
  const name = areaName(area);
  return h('li', { 'data-area': area },
    h('span', { class: 'name', id: `${idPrefix}-name-${area}`, text: name }),
    h('button', { type: 'button', 'aria-label': `${name}: less pain`, 'data-act': 'less', on: { click: () => onSet(area, score - 1, 'less') } }, '−'),
    h('output', { class: 'score', id: `${idPrefix}-score-${area}`, 'aria-live': 'polite', 'aria-label': `${name} pain`, 'data-score': score }, String(score)),
    h('button', { type: 'button', 'aria-label': `${name}: more pain`, 'data-act': 'more', on: { click: () => onSet(area, score + 1, 'more') } }, '+'),
    onRemove ? h('button', { type: 'button', 'aria-label': `Remove ${name}`, on: { click: () => onRemove(area) } }, 'Remove') : null);
}

function renderPain() {
  for (const f of figures) for (const [a] of AREAS) f.setSelected(a, scores.has(a) ? scores.get(a) : null);
  fill($('pain-list'), [...scores].map(([a, sc]) => painRow(a, sc, setScore, 'pain', toggle)));
  $('pain-none').hidden = scores.size > 0;
}

// Where and when, for the conditions that have an area (injury, operation, skin).
function renderDetails() {
  const box = $('condition-details');
  const keep = {};
  for (const el of box.querySelectorAll('[data-cond]')) keep[el.id] = el.value;
  const needs = CONDITIONS.filter(([id, , kind]) => kind === 'area' && checked('condition').includes(id));
  fill(box, needs.map(([id, text]) => h('div', { class: 'row' },
    h('strong', { text }),
    h('label', { class: 'field' }, h('span', { text: 'Where' }),
      h('select', { id: `cond-${id}-area`, 'data-cond': id },
        AREAS.map(([a, n]) => h('option', { value: a, text: n })))),
    h('label', { class: 'field' }, h('span', { text: 'How many weeks ago' }),
      h('input', { type: 'number', class: 'short', id: `cond-${id}-weeks`, 'data-cond': id, min: 0, max: 520, inputmode: 'numeric' })))));
  for (const [k, v] of Object.entries(keep)) if ($(k)) $(k).value = v;
}

function checked(name) {
  return [...document.querySelectorAll(`#consult-form input[name="${name}"]:checked`)].map((i) => i.value);
}

function conditions() {
  return checked('condition').map((id) => {
    const area = $(`cond-${id}-area`);
    if (!area) return id;
    const c = { id, area: area.value };
    const weeks = parseInt($(`cond-${id}-weeks`).value, 10);
    if (weeks >= 0) c.weeks_ago = weeks;
    return c;
  });
}

async function onSubmit(ev) {
  ev.preventDefault();
  visit.pain = [...scores].map(([area, score]) => ({ area, score }));
  visit.durationMin = parseInt(checked('duration')[0] || '10', 10);
  const params = {
    user: visit.user, conditions: conditions(), pain: visit.pain, goals: checked('goal'),
    intensity: checked('intensity')[0] || 'normal', duration_min: visit.durationMin,
  };
  $('consult-submit').disabled = true;
  try {
    const r = await ctx.rpc('consult.submit', params);
    visit.limits = r;
    if (r.see_professional_first) showProfessional(r);
    else scan.enter(ctx, {});
  } catch (e) {
    ctx.alertError(e, 'The consultation');
  } finally {
    $('consult-submit').disabled = false;
  }
}

function showProfessional(r) {
  $('pro-reason').textContent = r.reason || 'The chair should not go ahead today.';
  $('pro-who').textContent = r.professional ? `Please talk to your ${r.professional} before a massage.` : '';
  fill($('pro-messages'), (r.messages || []).map((m) => h('li', { text: m })));
  $('pro-done').onclick = () => profiles.enter(ctx);
  $('pro-change').onclick = () => ctx.show('consult');
  ctx.show('professional');
}
