// The browser tests' harness: chaird as the daemon on the in-process simulated chair with
// the web panel on a free loopback port, a JSON-RPC client on its Unix socket (to ask chaird
// what it reports while the page shows it), headless Chromium, screenshots, axe-core, and a
// count of checks printed as `N passed, N failed`. Everything started is stopped on every
// way out (the end, an error, SIGINT, SIGTERM).
//
// Environment: BUILD (default build) for chaird and the screenshots ($BUILD/browser-shots),
// CHAIRD to run another chaird binary, CHROMIUM for another browser.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD = path.resolve(ROOT, process.env.BUILD || 'build');
export const SHOTS = path.join(BUILD, 'browser-shots');
const CHAIRD = process.env.CHAIRD ? path.resolve(process.env.CHAIRD) : path.join(BUILD, 'chaird');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE = path.join(ROOT, 'tests/browser/node_modules/axe-core/axe.min.js');

// --- cleanup on every exit ------------------------------------------------------------------

const children = new Set();
const tempDirs = new Set();
const closers = new Set();

function cleanupSync() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

async function cleanup() {
  for (const close of [...closers].reverse()) {
    try {
      await close();
    } catch (e) {
      /* going anyway */
    }
  }
  closers.clear();
  cleanupSync();
}

process.on('exit', cleanupSync);
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(sig, () => {
    cleanup().finally(() => process.exit(code));
  });
}

// --- waiting with a bound ----------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Until fn() returns something truthy (returned), or throw after timeout_ms saying what.
export async function waitFor(fn, { timeout_ms = 10000, every_ms = 50, what = 'a condition' } = {}) {
  const end = Date.now() + timeout_ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`waited ${timeout_ms} ms for ${what}${last instanceof Error ? ': ' + last.message : ''}`);
    await sleep(every_ms);
  }
}

// A free TCP port on 127.0.0.1 (for a chaird that must come back on the same address).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// --- chaird ------------------------------------------------------------------------------

// The config of a daemon chaird on the in-process sim, its files in dir. A shared test host
// is no real-time board: it tolerates 200 late periods (20 shipped), as tests/e2e/lib.sh does.
function chairdIni(dir, port, extra) {
  return [
    '[rt]', 'max_late_periods = 200',
    '[hal]', 'backend = sim',
    '[store]', `path = ${dir}/chair.db`,
    '[panel]', `socket = ${dir}/panel.sock`,
    '[session]', `rules = ${ROOT}/controller/data/consultation.rules`,
    `advice = ${ROOT}/controller/data/care-advice.rules`,
    '[web]', `listen = 127.0.0.1:${port}`, `root = ${ROOT}/controller/web/www`,
    extra || '',
  ].join('\n') + '\n';
}

// Start chaird; resolves once it says where the panel is. { url, socket, dir, log(), stop(),
// restart() }. port 0: a free one chosen by chaird (a restart then gets another).
// A string instead of the options names the run (the temp folder's prefix).
export async function startChaird(opts = {}) {
  const { port = 0, extra = '', name = 'browser' } = typeof opts === 'string' ? { name: opts } : opts;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `chair-${name.replace(/[^a-z0-9]/gi, '')}-`));
  tempDirs.add(dir);
  const ini = path.join(dir, 'chair.ini');
  fs.writeFileSync(ini, chairdIni(dir, port, extra));
  const d = { dir, socket: path.join(dir, 'panel.sock'), url: null, proc: null, out: '' };
  d.log = () => d.out;
  d.start = async () => {
    d.out = '';
    d.url = null;
    const proc = spawn(CHAIRD, ['--config', ini], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    d.proc = proc;
    children.add(proc);
    proc.on('exit', () => children.delete(proc));
    const take = (b) => {
      d.out += b.toString();
      const m = /chaird: panel at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(d.out);
      if (m && !d.url) d.url = m[1];
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`chaird exited ${proc.exitCode}:\n${d.out}`);
      return d.url;
    }, { timeout_ms: 20000, what: 'chaird to say "panel at"' });
    return d.url;
  };
  // SIGTERM (chaird puts the chair in its safe state and exits); SIGKILL after 10 s.
  d.stop = async () => {
    const proc = d.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await gone;
    clearTimeout(t);
  };
  d.restart = async () => {
    await d.stop();
    return d.start();
  };
  closers.add(d.stop);
  await d.start();
  return d;
}

// --- JSON-RPC on chaird's Unix socket -----------------------------------------------------

export class RpcError extends Error {
  constructor(err) {
    super(`${err.code} ${err.message}`);
    this.code = err.code;
    this.data = err.data || {};
  }
}

// A client of chaird's socket: call(), subscribe(), and what the notifications said:
// last[method] (the latest params), motion (the latest 400 samples), and waiters.
export class Rpc {
  static connect(socketPath) {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(socketPath);
      s.once('connect', () => resolve(new Rpc(s)));
      s.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.nextId = 1;
    this.pending = new Map();
    this.last = {};
    this.motion = [];
    this.listeners = new Set();
    sock.setEncoding('utf8');
    sock.on('data', (d) => this.take(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('chaird closed the socket'));
      this.pending.clear();
    });
    closers.add(() => this.close());
  }

  take(d) {
    this.buf += d;
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      let m;
      try {
        m = JSON.parse(line);
      } catch (e) {
        continue;
      }
      if (m.id !== undefined && this.pending.has(m.id)) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p.reject(new RpcError(m.error));
        else p.resolve(m.result);
      } else if (m.method) {
        this.last[m.method] = m.params;
        if (m.method === 'notify.motion') {
          this.motion.push(m.params);
          if (this.motion.length > 400) this.motion.shift();
        }
        for (const fn of this.listeners) fn(m.method, m.params);
      }
    }
  }

  call(method, params = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  subscribe(topics) {
    return this.call('subscribe', { topics });
  }

  // The motion sample chaird sent with this t_s, if still kept.
  motionAt(t_s) {
    return this.motion.find((m) => m.t_s === t_s);
  }

  close() {
    this.sock.destroy();
  }
}

// --- the browser ---------------------------------------------------------------------------

// Chromium headless; page() gives a page of the chair's screen size that records console
// errors, page errors and every request that left the panel's origin.
export async function launchBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  closers.add(() => browser.close());
  return browser;
}

export async function newPage(browser, origin, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.outside = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/ERR_CONNECTION_REFUSED|net::ERR|Failed to load resource/.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin)) page.outside.push(r.url());
  });
  return page;
}

// A full-page screenshot as $BUILD/browser-shots/NAME.png.
export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// The window as it is (not the whole page) as $BUILD/browser-shots/NAME.png: what a
// person sees, with the fixed dock where it sits.
export async function shotView(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// The two ways the chair's screen is mounted: across (its own size) and upright.
export const SIZES = [{ width: 1280, height: 800 }, { width: 800, height: 1280 }];

// The window's screenshot at each of SIZES as NAME-WxH.png; before each, atSize(size) if
// given (a check of the layout at that size). The page's own size is set back after.
export async function shotSizes(page, name, atSize) {
  const own = page.viewportSize();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    if (atSize) await atSize(size);
    await shotView(page, `${name}-${size.width}x${size.height}`);
  }
  await page.setViewportSize(own);
}

let axeSource = null;

// axe-core on the page as it is; returns the serious and critical violations, each as
// "id (impact): help — the first targets". The script is evaluated through the debugging
// protocol, which the page's CSP does not govern (an injected script tag would be refused).
export async function axe(page) {
  if (!axeSource) axeSource = fs.readFileSync(AXE, 'utf8');
  const present = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!present) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.targets.join(', ')}`);
}

// --- the same, in the words of the technician pages' test ------------------------------

// The socket client whose call() resolves with the whole reply ({result} or {error}).
export async function connectSocket(socketPath) {
  const rpc = await Rpc.connect(socketPath);
  return {
    rpc,
    call: (method, params = {}) => rpc.call(method, params).then((result) => ({ result }),
      (e) => (e instanceof RpcError ? { error: { code: e.code, message: e.message, data: e.data } } : Promise.reject(e))),
    subscribe: (topics) => rpc.subscribe(topics),
    close: () => rpc.close(),
  };
}

export const launch = launchBrowser;

const watched = [];

// Record a page's script errors and CSP refusals; pageErrors() lists them all.
export function watch(page) {
  page.on('pageerror', (e) => watched.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) watched.push(`console: ${m.text()}`);
  });
  return page;
}

export const pageErrors = () => watched.slice();

// axe-core on the page as one check.
export async function axeCheck(page, label) {
  const bad = await axe(page);
  return check(`axe: no serious or critical violation on ${label}`, bad.length === 0, bad.join('\n'));
}

// waitFor in the order (what, fn, timeout_ms).
export const until = (what, fn, timeout_ms = 10000) => waitFor(fn, { what, timeout_ms });

// --- checks and their count --------------------------------------------------------------

let passed = 0;
let failed = 0;

// One check: PASS or FAIL with what was found.
export function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`PASS: ${name}`);
  } else {
    failed++;
    console.log(`FAIL: ${name}${detail !== undefined ? `\n  ${String(typeof detail === 'string' ? detail : JSON.stringify(detail)).replace(/\n/g, '\n  ')}` : ''}`);
  }
  return !!ok;
}

// The count, after stopping everything; exits 0 only when all passed.
export async function finish() {
  await cleanup();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// Run the steps of a test in turn; a step that throws is a failure and ends the test (the
// later steps depend on it). Prints the count, cleans up, exits 0 only when all passed.
export async function run(title, steps, { onFailure } = {}) {
  const started = Date.now();
  for (const [name, fn] of steps) {
    try {
      await fn();
    } catch (e) {
      check(`${name}`, false, e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n') : String(e));
      if (onFailure) {
        try {
          await onFailure();
        } catch (e2) {
          /* what could be shown was shown */
        }
      }
      break;
    }
  }
  console.log(`${title}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await finish();
}
