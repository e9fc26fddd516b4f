// The web panel in a real browser, against the real daemon: chaird (argument 1, default
// build/chaird) on the in-process simulated chair in real time with the web panel on a free
// loopback port, its store and socket in a temporary folder, and Debian's Chromium headless
// driven by playwright-core (tests/browser/node_modules). Prints `name: value` lines; never
// fails on a figure, only when the bench itself cannot run.
//
// - panel_first_paint_ms (median) and _p90_ms over RUNS cold loads (a new browser context
//   each: no cache, no cookie) of `/`: from the start of the navigation (the page's
//   performance.timeOrigin) to the first frame that shows the first screen usable, the
//   page's own marker: body[data-showing="profiles"] (main.js sets it when it shows a
//   screen) with the profiles read (a profile's button, or the "no profiles yet" line) and
//   "Add and continue" visible. Stamped in the page: a requestAnimationFrame loop sees the
//   condition, then a message posted from that frame's callback runs once the frame is done.
//   login_first_paint_ms: /login.html the same way (its "Log in" button), the reference.
// - panel_bytes_total: the bodies of every file the first screen loads (not the API's
//   replies, counted apart), panel_www_bytes the whole page folder; every request of every
//   load is recorded, panel_external_requests those that left the panel's origin.
// - web_event_lag_p99_ms: a session running, the panel page loaded on its live screen; its
//   own EventSource (wrapped by an init script, which adds a listener before the page's own)
//   stamps each notify.motion on arrival with performance.timeOrigin + performance.now()
//   (wall clock, ms). The sample's tick_clock_s (CLOCK_MONOTONIC, s) is put on the wall clock
//   with an offset measured here, at an edge of Date.now()'s millisecond against
//   process.hrtime (CLOCK_MONOTONIC on Linux); page_clock_error_ms checks the page's clock
//   against it. node_sse_lag_*: a plain node reader of /api/events in the same window,
//   stamped with process.hrtime (no conversion), the reference, and alone in a window of
//   the same length before the page is loaded; rt_overruns (server.info) over each window.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { chromium } = require(path.join(ROOT, 'tests/browser/node_modules/playwright-core'));

const CHAIRD = path.resolve(process.argv[2] || path.join(ROOT, 'build/chaird'));
const WWW = path.join(ROOT, 'controller/web/www');
const RUNS = 9;        // counted loads of each page
const LAG_S = 12;      // of a running session, 20 notify.motion a second (twice: alone, with the page)
const T0 = process.hrtime.bigint();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const monoMs = () => Number(process.hrtime.bigint()) / 1e6;
const out = (name, value) => console.log(`${name}: ${value}`);

function quantile(values, q) {
  if (!values.length) return 0;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.round(q * (v.length - 1))];
}

async function waitFor(fn, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(50);
  }
}

// --- chaird ------------------------------------------------------------------------------

const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'panel_web.'));
let chaird = null;
let chairdLog = '';

function writeConfig() {
  // The host is a virtual machine: its vCPUs stall now and then, which the shipped
  // 20-period tolerance would call a fault (as in the end-to-end scripts).
  const ini = path.join(dir, 'chair.ini');
  fs.writeFileSync(ini, [
    '[hal]', 'backend = sim', 'sim_seed = 5',
    '[rt]', 'max_late_periods = 200',
    '[store]', `path = ${dir}/chair.db`,
    '[panel]', `socket = ${dir}/panel.sock`,
    '[session]', `rules = ${ROOT}/controller/data/consultation.rules`,
    `advice = ${ROOT}/controller/data/care-advice.rules`,
    '[web]', 'listen = 127.0.0.1:0', `root = ${WWW}`,
  ].join('\n') + '\n');
  return ini;
}

async function startChaird() {
  chaird = spawn(CHAIRD, ['--config', writeConfig()], { stdio: ['ignore', 'pipe', 'pipe'] });
  let origin = null;
  const take = (b) => {
    chairdLog += b.toString();
    const m = /chaird: panel at (http:\/\/127\.0\.0\.1:\d+)\//.exec(chairdLog);
    if (m) origin = m[1];
  };
  let spawnError = null;
  chaird.on('error', (e) => { spawnError = e; });
  chaird.stdout.on('data', take);
  chaird.stderr.on('data', take);
  return waitFor(() => {
    if (spawnError) throw new Error(`${CHAIRD}: ${spawnError.message}`);
    if (chaird.exitCode !== null) throw new Error(`chaird exited ${chaird.exitCode}`);
    return origin;
  }, 20000, 'chaird to say "panel at"');
}

// SIGTERM, SIGKILL after 10 s; its exit status.
async function stopChaird() {
  if (!chaird || !chaird.pid) return -1;
  if (chaird.exitCode !== null || chaird.signalCode !== null) return chaird.exitCode === null ? -1 : chaird.exitCode;
  const gone = new Promise((r) => chaird.once('exit', (code) => r(code)));
  chaird.kill('SIGTERM');
  const t = setTimeout(() => chaird.kill('SIGKILL'), 10000);
  const code = await gone;
  clearTimeout(t);
  return code === null ? -1 : code;
}

// --- JSON-RPC by POST /api, one browser session (its cookie) ------------------------------

function webRpc(origin) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let cookie = '';
  let id = 0;
  return (method, params = {}) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params });
    const req = http.request(`${origin}/api`, {
      method: 'POST', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(cookie ? { Cookie: cookie } : {}) },
    }, (res) => {
      const set = res.headers['set-cookie'];
      if (set) cookie = set[0].split(';')[0];
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let msg;
        try {
          msg = JSON.parse(text);
        } catch (e) {
          return reject(new Error(`${method}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        }
        if (msg.error) return reject(new Error(`${method}: ${msg.error.code} ${msg.error.message}`));
        resolve(msg.result);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// --- first paint ---------------------------------------------------------------------------

// In the page before its scripts: stamp window.__usable_ms once ready() holds in a frame.
function stampUsable(kind) {
  const visible = (sel) => {
    const el = document.querySelector(sel);
    if (!el || el.closest('[hidden]')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const ready = kind === 'panel'
    ? () => document.body && document.body.dataset.showing === 'profiles' && visible('#add-submit') &&
      (document.querySelector('#profile-list button') || visible('#profiles-none'))
    : () => visible('#login-btn');
  if (kind === 'panel') { // when its event stream opened: the API calls of the first screen wait for it
    const Original = window.EventSource;
    window.EventSource = class extends Original {
      constructor(url, options) {
        super(url, options);
        this.addEventListener('open', () => { if (window.__stream_open_ms === undefined) window.__stream_open_ms = performance.now(); });
      }
    };
  }
  const frame = () => {
    if (!ready()) return requestAnimationFrame(frame);
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { window.__usable_ms = performance.now(); };
    ch.port2.postMessage(0);
  };
  requestAnimationFrame(frame);
}

// One cold load of page ('panel' or 'login'): its times and every request it made.
async function load(browser, origin, kind) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(stampUsable, kind);
  const page = await context.newPage();
  const requests = [];
  page.on('requestfinished', async (r) => {
    const entry = { method: r.method(), url: r.url(), status: 0, bytes: 0 };
    requests.push(entry);
    try {
      const res = await r.response();
      entry.status = res ? res.status() : 0;
      entry.bytes = (await r.sizes()).responseBodySize;
    } catch (e) {
      entry.status = -1;
    }
  });
  page.on('request', (r) => {
    if (r.url().endsWith('/api/events') || r.url().includes('/api/events?')) requests.push({ method: r.method(), url: r.url(), status: 'stream', bytes: 0 });
  });
  await page.goto(`${origin}${kind === 'panel' ? '/' : '/login.html'}`);
  await page.waitForFunction(() => window.__usable_ms !== undefined, null, { timeout: 15000 });
  const t = await page.evaluate(() => {
    const res = performance.getEntriesByType('resource').filter((e) => e.responseEnd <= window.__usable_ms);
    const end = (f) => Math.max(0, ...res.filter(f).map((e) => e.responseEnd));
    return {
      usable: window.__usable_ms,
      fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0,
      html: performance.getEntriesByType('navigation')[0].responseEnd,
      files: end((e) => !new URL(e.name).pathname.startsWith('/api')),
      stream: window.__stream_open_ms || 0,
      api: end((e) => new URL(e.name).pathname === '/api'),
    };
  });
  await sleep(300); // the first screen's last requests (an API reply after the paint) finish
  await context.close();
  return { ...t, requests };
}

function folderBytes(d) {
  let bytes = 0;
  let files = 0;
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) {
      const sub = folderBytes(p);
      bytes += sub.bytes;
      files += sub.files;
    } else if (e.isFile()) {
      bytes += fs.statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

async function firstPaint(browser, origin) {
  await load(browser, origin, 'panel'); // warm-up: the browser's first renderer, not counted
  await load(browser, origin, 'login');
  const runs = { panel: [], login: [] };
  for (let i = 0; i < RUNS; i++)
    for (const kind of i % 2 ? ['login', 'panel'] : ['panel', 'login']) runs[kind].push(await load(browser, origin, kind));
  const p = runs.panel.map((r) => r.usable);
  const l = runs.login.map((r) => r.usable);
  out('panel_first_paint_ms', quantile(p, 0.5).toFixed(1));
  out('panel_first_paint_p90_ms', quantile(p, 0.9).toFixed(1));
  out('panel_first_paint_max_ms', quantile(p, 1).toFixed(1));
  // Where the time goes, medians: the page's HTML, its last file, its event stream open, its
  // last API reply before it showed the screen.
  for (const k of ['fcp', 'html', 'files', 'stream', 'api'])
    out(`panel_first_paint_${{ fcp: 'contentful', html: 'html_done', files: 'files_done', stream: 'stream_open', api: 'api_done' }[k]}_ms`, quantile(runs.panel.map((r) => r[k]), 0.5).toFixed(1));
  out('panel_first_paint_runs', p.length);
  out('login_first_paint_ms', quantile(l, 0.5).toFixed(1));
  out('login_first_paint_p90_ms', quantile(l, 0.9).toFixed(1));
  out('panel_first_paint_ratio_vs_login', (quantile(p, 0.5) / quantile(l, 0.5)).toFixed(2));

  // What the first screen loads: the last counted load's requests, each said.
  const last = runs.panel[runs.panel.length - 1].requests;
  const isApi = (u) => new URL(u).pathname.startsWith('/api');
  const files = last.filter((r) => r.url.startsWith(origin) && !isApi(r.url));
  const api = last.filter((r) => r.url.startsWith(origin) && isApi(r.url));
  for (const r of last) out('panel_request', `${r.method} ${r.url.startsWith(origin) ? r.url.slice(origin.length) : r.url} ${r.status} ${r.bytes}`);
  const bytes = files.reduce((s, r) => s + r.bytes, 0);
  out('panel_files_loaded', files.length);
  out('panel_bytes_total', bytes);
  out('panel_bytes_total_kib', (bytes / 1024).toFixed(1));
  out('panel_api_requests', api.length);
  out('panel_api_bytes', api.reduce((s, r) => s + r.bytes, 0));
  const www = folderBytes(WWW);
  out('panel_www_files', www.files);
  out('panel_www_bytes', www.bytes);
  out('panel_www_kib', (www.bytes / 1024).toFixed(1));
  const all = [...runs.panel, ...runs.login].flatMap((r) => r.requests);
  const external = all.filter((r) => !r.url.startsWith(origin + '/'));
  for (const r of external) out('panel_external_request', r.url);
  out('panel_requests_recorded', all.length);
  out('panel_external_requests', external.length);
}

// --- event lag -----------------------------------------------------------------------------

// Date.now() - CLOCK_MONOTONIC, in ms: at the moment Date.now() turns to the next
// millisecond, which lies between two hrtime readings. Of 15 such edges the 9 with the
// tightest brackets (a preemption between the readings widens one), their median offset,
// and the widest of their half-brackets (the measurement's own error).
function wallOffset() {
  const edges = [];
  for (let k = 0; k < 15; k++) {
    let d0 = Date.now();
    let hPrev = monoMs();
    for (;;) {
      const d = Date.now();
      const h = monoMs();
      if (d !== d0) {
        edges.push({ offset: d - (hPrev + h) / 2, half: (h - hPrev) / 2 });
        break;
      }
      d0 = d;
      hPrev = h;
    }
  }
  const tight = edges.sort((a, b) => a.half - b.half).slice(0, 9);
  return { offset: quantile(tight.map((e) => e.offset), 0.5), spread: tight[tight.length - 1].half };
}

// The page's wall clock (timeOrigin + now, what it stamps with) against CLOCK_MONOTONIC put
// on the wall clock by offset: read by evaluate, bracketed by hrtime; of 20 reads the one of
// the shortest round trip. Its error is within that round trip's half.
async function pageClockError(page, offset) {
  let best = null;
  for (let k = 0; k < 20; k++) {
    const a = monoMs();
    const p = await page.evaluate(() => performance.timeOrigin + performance.now());
    const b = monoMs();
    if (!best || b - a < best.rtt) best = { rtt: b - a, err: p - ((a + b) / 2 + offset) };
  }
  return best;
}

// Before the page's scripts: every EventSource also stamps each motion sample's arrival.
function stampArrivals() {
  window.__arrivals = [];
  const Original = window.EventSource;
  window.EventSource = class extends Original {
    constructor(url, options) {
      super(url, options);
      this.addEventListener('message', (ev) => {
        const t = performance.timeOrigin + performance.now();
        const i = ev.data.indexOf('"tick_clock_s":');
        if (i >= 0) window.__arrivals.push([t, parseFloat(ev.data.slice(i + 15))]);
      });
    }
  };
}

// A plain reader of /api/events: each motion sample's lag on CLOCK_MONOTONIC itself.
function nodeReader(origin) {
  const lags = [];
  let buf = '';
  const req = http.get(`${origin}/api/events?topics=motion,session,state`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d) => {
      const now = monoMs();
      buf += d;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const m = /"tick_clock_s":([0-9.]+)/.exec(ev);
        if (m && Number(m[1]) > 0) lags.push(now - Number(m[1]) * 1e3);
      }
    });
  });
  req.on('error', () => {});
  return { lags, stop: () => req.destroy() };
}

async function visit(rpc) {
  await rpc('consult.submit', { user: 'bench', pain: [{ area: 'lower-back', score: 5 }], intensity: 'normal', duration_min: 5 });
  await rpc('scan.manual', { user: 'bench', height_cm: 175 }); // a scan would take 20 s
  const plan = await rpc('plan.propose', { user: 'bench', duration_min: 5 });
  await rpc('session.start', { user: 'bench', plan: plan.program_text });
  await waitFor(async () => (await rpc('session.status')).state === 'running', 90000, 'the session to run');
}

async function eventLag(browser, origin, rpc) {
  const t0 = monoMs();
  await visit(rpc);
  out('panel_visit_to_running_s', ((monoMs() - t0) / 1000).toFixed(1));
  // The reference first: the same window with the plain reader alone, the browser idle
  // (launched, no page open).
  const reader = nodeReader(origin);
  await sleep(1000);
  reader.lags.length = 0;
  const alone0 = (await rpc('server.info')).rt_overruns;
  await sleep(LAG_S * 1000);
  const alone1 = (await rpc('server.info')).rt_overruns;
  const alone = reader.lags.splice(0);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(stampArrivals);
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.body.dataset.showing === 'session', null, { timeout: 15000 });
  await sleep(1000); // the page's stream open and flowing
  await page.evaluate(() => { window.__arrivals.length = 0; });
  reader.lags.length = 0;
  const before = (await rpc('server.info')).rt_overruns;
  const clockBefore = wallOffset();
  await sleep(LAG_S * 1000);
  const clockAfter = wallOffset();
  const after = (await rpc('server.info')).rt_overruns;
  const arrivals = await page.evaluate(() => window.__arrivals.slice());
  const withPage = reader.lags.splice(0);
  const offset = (clockBefore.offset + clockAfter.offset) / 2;
  const probe = await pageClockError(page, offset);
  const shows = await page.evaluate(() => document.body.dataset.showing);
  await context.close();
  reader.stop();
  const lags = arrivals.filter(([, tick]) => tick > 0).map(([t, tick]) => t - (tick * 1e3 + offset));
  out('web_event_lag_p50_ms', quantile(lags, 0.5).toFixed(2));
  out('web_event_lag_p99_ms', quantile(lags, 0.99).toFixed(2));
  out('web_event_lag_max_ms', quantile(lags, 1).toFixed(2));
  out('web_event_lag_min_ms', quantile(lags, 0).toFixed(2));
  out('web_event_lag_samples', lags.length);
  out('node_sse_lag_p50_ms', quantile(withPage, 0.5).toFixed(2));
  out('node_sse_lag_p99_ms', quantile(withPage, 0.99).toFixed(2));
  out('node_sse_lag_max_ms', quantile(withPage, 1).toFixed(2));
  out('node_sse_lag_samples', withPage.length);
  out('web_event_lag_ratio_vs_node', (quantile(lags, 0.99) / quantile(withPage, 0.99)).toFixed(2));
  out('node_sse_lag_p99_ms_no_page', quantile(alone, 0.99).toFixed(2));
  out('node_sse_lag_p50_ms_no_page', quantile(alone, 0.5).toFixed(2));
  out('clock_offset_bracket_ms', Math.max(clockBefore.spread, clockAfter.spread).toFixed(4));
  out('clock_offset_drift_ms', (clockAfter.offset - clockBefore.offset).toFixed(3));
  out('page_clock_error_ms', probe.err.toFixed(3));
  out('page_clock_probe_rtt_ms', probe.rtt.toFixed(3));
  out('page_screen_during_lag', shows);
  out('rt_overruns_no_page', alone1 - alone0);
  out('rt_overruns_with_page', after - before);
  out('rt_overruns_total', after);
  out('session_state_after_lag', (await rpc('session.status')).state);
}

// --- the run -------------------------------------------------------------------------------

async function main() {
  out('host_load_1min', fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const origin = await startChaird();
  const rpc = webRpc(origin);
  await rpc('users.create', { name: 'bench' }); // the first screen shows a profile
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    await firstPaint(browser, origin);
    await eventLag(browser, origin, rpc);
  } finally {
    await browser.close();
  }
}

// Whatever way node goes (an exception, a signal), chaird and the folder go with it.
process.on('exit', () => {
  if (chaird && chaird.exitCode === null && chaird.signalCode === null) chaird.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(`panel_web: ${e && e.message ? e.message : e}`);
}
const code = await stopChaird();
out('chaird_exit_status', code);
if (failed || code !== 0) console.error(`panel_web: chaird said:\n${chairdLog.replace(/^/gm, '  ')}`);
fs.rmSync(dir, { recursive: true, force: true });
out('panel_web_bench_s', (Number(process.hrtime.bigint() - T0) / 1e9).toFixed(1));
process.exit(failed ? 1 : 0);
