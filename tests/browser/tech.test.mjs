// Browser test of the technician's panel, in a real headless Chromium against chaird as the
// daemon (the simulated chair, a store and a socket of its own, the web panel on a free
// loopback port). A user is refused every technician page and method; a wrong PIN is refused
// and slowed, the wait growing; then the technician logs in, installs a good program (it
// is listed), pastes a bad one and is shown the checker's line, removes the good one, and
// sees the IO view, the jog refusals, the fault log and the configuration as chaird reports
// them over the socket; the pages' own refreshes are sent as polls, and a page whose login
// ended says so and offers the login again. axe-core on every page; a screenshot of every
// page under $BUILD/browser-shots (and of the window at 1280x800 and 800x1280). Every wait is on a condition, with a bound.
// Usage: BUILD=build node tests/browser/tech.test.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as h from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PIN = '80413579';
const GOOD = fs.readFileSync(path.join(ROOT, 'tests/e2e/short.prog'), 'utf8');
// Two lines the checker refuses (3 and 6); the lines between are good.
const BAD = 'program "bad one"\nlevel normal\nkneed lower-back for 1m\n' +
  'knead lower-back for 20s speed 3 pressure 3\n\nfoo upper-back\n';
// A bound for what the page does at once (a call, a redraw): generous, as it only costs time
// when something is wrong, and a loaded host may be slow.
const SOON_MS = 15000;
const JOG_Y_MM = 20;
const MARKUP_NAME = '<b>bold</b>';
const MARKUP_PROG = 'program "<script>window.markupRan = 1</script>"\nlevel normal\n' +
  'knead lower-back for 20s speed 3 pressure 3\n';
const TECH_PAGES = ['index', 'programs', 'io', 'jog', 'faults', 'config'];
const TECH_METHODS = [
  ['io.read', {}], ['config.get', {}], ['jog', { axis: 'y', target: 300 }], ['faults.ack', {}],
  ['programs.install', { name: 'x', text: GOOD }], ['programs.remove', { name: 'x' }],
  ['tech.set_pin', { pin: '12345678' }],
];

// A check that waits: passes once fn() is true, fails after timeout_ms.
const seen = (what, fn, timeout_ms) =>
  h.until(what, fn, timeout_ms).then(() => h.check(what, true), (e) => h.check(what, false, e.message));

// The whole page's screenshot, and the window's at the screen's two sizes (across, upright).
async function shots(page, name) {
  await h.shot(page, name);
  await h.shotSizes(page, name);
}

// Every request a page makes, for the check that none leaves the panel's origin.
const outside = [];
const mind = (page) => {
  h.watch(page);
  page.on('request', (r) => {
    if (!r.url().startsWith(chair.url)) outside.push(r.url());
  });
};

const chair = await h.startChaird('tech');
const sock = await h.connectSocket(chair.socket);
const browser = await h.launch();

try {
  // ---- the technician PIN, set over the socket (root on the socket is a technician) ----
  const set = await sock.call('tech.set_pin', { pin: PIN });
  h.check('the technician PIN is set over the socket', !set.error, JSON.stringify(set.error));

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  mind(page);

  // ---- a user: every technician page refused by the server, every technician method too ----
  for (const p of TECH_PAGES) {
    const res = await context.request.get(`${chair.url}tech/${p}.html`);
    const body = await res.text();
    h.check(`a user is refused /tech/${p}.html: 403 pointing to the login`,
      res.status() === 403 && body.includes('/login.html'), `HTTP ${res.status()}`);
  }
  const asset = await context.request.get(`${chair.url}tech/js/programs.js`);
  h.check('a user is refused the technician pages\' scripts too', asset.status() === 403,
    `HTTP ${asset.status()}`);

  await page.goto(`${chair.url}login.html`);
  for (const [method, params] of TECH_METHODS) {
    const code = await page.evaluate(async ([m, p]) => {
      const res = await fetch('/api', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params: p }) });
      const msg = await res.json();
      return msg.error ? msg.error.code : 0;
    }, [method, params]);
    h.check(`a user's ${method} is refused -32002`, code === -32002, `got ${code}`);
  }
  const installed = await sock.call('programs.list', {});
  h.check('nothing a user asked was done: no program installed',
    installed.result && installed.result.programs.length === 0);

  await shots(page, 'tech-login');
  await h.axeCheck(page, 'login');

  // ---- a wrong PIN: refused, the next try waits, and the wait grows ----
  const waits = [];
  for (let i = 1; i <= 2; i++) {
    await h.until(`the login button is free for try ${i}`,
      () => page.evaluate(() => !document.getElementById('login-btn').disabled), SOON_MS);
    await page.fill('#pin', '0000');
    // The page keeps the wait it showed in data-retry-after-s: cleared first, so that the one
    // read is this try's (the countdown's words may be over by the time they are read).
    await page.evaluate(() => document.getElementById('login-msg').removeAttribute('data-retry-after-s'));
    await page.click('#login-btn');
    // What the page shows the moment the refusal came (the wait is set with its words).
    const shown = await h.until(`wrong PIN ${i}: a wait is shown`, () => page.evaluate(() => {
      const msg = document.getElementById('login-msg');
      return msg.hasAttribute('data-retry-after-s') && {
        wait_s: Number(msg.dataset.retryAfterS), text: msg.textContent,
        held: document.getElementById('login-btn').disabled,
      };
    }), SOON_MS);
    waits.push(shown.wait_s);
    h.check(`wrong PIN ${i}: the page says it was refused and how long to wait, the button held`,
      /Wrong PIN/.test(shown.text) && /Wait \d+ s/.test(shown.text) && shown.held, shown);
    h.check(`wrong PIN ${i}: still on the login page`, new URL(page.url()).pathname === '/login.html');
  }
  h.check('the second wrong PIN shows a wait', waits[1] > 0, `waits ${waits}`);
  h.check('the wait grows from the first wrong PIN to the second', waits[1] > waits[0], `waits ${waits}`);
  await shots(page, 'tech-login-wrong');
  await h.axeCheck(page, 'login, after a wrong PIN');
  const logged = await sock.call('faults.list', {});
  const refusals = (logged.result ? logged.result.faults : []).filter((f) => f.code === 'login_refused');
  h.check('each wrong PIN is logged', refusals.length === 2, `${refusals.length} logged`);

  // ---- the right PIN once the wait is over: on to /tech/ ----
  await h.until('the wait is over',
    () => page.evaluate(() => !document.getElementById('login-btn').disabled), SOON_MS);
  await page.fill('#pin', PIN);
  await Promise.all([page.waitForURL(`${chair.url}tech/`, { timeout: SOON_MS }), page.click('#login-btn')]);
  h.check('the right PIN goes on to /tech/', new URL(page.url()).pathname === '/tech/');
  await seen('the home page shows the role technician',
    () => page.evaluate(() => document.getElementById('info-role').textContent === 'technician'), SOON_MS);
  await h.until('the chair is homed and idle', async () => {
    const r = await sock.call('server.info', {});
    return r.result && r.result.homed && r.result.chair_state === 'idle';
  }, 60000);
  await shots(page, 'tech-index');
  await h.axeCheck(page, 'tech home');

  await programs(page);
  await ioView(page);
  await jog(page);
  await faults(page);
  await config(page);

  // ---- log out: back to a user, and a page still open says its login ended ----
  const other = await context.newPage();
  mind(other);
  // The page's own refreshes are marked as polls (they do not keep the login alive).
  const refreshes = [];
  other.on('request', (r) => {
    if (r.method() !== 'POST' || !r.url().endsWith('/api')) return;
    let method = '';
    try {
      method = JSON.parse(r.postData() || '{}').method;
    } catch (e) { /* not JSON: not a call of the page's */ }
    if (method === 'io.read') refreshes.push(r.headers()['x-chair-poll'] || '');
  });
  await other.goto(`${chair.url}tech/io.html`);
  await h.until('a second tab shows the IO view',
    () => other.locator('#io-inputs [data-io]').count().then((n) => n > 0), SOON_MS);
  await h.until('the IO view refreshed by itself', () => refreshes.length >= 2, SOON_MS);
  h.check('the IO view\'s refreshes are sent as polls (X-Chair-Poll: 1)', refreshes.every((v) => v === '1'),
    refreshes.join(','));
  await page.goto(`${chair.url}tech/`);
  await Promise.all([page.waitForURL(`${chair.url}login.html`, { timeout: SOON_MS }), page.click('#logout')]);
  const after = await context.request.get(`${chair.url}tech/`);
  h.check('after log out the technician pages are refused again', after.status() === 403,
    `HTTP ${after.status()}`);
  await seen('the tab still open says the technician login ended, with the login again coming back to it',
    () => other.evaluate(() => {
      const box = document.getElementById('session-lost');
      const again = box.querySelector('a#login-again');
      return /login has ended/.test(box.textContent) && again && again.getAttribute('href') === '/login.html?next=%2Ftech%2Fio.html';
    }), SOON_MS);
  await shots(other, 'tech-login-lapsed');
  await h.axeCheck(other, 'a page whose login ended');
  await Promise.all([other.waitForURL(/\/login\.html\?next=/, { timeout: SOON_MS }), other.click('#login-again')]);
  await h.until('the login page is ready', () => other.evaluate(() => !document.getElementById('login-btn').disabled), SOON_MS);
  await other.fill('#pin', PIN);
  const back = await Promise.all([other.waitForURL(`${chair.url}tech/io.html`, { timeout: SOON_MS }), other.click('#login-btn')])
    .then(() => true, () => false);
  h.check('"Log in again" comes back to the page whose login ended', back, other.url());
  await other.close();
  h.check('no page error and no CSP violation on any page', h.pageErrors().length === 0,
    h.pageErrors().join(' | '));
  h.check('no page made a request outside the panel', outside.length === 0, outside.join(' '));
  await context.close();
} catch (e) {
  h.check(`the run went to its end (${e.message.split('\n')[0]})`, false);
} finally {
  await browser.close();
  sock.close();
  await chair.stop();
}
await h.finish();

// ---- programs: a good one by upload, a bad one pasted, the timeline, remove ----
async function programs(page) {
  await page.goto(`${chair.url}tech/programs.html`);
  await page.setInputFiles('#prog-file', { name: 'short.prog', mimeType: 'text/plain', buffer: Buffer.from(GOOD) });
  await h.until('the uploaded file is in the editor',
    () => page.evaluate((t) => document.getElementById('prog-text').value === t, GOOD), SOON_MS);
  h.check('the upload names the program after its file', (await page.inputValue('#prog-name')) === 'short');
  await page.click('#install-btn');
  await seen('the good program appears in the list',
    () => page.locator('#programs tr[data-name="short"]').count().then((n) => n === 1), SOON_MS);
  const listed = await sock.call('programs.list', {});
  h.check('the good program is installed (programs.list over the socket)',
    listed.result && listed.result.programs.some((p) => p.name === 'short'));
  h.check('installing it said so', /short installed/.test(await page.textContent('#install-msg')));

  // The bad one, pasted; the socket's own checker says which lines.
  await page.fill('#prog-name', 'bad-one');
  await page.fill('#prog-text', BAD);
  await page.click('#install-btn');
  await h.until('the checker\'s refusal is shown',
    () => page.locator('#findings li').count().then((n) => n > 0), SOON_MS);
  const ref = await sock.call('programs.install', { name: 'bad-one', text: BAD });
  const diags = ref.error && ref.error.data ? ref.error.data.diagnostics : [];
  const want = [...new Set(diags.map((d) => Number(/^bad-one:(\d+):/.exec(d)[1])))].sort((a, b) => a - b);
  const marked = await page.$$eval('#gutter .t-bad-line', (rows) => rows.map((r) => Number(r.dataset.line)));
  h.check('the checker refuses the bad program over the socket too (-32004)',
    ref.error && ref.error.code === -32004 && want.length === 2, JSON.stringify(ref.error));
  h.check('the lines marked beside the text are the checker\'s lines',
    JSON.stringify(marked) === JSON.stringify(want), `marked ${marked}, checker ${want}`);
  const lines = BAD.split('\n');
  for (const d of diags) {
    const n = Number(/^bad-one:(\d+):/.exec(d)[1]);
    const message = d.replace(/^.*?: error: /, '');
    const item = page.locator(`#findings li[data-line="${n}"]`);
    const text = (await item.count()) ? await item.first().textContent() : '';
    h.check(`line ${n} is quoted with the checker's message under it`,
      text.includes(`Line ${n}`) && text.includes(lines[n - 1]) && text.includes(message), text);
  }
  const after = await sock.call('programs.list', {});
  h.check('the bad program was not installed',
    after.result && !after.result.programs.some((p) => p.name === 'bad-one'));
  await shots(page, 'tech-programs-bad');
  await h.axeCheck(page, 'programs, with the checker\'s findings');

  // The timeline of the good one, drawn from the page's own elements.
  await page.click('button[aria-label="Timeline of short"]');
  await seen('the timeline is drawn',
    () => page.locator('#plot svg[role="img"] path, #plot svg[role="img"] polyline').count().then((n) => n > 0), SOON_MS);
  h.check('the timeline holds no script or foreign content',
    (await page.locator('#plot script, #plot foreignObject').count()) === 0);
  await shots(page, 'tech-programs-plot');
  await h.axeCheck(page, 'programs, with a timeline');

  // Remove: asked twice.
  await page.click('button[aria-label="Remove short"]');
  await page.click('button[aria-label="Yes, remove short"]');
  await seen('the removed program leaves the list',
    () => page.locator('#programs tr[data-name="short"]').count().then((n) => n === 0), SOON_MS);
  const gone = await sock.call('programs.list', {});
  h.check('the program is removed (programs.list over the socket)',
    gone.result && !gone.result.programs.some((p) => p.name === 'short'));
  await shots(page, 'tech-programs');
  await h.axeCheck(page, 'programs');

  // Markup in a name and a title is shown as text, in the list and in the timeline.
  const put = await sock.call('programs.install', { name: MARKUP_NAME, text: MARKUP_PROG });
  h.check('a program whose name and title hold markup is installed over the socket', !put.error,
    JSON.stringify(put.error));
  await page.reload();
  await seen('the name with markup is listed as its text',
    () => page.$$eval('#programs tbody th', (ths, n) => ths.some((th) => th.textContent === n), MARKUP_NAME), SOON_MS);
  h.check('the name with markup made no element', (await page.locator('#programs tbody b').count()) === 0);
  await page.click(`button[aria-label="Timeline of ${MARKUP_NAME}"]`);
  await seen('the title with markup is drawn as text in the timeline',
    () => page.$$eval('#plot svg text', (ts) => ts.some((t) => t.textContent.includes('<script>'))), SOON_MS);
  h.check('the timeline of a title with markup runs no script',
    (await page.locator('#plot script').count()) === 0 && !(await page.evaluate(() => window.markupRan)));
  await sock.call('programs.remove', { name: MARKUP_NAME });
}

// ---- the IO view shows what io.read over the socket reports ----
async function ioView(page) {
  await page.goto(`${chair.url}tech/io.html`);
  await h.until('the IO view is drawn',
    () => page.locator('#io-bus td[data-io]').count().then((n) => n > 0), SOON_MS);
  await page.click('#io-pause');
  const r = (await sock.call('io.read', {})).result;
  const shown = await page.$$eval('[data-io]', (cells) =>
    Object.fromEntries(cells.map((c) => [c.dataset.io, c.textContent.trim()])));
  const word = (v) => (v ? 'on' : 'off');
  let lineOk = true;
  let missing = [];
  for (const group of ['inputs', 'outputs']) {
    for (const [k, v] of Object.entries(r[group])) {
      if (shown[`${group}.${k}`] !== word(v)) {
        lineOk = false;
        missing.push(`${group}.${k}=${shown[`${group}.${k}`]} (socket ${v})`);
      }
    }
  }
  h.check('every GPIO line is shown as io.read reports it', lineOk, missing.join(', '));
  missing = [];
  for (const [d, regs] of Object.entries(r.drives)) {
    for (const f of ['status', 'ready', 'enabled', 'fault', 'fault_code', 'current_limit_ma']) {
      const v = regs[f];
      const want = typeof v === 'boolean' ? word(v) : String(v);
      if (!(shown[`drives.${d}.${f}`] || '').startsWith(want)) missing.push(`${d}.${f}=${shown[`drives.${d}.${f}`]} (socket ${v})`);
    }
  }
  h.check('every drive\'s status registers are shown as io.read reports them', missing.length === 0,
    missing.join(', '));
  missing = [];
  for (const [u, counters] of Object.entries(r.bus)) {
    for (const f of Object.keys(counters)) if (!(`bus.${u}.${f}` in shown)) missing.push(`${u}.${f}`);
    for (const f of ['timeouts', 'crc_errors', 'exceptions']) {
      if (shown[`bus.${u}.${f}`] !== String(counters[f])) missing.push(`${u}.${f}=${shown[`bus.${u}.${f}`]}`);
    }
  }
  h.check('every bus unit\'s counters are shown as io.read reports them', missing.length === 0,
    missing.join(', '));
  await page.click('#io-pause');
  const tick0 = Number(await page.evaluate(() => document.body.dataset.imageTick));
  await seen('the IO view refreshes by itself',
    () => page.evaluate((t) => Number(document.body.dataset.imageTick) > t, tick0), SOON_MS);
  await shots(page, 'tech-io');
  await h.axeCheck(page, 'live IO');
}

// ---- jog: outside the limits refused with the reason, inside them taken ----
async function jog(page) {
  await page.goto(`${chair.url}tech/jog.html`);
  await h.until('the axes are drawn with their limits',
    () => page.evaluate(() => /0 to 1300 mm/.test(document.getElementById('axes').textContent)), SOON_MS);
  await page.fill('#jog-y', '5000');
  await page.click('form[data-axis="y"] button[type="submit"]');
  await seen('a jog outside the limits is refused, saying why',
    () => page.evaluate(() => /refused: outside the chair's limits/.test(document.getElementById('jog-msg').textContent)), SOON_MS);
  await shots(page, 'tech-jog-refused');
  // A short way: the carriage jogs slowly (about 5 mm/s).
  await page.fill('#jog-y', String(JOG_Y_MM));
  await page.click('form[data-axis="y"] button[type="submit"]');
  await seen('a jog within the limits is taken',
    () => page.evaluate((y) => document.getElementById('jog-msg').textContent.includes(`Y moving to ${y} mm`), JOG_Y_MM), SOON_MS);
  await seen(`the carriage gets to ${JOG_Y_MM} mm (io.read over the socket)`, async () => {
    const r = await sock.call('io.read', {});
    return r.result && Math.abs(r.result.y_mm - JOG_Y_MM) < 1;
  }, 20000);
  await seen('the page shows the carriage where it is',
    () => page.evaluate((y) => Math.abs(Number(document.getElementById('now-y').textContent) - y) < 1, JOG_Y_MM), SOON_MS);
  await shots(page, 'tech-jog');
  await h.axeCheck(page, 'jog');
}

// ---- the fault log as faults.list reports it ----
async function faults(page) {
  await page.goto(`${chair.url}tech/faults.html`);
  const r = (await sock.call('faults.list', {})).result;
  await h.until('the fault log is drawn',
    () => page.locator('#log tbody tr').count().then((n) => n === r.faults.length), SOON_MS);
  const rows = await page.$$eval('#log tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
  const want = r.faults.map((f) => String(f.id)).reverse();
  h.check('the fault log shows every logged fault, newest first',
    JSON.stringify(rows) === JSON.stringify(want), `page ${rows}, socket ${want}`);
  h.check('the latched fault is as faults.list says, and acknowledge only with one latched',
    (await page.isDisabled('#ack')) === !r.latched);
  await seen('the process image is shown',
    () => page.locator('#image [data-io^="img.drives"]').count().then((n) => n > 0), SOON_MS);
  await shots(page, 'tech-faults');
  await h.axeCheck(page, 'faults');
}

// ---- the configuration as config.get reports it, read only ----
async function config(page) {
  await page.goto(`${chair.url}tech/config.html`);
  const ini = (await sock.call('config.get', {})).result.ini;
  const want = [];
  let section = '';
  for (const raw of ini.split('\n')) {
    const line = raw.trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1];
    else if (line.includes('=')) want.push([`${section}.${line.slice(0, line.indexOf('=')).trim()}`, line.slice(line.indexOf('=') + 1).trim()]);
  }
  await h.until('the configuration is drawn',
    () => page.locator('#cfg tr[data-key]').count().then((n) => n === want.length), SOON_MS);
  const shown = await page.$$eval('#cfg tr[data-key]', (trs) => trs.map((tr) => [tr.dataset.key, tr.querySelector('td').textContent]));
  h.check('every key of config.get is shown with its value',
    JSON.stringify(shown) === JSON.stringify(want), `${shown.length} shown, ${want.length} in config.get`);
  h.check('the configuration page has nothing to edit',
    (await page.locator('#cfg input, #cfg textarea, #cfg select').count()) === 0);
  await shots(page, 'tech-config');
  await h.axeCheck(page, 'configuration');
}
