// After the session: the pain now for each area of the consultation (session.finish), then
// the summary, the care advice and the pain trend of this profile.

import { $, h, fill, minSec } from './dom.js';
import { visit } from './state.js';
import { areaName, endedWords, techniqueName, listWords } from './words.js';
import { painRow } from './consult.js';
import { drawTrend } from './trend.js';
import * as profiles from './profiles.js';

let ctx;
const scores = new Map();

const FEEDBACK = {
  stronger: 'stronger', softer: 'softer', too_much: '"too much"', faster: 'faster', slower: 'slower',
  wider: 'wider', narrower: 'narrower', stay: 'stay', skip: 'skip', there: '"there"', eased: '"eased"',
  pause: 'pause', resume: 'resume', stop: 'stop',
};

export function init(c) {
  ctx = c;
  $('after-form').addEventListener('submit', finish);
  $('summary-done').addEventListener('click', () => profiles.enter(ctx));
}

// p: a notify.session with ended, or session.status.
export async function enter(c, p) {
  ctx = c || ctx;
  if (p.session_id) visit.session_id = p.session_id;
  $('after-ended').textContent = endedWords(p.ended, p.reason);
  scores.clear();
  let pain = visit.pain;
  if (!pain.length && visit.session_id) {
    // A reload since the consultation: the pain before is in the stored session.
    try {
      const hist = await ctx.rpc('history.list', { user: visit.user });
      const sess = (hist.sessions || []).find((x) => x.session_id === visit.session_id);
      if (sess) pain = sess.pain.map((x) => ({ area: x.area, score: x.before }));
    } catch (e) {
      /* the form then asks without the areas */
    }
  }
  for (const x of pain) scores.set(x.area, x.score);
  render();
  ctx.show('after');
}

function set(area, score, act) {
  scores.set(area, Math.max(0, Math.min(10, score)));
  render();
  const again = document.querySelector(`#after-list li[data-area="${area}"] [data-act="${act}"]`);
  if (again) again.focus();
}

function render() {
  fill($('after-list'), [...scores].map(([a, sc]) => painRow(a, sc, set, 'after')));
  if (!scores.size) fill($('after-list'), h('li', { text: 'No pain area was given before the massage.' }));
}

let submitting = false;

// The pain after was given elsewhere (chairctl, another screen): the summary as stored.
export async function finishedElsewhere(c) {
  ctx = c || ctx;
  if (submitting || !visit.session_id) return;
  try {
    const got = await ctx.rpc('history.get', { session_id: visit.session_id });
    await summary({ summary: got, pain: got.pain, advice: got.advice });
  } catch (e) {
    ctx.alertError(e, 'Reading the summary');
  }
}

async function finish(ev) {
  ev.preventDefault();
  submitting = true;
  $('after-submit').disabled = true;
  try {
    const pain = [...scores].map(([area, score]) => ({ area, score }));
    const r = await ctx.rpc('session.finish', { session_id: visit.session_id, pain });
    await summary(r);
  } catch (e) {
    ctx.alertError(e, 'Saving how you feel');
  } finally {
    submitting = false;
    $('after-submit').disabled = false;
  }
}

async function summary(r) {
  const sm = r.summary || {};
  const fb = Object.entries(sm.feedback || {}).map(([k, n]) => `${FEEDBACK[k] || k} ${n}×`);
  const zones = Object.keys(sm.minutes_by_zone || {}).map((z) => areaName(z).toLowerCase());
  const techs = Object.keys(sm.minutes_by_technique || {}).map(techniqueName);
  fill($('summary-facts'),
    h('h3', { text: sm.program || 'Your massage' }),
    h('p', { id: 'summary-ended', 'data-ended': sm.ended || '', text: endedWords(sm.ended, sm.reason) }),
    h('p', { id: 'summary-duration', 'data-duration-s': sm.duration_s, text: `Time: ${minSec(sm.duration_s || 0)}` }),
    zones.length ? h('p', { text: `Worked: ${listWords(zones)}, with ${listWords(techs)}.` }) : null,
    h('p', { id: 'summary-peak', 'data-peak-force-n': sm.peak_force_n, text: `Firmest pressure: ${(sm.peak_force_n || 0).toFixed(1)} N` }),
    h('p', { id: 'summary-feedback', text: fb.length ? `You asked: ${fb.join(', ')}.` : 'You asked for no changes.' }));
  fill($('summary-pain'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Area' }), h('th', { scope: 'col', text: 'Before' }), h('th', { scope: 'col', text: 'After' }))),
    h('tbody', {}, (r.pain || []).map((x) => h('tr', { 'data-area': x.area },
      h('th', { scope: 'row', text: areaName(x.area) }),
      h('td', { text: x.before === null ? '–' : String(x.before) }),
      h('td', { text: x.after === null ? '–' : String(x.after) })))));
  fill($('summary-advice'), (r.advice || []).map((a) => h('li', { 'data-kind': a.kind, 'data-id': a.id },
    a.kind === 'see-professional' ? h('strong', { text: 'See a professional: ' }) : null, a.text)));
  ctx.show('summary');
  try {
    const hist = await ctx.rpc('history.list', { user: visit.user });
    drawTrend($('trend'), hist);
  } catch (e) {
    fill($('trend'), h('p', { class: 'muted', text: 'Your pain trend could not be read now.' }));
  }
}
