// The proposed plan in words: its phases with their area, minutes and techniques (from
// plan.propose's summary), what it works and leaves out, and the start.

import { $, h, fill, duration } from './dom.js';
import { visit } from './state.js';
import { areaName, techniqueName, listWords } from './words.js';
import { bodyFigure } from '../body.js';
import * as consult from './consult.js';
import * as session from './session.js';

let ctx;
let fig;

export function init(c) {
  ctx = c;
  fig = bodyFigure({ side: 'back', caption: 'Where the chair works' });
  fill($('plan-body'), fig.el);
  $('plan-back').addEventListener('click', () => consult.enter(ctx));
  $('plan-start').addEventListener('click', start);
}

export async function enter(c) {
  ctx = c || ctx;
  fill($('plan-phases'));
  $('plan-text').textContent = 'Making your plan…';
  $('plan-more').textContent = '';
  fill($('plan-notes'));
  $('plan-start').disabled = true;
  ctx.show('plan');
  try {
    const params = { user: visit.user };
    if (visit.durationMin) params.duration_min = visit.durationMin;
    visit.plan = await ctx.rpc('plan.propose', params);
    render(visit.plan.summary);
    $('plan-start').disabled = false;
  } catch (e) {
    $('plan-text').textContent = '';
    ctx.alertError(e, 'Making the plan');
  }
}

function render(sum) {
  $('plan-text').textContent = `${sum.duration_min} minutes, in ${sum.phases.length} parts.`;
  fill($('plan-phases'), sum.phases.map((ph) => h('li', { 'data-phase': ph.name },
    h('span', { class: 'when', text: duration(ph.s) }),
    h('strong', { text: ph.name }),
    ph.area && !ph.name.toLowerCase().includes(areaName(ph.area).toLowerCase()) ? ` on the ${areaName(ph.area).toLowerCase()}` : '',
    h('br'),
    h('span', { class: 'muted', text: capital(listWords(ph.techniques.map(techniqueName))) }))));
  const avoided = (visit.limits && visit.limits.areas_avoided) || [];
  $('plan-more').textContent =
    `The chair works your ${listWords(sum.areas_worked.map((a) => areaName(a).toLowerCase()))}` +
    (avoided.length ? ` and leaves out your ${listWords(avoided.map((a) => areaName(a).toLowerCase()))}` : '') +
    `. Pressure up to level ${sum.peak_pressure_level} of 10.`;
  fill($('plan-notes'), (sum.notes || []).map((n) => h('li', { text: n })));
  fig.setLandmarks(visit.landmarks);
  fig.setShoulder(visit.shoulderMm);
  fig.setMarks({ worked: sum.areas_worked, avoided });
}

const capital = (t) => t.charAt(0).toUpperCase() + t.slice(1);

async function start() {
  $('plan-start').disabled = true;
  try {
    const r = await ctx.rpc('session.start', { user: visit.user, plan: visit.plan.program_text });
    visit.session_id = r.session_id;
    session.enter(ctx, { state: 'running', session_id: r.session_id, program: r.program, remaining_s: r.total_s, cap_n: r.cap_n });
  } catch (e) {
    ctx.alertError(e, 'Starting the massage');
    $('plan-start').disabled = false;
  }
}
