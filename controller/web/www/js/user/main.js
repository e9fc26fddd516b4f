// The end user's panel: one page, one screen at a time, following the visit as chaird
// reports it. On every (re)connection of the event stream it asks chaird where the visit is
// (server.info, session.status) and shows that, so a reload or a restart of chaird finds
// the session again.

import { call, listen, E } from '../api.js';
import { $ } from './dom.js';
import { visit, PIN_METHODS } from './state.js';
import * as profiles from './profiles.js';
import * as consult from './consult.js';
import * as scan from './scan.js';
import * as plan from './plan.js';
import * as session from './session.js';
import * as after from './after.js';

let current = 'loading';

// The red dock at the bottom, one touch away while the chair presses on the person:
// "too much" during a session, "stop" during the body scan; none otherwise.
function setDock(what) {
  $('dock').hidden = !what;
  $('btn-too-much').hidden = what !== 'session';
  $('btn-scan-stop').hidden = what !== 'scan';
  document.body.dataset.dock = what || '';
}

// Show one screen; the dock with "too much" while a session is under way (the scan sets
// its own while it runs).
function show(name) {
  if (name === current) return;
  current = name;
  for (const sec of document.querySelectorAll('section[data-screen]')) sec.hidden = sec.dataset.screen !== name;
  setDock(name === 'session' ? 'session' : null);
  document.body.dataset.showing = name;
  clearAlert();
  const h = document.querySelector(`[data-screen="${name}"] h2`);
  if (h) {
    h.tabIndex = -1;
    h.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

function clearAlert() {
  $('alert').hidden = true;
  $('alert').textContent = '';
}

// A failed call said in words, with what chaird named.
function alertError(err, what) {
  const d = (err && err.data) || {};
  let text = `${what ? what + ': ' : ''}${(err && err.message) || err}`;
  if (err && err.code === E.NETWORK) text = `${what ? what + ': ' : ''}the chair does not answer. Trying again…`;
  else if (d.reason) text += ` (${d.reason})`;
  else if (d.field) text += ` (${d.field}${d.expected ? ': ' + d.expected : ''})`;
  $('alert').textContent = text;
  $('alert').hidden = false;
}

// call() with the profile's PIN added where chaird asks for it; opts as call()'s ({ poll }
// for a call the page makes by itself).
function rpc(method, params = {}, opts) {
  if (visit.pin && PIN_METHODS.has(method)) params = { ...params, pin: visit.pin };
  return call(method, params, opts);
}

function setUser(name) {
  visit.user = name || null;
  $('who').textContent = name ? `Profile: ${name}` : '';
}

const ctx = { show, setDock, rpc, alertError, clearAlert, setUser, screen: () => current };

// Go where the visit is. first: the page has just loaded (so the visit's earlier steps
// are shown too); otherwise only a session's start and end move the page.
async function follow(status, first) {
  const st = status.state;
  if (status.user && status.user !== visit.user && (first || ['running', 'paused', 'finishing', 'awaiting_pain_after', 'scanning'].includes(st))) {
    visit.pin = null; // another person's visit: their PIN is not known here
    setUser(status.user);
  }
  if (status.session_id) visit.session_id = status.session_id;
  if (st === 'running' || st === 'paused' || st === 'finishing') return session.enter(ctx, status);
  if (st === 'awaiting_pain_after') {
    if (current !== 'after' && current !== 'summary') return after.enter(ctx, status);
    return;
  }
  if (st === 'scanning') return scan.enter(ctx, { scanning: true });
  if (current === 'session') {
    // The session went while the page could not see it (chaird restarted: it is stored
    // as interrupted): say so, and start again from the profiles.
    await profiles.enter(ctx);
    alertError({ message: 'The massage was interrupted: the chair restarted. It is kept in your history.' });
    return;
  }
  if (!first) return;
  if (st === 'consulted' && visit.user) return scan.enter(ctx, {});
  if (st === 'scanned' && visit.user) {
    scan.enter(ctx, {});
    return scan.recover(ctx);
  }
  if (st === 'planned' && visit.user) return plan.enter(ctx);
  return profiles.enter(ctx);
}

// The page's own look at chaird (on each connection of the stream, and when the visit's
// state moves): polls, not a person's use of the page.
async function refresh(first) {
  try {
    const [info, status] = await Promise.all([
      call('server.info', {}, { poll: true }),
      call('session.status', {}, { poll: true }),
    ]);
    visit.chair = info.chair_state;
    visit.state = status.state;
    await follow(status, first || current === 'loading');
  } catch (e) {
    alertError(e, 'Asking the chair where the visit is');
  }
}

function onMessage(method, p) {
  if (method === 'notify.motion') return session.onMotion(p);
  if (method === 'notify.scan') return scan.onScan(p);
  if (method === 'notify.session') {
    session.onSession(ctx, p);
    if (p.ended && current === 'session') after.enter(ctx, p);
    return;
  }
  if (method === 'notify.state') {
    visit.chair = p.state;
    const was = visit.state;
    visit.state = p.session;
    if (p.fault) alertError({ message: `The chair stopped for safety (${p.fault}). Ask a technician to check it.` });
    scan.onState(ctx, p);
    session.onState(ctx, p);
    if (p.session === 'done' && was === 'awaiting_pain_after' && current === 'after') after.finishedElsewhere(ctx);
    if (p.session !== was && ['running', 'paused', 'scanning', 'awaiting_pain_after'].includes(p.session)) refresh(false);
    return;
  }
  if (method === 'notify.fault') alertError({ message: `The chair stopped for safety: ${p.text || p.code}` });
}

function setConn(ok) {
  $('conn').textContent = ok ? 'connected' : 'reconnecting…';
  $('conn').classList.toggle('lost', !ok);
  document.body.dataset.conn = ok ? 'open' : 'lost';
}

profiles.init(ctx);
consult.init(ctx);
scan.init(ctx);
plan.init(ctx);
session.init(ctx);
after.init(ctx);

// The first look at chaird does not wait for the event stream to open: the first screen
// comes sooner. Each opening of the stream looks again (a change between the two is seen,
// and a reconnection after chaird restarted finds the visit).
refresh(true);
listen(['state', 'motion', 'session', 'scan', 'faults'], {
  open: () => {
    setConn(true);
    refresh(false);
  },
  lost: () => setConn(false),
  message: onMessage,
});
