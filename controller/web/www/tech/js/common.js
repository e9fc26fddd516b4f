// What every technician page shares: the bar (the page marked in the menu, log out), the
// calls that notice a technician login that ended (and the page's own polls, which do not
// keep it alive), a readable refusal, and a small DOM builder that only ever sets text,
// never markup, so nothing chaird sends runs as HTML.
import { call, E, RpcError } from '/js/api.js';

export { E, RpcError };

// el('td', {class: 't-num'}, 'text', child…): an element with attributes and children;
// strings become text nodes.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return node;
}

// Replace what node holds with children.
export function fill(node, ...children) {
  node.replaceChildren();
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
}

// A refusal in words: chaird's message, then the data fields that help a technician.
export function describe(e) {
  if (!(e instanceof RpcError)) return String(e && e.message ? e.message : e);
  const d = e.data || {};
  const parts = [e.message];
  if (d.field) parts.push(`(${d.field}${d.expected ? `: expected ${d.expected}` : ''})`);
  if (d.reason) parts.push(`: ${d.reason}`);
  if (d.cause) parts.push(`: the cause is still present (${d.cause})`);
  if (d.state) parts.push(`— the chair is ${d.chair || d.state}`);
  return parts.join(' ');
}

// Show text in a message box (kind: '', 'bad', 'ok', 'warn'); '' text empties it. The same
// words again are left alone, so a live region is not read out at every refresh.
export function say(box, text, kind) {
  const cls = 't-msg' + (kind ? ` t-${kind}` : '');
  if (box.className !== cls) box.className = cls;
  if (box.textContent !== text) box.textContent = text;
}

let lostShown = false;

// The login page, coming back here once logged in again.
function loginHref() {
  return `/login.html?next=${encodeURIComponent(location.pathname)}`;
}

// The technician login ended (idle time, logged out elsewhere): say so once, with the login
// again, instead of a page of refusals. The page's own refreshes do not keep a login alive,
// so a page left open on the chair's screen ends up here.
function sessionLost() {
  if (lostShown) return;
  lostShown = true;
  document.body.dataset.login = 'lapsed';
  const box = document.getElementById('session-lost');
  if (!box) return;
  box.className = 't-msg t-bad';
  fill(box, 'The technician login has ended (10 minutes without use, or logged out). ',
    el('a', { href: loginHref(), class: 't-btn', id: 'login-again' }, 'Log in again'), ' to go on.');
}

// A technician again (logged in from another page of this browser): the notice goes.
function sessionBack() {
  if (!lostShown) return;
  lostShown = false;
  document.body.dataset.login = 'technician';
  const box = document.getElementById('session-lost');
  if (box) {
    box.className = 't-msg';
    fill(box);
  }
}

// call() for the technician's methods: a -32002 (no longer a technician) shows the way back
// to the login page, and is still thrown for the caller's own message. opts as call()'s.
export async function techCall(method, params, opts) {
  try {
    return await call(method, params, opts);
  } catch (e) {
    if (e instanceof RpcError && e.code === E.ROLE) sessionLost();
    throw e;
  }
}

// A call the page makes by itself on a timer: marked as a poll, so that it does not count
// as the technician using the page (only a person's action keeps the login alive).
export function techPoll(method, params) {
  return techCall(method, params, { poll: true });
}

// server.info on a timer; a role that is no longer technician is a login that lapsed
// (server.info itself is open to any role, so no refusal would say it).
export async function pollInfo() {
  const r = await techPoll('server.info');
  if (r.role === 'technician') sessionBack();
  else sessionLost();
  return r;
}

// Run fn now and then every period_ms after each run finished (never two at once), while
// the page is shown; returns a function that stops it.
export function every(period_ms, fn) {
  let timer = 0;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    try {
      await fn();
    } finally {
      if (!stopped) timer = setTimeout(run, period_ms);
    }
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// A time of chaird's (Unix seconds) as the chair's local date and time.
export function when(t_s) {
  if (typeof t_s !== 'number' || !isFinite(t_s)) return '—';
  const d = new Date(t_s * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// A number for a table: integers as they are, others with up to digits decimals.
export function num(v, digits = 1) {
  if (typeof v !== 'number') return v === undefined || v === null ? '—' : String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

// The bar of every page: this page marked in the menu, and log out.
function bar() {
  const here = location.pathname.replace(/index\.html$/, '');
  for (const a of document.querySelectorAll('.t-nav a')) {
    const target = new URL(a.href, location.href).pathname.replace(/index\.html$/, '');
    if (target === here) a.setAttribute('aria-current', 'page');
  }
  const out = document.getElementById('logout');
  if (out) {
    out.addEventListener('click', async () => {
      out.disabled = true;
      try {
        await call('auth.logout');
      } catch (e) {
        // Leaving is what the technician asked for: the login page shows the role it has.
      }
      location.assign('/login.html');
    });
  }
}

bar();
