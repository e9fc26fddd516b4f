// The body scan: progress from notify.scan, then the shoulder line on the outline with
// "higher" / "lower" nudges (scan.adjust), and the height instead when a scan cannot be done
// (scan.manual). A chair still getting ready (homing) is waited for, and the scan starts then.
// While the roller travels the back the red dock offers "Stop" (session.stop): the scan ends,
// the chair lets go, and the screen offers the scan again or the height instead.

import { $, h, fill } from './dom.js';
import { visit } from './state.js';
import { E } from '../api.js';
import { bodyFigure } from '../body.js';
import * as plan from './plan.js';

const NUDGE_MM = 10;
let ctx;
let fig;
let waitingForIdle = false;
let busy = false;      // this page's scan.start is waiting for its answer
let scanning = false;  // the screen shows a scan under way (the dock's "Stop" with it)

export function init(c) {
  ctx = c;
  fig = bodyFigure({ side: 'back', caption: 'Your back', live: true, idPrefix: 'scan' });
  fill($('scan-body'), fig.el);
  $('scan-start').addEventListener('click', start);
  $('scan-up').addEventListener('click', () => nudge(-NUDGE_MM));
  $('scan-down').addEventListener('click', () => nudge(NUDGE_MM));
  $('scan-manual-open').addEventListener('click', () => {
    $('scan-manual').hidden = false;
    $('scan-height').focus();
  });
  $('scan-manual').addEventListener('submit', manual);
  $('scan-next').addEventListener('click', () => plan.enter(ctx));
  $('btn-scan-stop').addEventListener('click', stop);
}

function setScanning(on) {
  scanning = on;
  $('screen-scan').dataset.scanning = on ? 'yes' : '';
  ctx.setDock(on ? 'scan' : null);
}

// underWay: chaird says a scan is under way already (a reload during it, or this page's own).
export function enter(c, { scanning: underWay } = {}) {
  ctx = c || ctx;
  const fresh = ctx.screen() !== 'scan';
  if (fresh) {
    fill($('scan-messages'), ((visit.limits && visit.limits.messages) || []).map((m) => h('li', { text: m })));
    setProgress(0);
    $('scan-status').textContent = '';
    $('scan-adjust').hidden = true;
    $('scan-manual').hidden = true;
    $('scan-next').hidden = true;
    $('scan-start').textContent = 'Start the scan';
    $('scan-start').hidden = false;
    fig.setShoulder(null);
    fig.setMarks({ avoided: (visit.limits && visit.limits.areas_avoided) || [] });
  }
  ctx.show('scan');
  if (underWay && !scanning) {
    $('scan-start').hidden = true;
    $('scan-status').textContent = 'Scanning…';
    setScanning(true);
  }
}

function setProgress(fraction) {
  const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  $('scan-bar').style.width = pct + '%';
  $('scan-progress').setAttribute('aria-valuenow', String(pct));
  $('scan-progress').dataset.fraction = String(fraction);
}

export function onScan(p) {
  if (typeof p.fraction === 'number') setProgress(p.fraction);
  fig.setRoller({ y_mm: p.y_mm, force_n: p.force_n || 0, cap_n: 40 });
  if (typeof p.fraction === 'number') $('scan-status').textContent = `Scanning… ${Math.round(p.fraction * 100)} %`;
}

// The body chaird keeps for the visit, shown again (a page loaded after the scan): a nudge
// of 0 mm answers with it and changes nothing.
export async function recover(c) {
  ctx = c || ctx;
  try {
    const r = await ctx.rpc('scan.adjust', { user: visit.user, delta_mm: 0 });
    setProgress(1);
    $('scan-start').hidden = true;
    shown(r, 'Found your shoulders.');
  } catch (e) {
    /* no scan kept (a height was given): the start stays offered */
  }
}

export function onState(c, p) {
  // A scan this page did not start (a reload during it) ended: with a body, or without.
  if (scanning && !busy && p.session && p.session !== 'scanning') {
    setScanning(false);
    if (p.session !== 'scanned') offerAgain('The scan did not finish. Start it again when you are ready, or give your height.');
  }
  if (p.session === 'scanned' && !busy && ctx.screen() === 'scan' && $('scan-adjust').hidden) recover();
  if (waitingForIdle && p.state === 'idle' && ctx.screen() === 'scan') {
    waitingForIdle = false;
    start();
  }
}

async function start() {
  if (busy) return;
  busy = true;
  $('scan-start').hidden = true;
  $('scan-manual').hidden = true;
  setProgress(0);
  $('scan-status').textContent = 'Scanning… keep still and lean back.';
  ctx.clearAlert();
  setScanning(true);
  try {
    const r = await ctx.rpc('scan.start', { user: visit.user });
    setScanning(false);
    setProgress(1);
    shown(r, 'Found your shoulders.');
  } catch (e) {
    setScanning(false);
    if (e.code === E.RULE && e.data && e.data.status === 'stopped') {
      offerAgain('The scan was stopped and the roller let go. Start it again when you are ready, or give your height instead.');
    } else if (e.code === E.STATE && e.data && e.data.chair && e.data.chair !== 'idle') {
      // The chair finds its home positions after it starts: the scan follows once it is idle.
      $('scan-status').textContent = 'The chair is getting ready; the scan starts in a moment.';
      waitingForIdle = true;
      pollIdle();
    } else {
      $('scan-start').hidden = false;
      $('scan-status').textContent = '';
      if (e.code === E.RULE) {
        $('scan-status').textContent = e.data && e.data.status === 'nobody'
          ? 'Nobody seems to be sitting in the chair. Sit back and try again, or give your height.'
          : 'The scan did not find your shoulders. Try again, or give your height.';
        $('scan-manual').hidden = false;
      } else ctx.alertError(e, 'The scan');
    }
  } finally {
    busy = false;
  }
}

// After a scan that ended without a body: the scan again, or the height instead.
function offerAgain(text) {
  $('scan-status').textContent = text;
  $('scan-start').textContent = 'Start the scan again';
  $('scan-start').hidden = false;
  $('scan-adjust').hidden = true;
  $('scan-next').hidden = true;
  $('scan-manual').hidden = false;
}

// The dock's "Stop": the chair ends the scan and lets go at once. The scan's own answer
// (or, on a page that did not start it, the state) then says what happened.
async function stop() {
  $('scan-status').textContent = 'Stopping: the roller lets go.';
  try {
    await ctx.rpc('session.stop');
  } catch (e) {
    if (e.code !== E.STATE) ctx.alertError(e, 'Stopping the scan');
    /* E.STATE: no scan under way any more, it ended meanwhile and its answer tells */
  }
}

// When no state notification comes (a stream not open yet), ask now and then, for a while.
async function pollIdle() {
  for (let i = 0; i < 60 && waitingForIdle; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (!waitingForIdle || ctx.screen() !== 'scan') return;
    try {
      const info = await ctx.rpc('server.info', {}, { poll: true });
      if (info.chair_state === 'idle' && waitingForIdle) {
        waitingForIdle = false;
        start();
        return;
      }
    } catch (e) {
      /* the stream's reconnection will tell */
    }
  }
}

function shown(r, text) {
  visit.landmarks = r.landmarks || null;
  visit.shoulderMm = r.shoulder_y_mm;
  fig.setLandmarks(visit.landmarks);
  fig.setShoulder(r.shoulder_y_mm);
  const adj = r.adjust_mm ? ` (moved ${r.adjust_mm > 0 ? '+' : ''}${r.adjust_mm} mm)` : '';
  $('scan-shoulder').textContent = `${Math.round(r.shoulder_y_mm)} mm${adj}`;
  $('scan-shoulder').dataset.mm = String(r.shoulder_y_mm);
  $('scan-status').textContent = text;
  $('scan-adjust').hidden = false;
  $('scan-next').hidden = false;
  $('scan-manual').hidden = true;
}

async function nudge(delta_mm) {
  try {
    const r = await ctx.rpc('scan.adjust', { user: visit.user, delta_mm });
    shown(r, delta_mm < 0 ? 'Moved the line higher.' : 'Moved the line lower.');
  } catch (e) {
    ctx.alertError(e, 'Moving the shoulder line');
  }
}

async function manual(ev) {
  ev.preventDefault();
  try {
    const r = await ctx.rpc('scan.manual', { user: visit.user, height_cm: parseInt($('scan-height').value, 10) });
    shown(r, 'The chair will use your height.');
  } catch (e) {
    ctx.alertError(e, 'Your height');
  }
}
