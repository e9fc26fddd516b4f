// The live session: the rollers on the body outline moving with notify.motion, the phase
// and time left from notify.session, and the person's controls. What is shown is also kept
// in data- attributes (the numbers as chaird sent them) for whoever compares it with chaird.

import { $, fill, minSec } from './dom.js';
import { visit } from './state.js';
import { E } from '../api.js';
import { areaName, techniqueName, stateName } from './words.js';
import { bodyFigure } from '../body.js';

let ctx;
let fig;
let cap_n = 60;
let state = 'running';
let technique = '';

const SAID = {
  stronger: 'A little stronger', softer: 'A little softer', too_much: 'Eased off straight away',
  there: 'Holding there', eased: 'Moving on', pause: 'Paused', resume: 'Going on', stop: 'Stopping',
};

export function init(c) {
  ctx = c;
  fig = bodyFigure({ side: 'back', caption: 'The rollers now', live: true, idPrefix: 'live' });
  fill($('live-body'), fig.el);
  for (const a of ['stronger', 'softer', 'there', 'eased']) $(`btn-${a}`).addEventListener('click', () => feedback(a));
  $('btn-too-much').addEventListener('click', () => feedback('too_much'));
  $('btn-pause').addEventListener('click', () => (state === 'paused' ? control('resume') : control('pause')));
  $('btn-stop').addEventListener('click', () => control('stop'));
}

// Show the session; status: session.status's reply or what session.start said.
export function enter(c, status) {
  ctx = c || ctx;
  if (status.session_id) visit.session_id = status.session_id;
  if (typeof status.cap_n === 'number') cap_n = status.cap_n;
  if (ctx.screen() !== 'session') {
    $('live-message').textContent = '';
    fig.setLandmarks(visit.landmarks);
  }
  setState(status.state || 'running');
  if (typeof status.remaining_s === 'number') showRemaining(status.remaining_s);
  if (status.zone) showZone(status.zone);
  if (typeof status.force_n === 'number' && !$('live').dataset.tS) $('live-force').textContent = `${status.force_n.toFixed(1)} N`;
  ctx.show('session');
}

function setState(st) {
  state = st;
  $('live-state').textContent = stateName(st);
  $('live').dataset.state = st;
  $('btn-pause').textContent = st === 'paused' ? 'Resume' : 'Pause';
  $('btn-pause').classList.toggle('primary', st === 'paused');
  $('h-session').textContent = st === 'paused' ? 'Massage paused' : 'Massage under way';
}

function showRemaining(s_) {
  $('live-remaining').textContent = minSec(s_);
  $('live').dataset.remainingS = String(s_);
}

function showZone(zone) {
  $('live-zone').textContent = areaName(zone);
  $('live').dataset.zone = zone;
  fig.setHere(zone);
}

export function onMotion(p) {
  const live = $('live');
  if (typeof p.cap_n === 'number' && p.cap_n > 0) cap_n = p.cap_n;
  live.dataset.tS = String(p.t_s);
  live.dataset.yMm = String(p.y_mm);
  live.dataset.forceN = String(p.force_n);
  live.dataset.forceTargetN = String(p.force_target_n);
  $('live-y').textContent = `${Math.round(p.y_mm)} mm`;
  $('live-force').textContent = `${p.force_n.toFixed(1)} N`;
  $('live-target').textContent = `${(p.force_target_n || 0).toFixed(1)} N`;
  $('live-force-bar').style.width = `${Math.min(100, (100 * p.force_n) / cap_n).toFixed(1)}%`;
  if (p.zone) showZone(p.zone);
  fig.setRoller({ y_mm: p.y_mm, force_n: p.force_n, cap_n, width_mm: p.width_mm });
}

export function onSession(c, p) {
  if (p.session_id) visit.session_id = p.session_id;
  if (p.state) setState(p.state);
  if (p.phase !== undefined) {
    $('live-phase').textContent = p.phase || 'Massage';
    $('live-phase').dataset.phase = p.phase || '';
  }
  if (p.technique !== undefined) {
    technique = p.technique || '';
    $('live-technique').textContent = techniqueName(technique);
    $('live').dataset.technique = technique;
    const guided = technique === 'trigger-point';
    $('btn-there').hidden = !guided;
    $('btn-eased').hidden = !guided;
  }
  if (p.zone) showZone(p.zone);
  if (typeof p.remaining_s === 'number') showRemaining(p.remaining_s);
}

export function onState(c, p) {
  if (ctx && ctx.screen() === 'session' && (p.session === 'running' || p.session === 'paused')) setState(p.session);
}

function say(text) {
  $('live-message').textContent = text;
}

async function feedback(action) {
  try {
    const r = await ctx.rpc('session.feedback', { action });
    say(`${SAID[action] || action}: the chair aims at ${r.force_target_n.toFixed(1)} N on the ${areaName(r.zone).toLowerCase()}.`);
    $('live').dataset.lastAction = action;
  } catch (e) {
    if (e.code === E.RULE) say(action === 'stronger' ? 'That is as strong as the chair goes for you.' : 'The chair cannot do that now.');
    else if (e.code === E.STATE) say(action === 'there' || action === 'eased' ? 'That button works while the chair presses one point.' : 'The massage is not running.');
    else ctx.alertError(e, SAID[action] || action);
  }
}

async function control(what) {
  try {
    await ctx.rpc(`session.${what}`);
    say(SAID[what]);
    if (what === 'pause') setState('paused');
    if (what === 'resume') setState('running');
  } catch (e) {
    ctx.alertError(e, SAID[what]);
  }
}
