// A whole visit on the end user's panel, clicked through in headless Chromium for a new
// profile: profile, consultation on the body outline, the "see a professional first" screen
// for another person, a scan stopped from the dock and one to its end with a nudge of the
// shoulder line, plan, the live session with
// stronger, softer, "too much", a reload in the middle and stop, the pain after and the
// summary with its trend. What the page shows is checked against what chaird reports on its
// socket at the same moment; axe-core on every screen; a screenshot of every screen, at the
// chair's screen size (1280x800) and upright (800x1280), with nothing left under the dock.

import { startChaird, Rpc, launchBrowser, newPage, shot, shotSizes, axe, check, run, waitFor, freePort } from './lib.mjs';

// How far the page and the socket may be apart: both get the same 20 Hz samples, the page
// over the web's event stream, so between the two reads at most a few samples pass.
const SAME_MOMENT_S = 0.5;   // chair's clock between the page's sample and the socket's latest
const ROLLER_MM_S = 80;      // the carriage's top speed (CHAIR.md)
const REMAINING_S = 2.5;     // notify.session comes at 1 Hz
const PRESSING_N = 1;        // a force the roller truly presses with (warm-up starts at 0 N)

let chaird;
let rpc;
let browser;
let page;

const showing = () => page.evaluate(() => document.body.dataset.showing);
const onScreen = (name, timeout_ms = 15000) =>
  waitFor(async () => (await showing()) === name, { timeout_ms, what: `the ${name} screen` });

// Every visible control of the page, buttons, chips, fields and the body's areas, that is
// smaller than 48 px either way.
const smallTargets = () => page.evaluate(() => {
  const small = [];
  for (const el of document.querySelectorAll('button, .chip, [role="button"], input:not([type="checkbox"]):not([type="radio"]), select')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue; // not shown
    if (r.width < 48 || r.height < 48) small.push(`${el.id || el.dataset.area || el.textContent.trim()}: ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return small;
});

// What of the shown screen is under the dock (fixed to the bottom of the window) as the
// screen opens, not scrolled: a screen with the dock must fit above it whole, so that the
// person in the chair sees all of it with the one touch at hand.
// guided: measured with "there" and "eased" shown too (a trigger point), put back after.
const underDock = (guided) => page.evaluate((guided) => {
  const dock = document.getElementById('dock');
  if (dock.hidden) return [];
  const extra = guided ? ['btn-there', 'btn-eased'].map((id) => document.getElementById(id)).filter((b) => b.hidden) : [];
  for (const b of extra) b.hidden = false;
  window.scrollTo(0, 0);
  const top = dock.getBoundingClientRect().top;
  const sec = document.querySelector('section[data-screen]:not([hidden])');
  const under = [];
  for (const el of sec.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.bottom > top + 0.5) under.push(`${el.id || el.tagName.toLowerCase()}: ${Math.round(r.bottom)} > ${Math.round(top)}`);
  }
  for (const b of extra) b.hidden = true;
  return under;
}, !!guided);

// The window's screenshot at each size, and the room above the dock at each.
const sizes = (name) => shotSizes(page, name, async (size) => {
  const under = await underDock();
  check(`${name} at ${size.width}x${size.height}: nothing under the dock`, under.length === 0, under.slice(0, 5).join(', '));
  if (name !== 'session') return;
  const guided = await underDock(true);
  check(`${name} at ${size.width}x${size.height}, with "there" and "eased": nothing under the dock`, guided.length === 0, guided.slice(0, 5).join(', '));
});

async function screen(name) {
  await shot(page, name);
  await sizes(name);
  const bad = await axe(page);
  check(`axe: no serious or critical violation on the ${name} screen`, bad.length === 0, bad.join('\n'));
  const small = await smallTargets();
  check(`every control on the ${name} screen is 48 px or more`, small.length === 0, small.join(', '));
}

// The live readouts as the page has them now.
const liveNow = () => page.evaluate(() => {
  const d = document.getElementById('live').dataset;
  return {
    t_s: Number(d.tS), y_mm: Number(d.yMm), force_n: Number(d.forceN), remaining_s: Number(d.remainingS),
    y_text: document.getElementById('live-y').textContent, force_text: document.getElementById('live-force').textContent,
    phase: document.getElementById('live-phase').dataset.phase, phase_text: document.getElementById('live-phase').textContent,
    state: d.state,
  };
});

// The page's position, force and phase against chaird's at the same moment, at a moment
// the roller truly presses (a force of 0 N shown for one pressing would not be caught).
async function compareLive(when) {
  await waitFor(async () => (await liveNow()).force_n > PRESSING_N,
    { timeout_ms: 20000, what: `a motion sample pressing more than ${PRESSING_N} N on the page` });
  const shown = await liveNow();
  const latest = rpc.motion[rpc.motion.length - 1];
  const same = rpc.motionAt(shown.t_s);
  const status = await rpc.call('session.status');
  check(`${when}: the page's motion sample is chaird's latest within ${SAME_MOMENT_S} s`,
    latest && Math.abs(latest.t_s - shown.t_s) <= SAME_MOMENT_S, { page: shown.t_s, socket: latest && latest.t_s });
  check(`${when}: position and force on the page are chaird's for that sample`,
    same && same.y_mm === shown.y_mm && same.force_n === shown.force_n, { page: shown, socket: same });
  const dt = latest ? Math.abs(latest.t_s - shown.t_s) : 1;
  check(`${when}: the position shown is chaird's within the roller's travel in that time`,
    latest && Math.abs(latest.y_mm - shown.y_mm) <= ROLLER_MM_S * dt + 1, { page: shown.y_mm, socket: latest && latest.y_mm, dt });
  check(`${when}: the page says the position in mm and the force in N as sent`,
    shown.y_text === `${Math.round(shown.y_mm)} mm` && shown.force_text === `${shown.force_n.toFixed(1)} N`, shown);
  // A phase may change between the two reads: the same within a second.
  const phaseOk = await waitFor(async () => {
    const p = await liveNow();
    const s = rpc.last['notify.session'];
    return s && p.phase === s.phase && p.phase_text === s.phase;
  }, { timeout_ms: 2000, what: 'the same phase' }).catch(() => false);
  check(`${when}: the phase on the page is chaird's`, phaseOk, { page: (await liveNow()).phase, socket: rpc.last['notify.session'] });
  check(`${when}: the time left is chaird's within ${REMAINING_S} s`,
    Math.abs(status.remaining_s - shown.remaining_s) <= REMAINING_S, { page: shown.remaining_s, socket: status.remaining_s });
}

// Press a session button and wait for the page to say what the chair did.
async function press(selector, what) {
  const before = await page.textContent('#live-message');
  await page.click(selector);
  const said = await waitFor(async () => {
    const t = await page.textContent('#live-message');
    return t && t !== before ? t : null;
  }, { what: `an answer to ${what}` }).catch(() => '');
  check(`${what}: the page says what the chair did`, said.length > 0, said);
  return said;
}

await run('visit', [
  ['chaird, the socket and the browser start', async () => {
    // A fixed port, so that the page finds chaird again after the restart at the end.
    chaird = await startChaird({ port: await freePort() });
    rpc = await Rpc.connect(chaird.socket);
    await rpc.subscribe(['state', 'motion', 'session', 'scan']);
    browser = await launchBrowser();
    page = await newPage(browser, chaird.url.replace(/\/$/, ''));
    await page.goto(chaird.url);
    await onScreen('profiles');
    await waitFor(async () => (await page.textContent('#conn')) === 'connected', { what: 'the event stream' });
    check('the page connects and offers the profiles', true);
    await screen('profiles');
  }],

  ['a condition that needs a professional first', async () => {
    await page.fill('#add-name', 'dee');
    await page.fill('#add-pin', '4711');
    await page.click('#add-submit');
    await onScreen('consult');
    await page.click('label.chip:has(input[value="dvt"])');
    await page.click('#consult-submit');
    await onScreen('professional');
    const said = await page.textContent('#pro-reason');
    check('blood clots: the page says to see a professional first, naming why', /physician/i.test(said), said);
    await screen('professional');
    await page.click('#pro-done');
    await onScreen('profiles');
  }],

  ['the consultation on the body outline', async () => {
    await page.fill('#add-name', 'tess');
    await page.fill('#add-height', '170');
    await page.click('#add-submit');
    await onScreen('consult');
    check('the new profile is chaird\'s', (await rpc.call('users.list')).users.some((u) => u.name === 'tess' && u.height_cm === 170));
    await page.click('#back-lower-back');
    await page.click('#pain-list li[data-area="lower-back"] [data-act="more"]');
    await page.click('#front-shoulders');
    await page.click('#pain-list li[data-area="shoulders"] [data-act="less"]');
    const pressed = await page.getAttribute('#back-lower-back', 'aria-pressed');
    const scores = await page.$$eval('#pain-list output', (o) => o.map((x) => `${x.id}=${x.textContent}`));
    check('tapped areas are marked and rated', pressed === 'true' && scores.join() === 'pain-score-lower-back=6,pain-score-shoulders=4', scores);
    await page.click('label.chip:has(input[value="back-pain"])');
    await page.click('label.chip:has(input[name="duration"][value="5"])');
    await screen('consult');
    await page.click('#consult-submit');
    await onScreen('scan');
    const st = await rpc.call('session.status');
    check('chaird has the consultation', st.state === 'consulted' && st.user === 'tess', st);
  }],

  ['a scan stopped from the dock', async () => {
    await screen('scan');
    await page.click('#scan-start');
    await waitFor(async () => Number(await page.getAttribute('#scan-progress', 'data-fraction')) > 0.05,
      { timeout_ms: 40000, every_ms: 100, what: 'the scan under way' });
    const stop = await page.$eval('#btn-scan-stop', (b) => [getComputedStyle(b).backgroundColor, b.offsetParent !== null, b.textContent]);
    check('during the scan the dock shows "Stop", red', stop[1] && stop[0] === 'rgb(176, 0, 32)' && stop[2] === 'Stop', stop);
    check('and not "too much" (no session yet)', !(await page.isVisible('#btn-too-much')));
    check('chaird is scanning', (await rpc.call('session.status')).state === 'scanning');
    await screen('scan-under-way');
    await page.click('#btn-scan-stop');
    await waitFor(() => page.isVisible('#scan-manual'), { what: 'the page after the stop' });
    const said = await page.textContent('#scan-status');
    check('the page says the scan was stopped', /stopped/.test(said), said);
    const st = await rpc.call('session.status');
    check('chaird ended the scan: the visit is back to consulted', st.state === 'consulted', st);
    const info = await waitFor(async () => {
      const i = await rpc.call('server.info');
      return i.chair_state !== 'scanning' ? i : null;
    }, { what: 'the chair to let go' });
    check('the chair let go (no longer scanning)', info.chair_state !== 'scanning', info);
    check('the page offers the scan again and the height instead, the dock gone',
      (await page.isVisible('#scan-start')) && (await page.textContent('#scan-start')) === 'Start the scan again' &&
      (await page.isVisible('#scan-height')) && !(await page.isVisible('#dock')));
    await screen('scan-stopped');
  }],

  ['the scan again, to its end, and a nudge', async () => {
    await page.click('#scan-start');
    const mid = await waitFor(async () => {
      const f = Number(await page.getAttribute('#scan-progress', 'data-fraction'));
      return f > 0.3 && f < 0.9 ? f : null;
    }, { timeout_ms: 40000, every_ms: 100, what: 'the scan under way' });
    check('the scan\'s progress moves on the page', mid > 0);
    await shot(page, 'scan-progress');
    await waitFor(() => page.isVisible('#scan-adjust'), { timeout_ms: 40000, what: 'the scan\'s end' });
    const shown = Number(await page.getAttribute('#scan-shoulder', 'data-mm'));
    const u = (await rpc.call('users.list')).users.find((x) => x.name === 'tess');
    // The profile keeps it in whole mm.
    check('the shoulder line shown is the one chaird keeps', Math.abs(u.shoulder_y_mm - shown) <= 0.5, { page: shown, chaird: u.shoulder_y_mm });
    await page.click('#scan-down');
    await waitFor(async () => Number(await page.getAttribute('#scan-shoulder', 'data-mm')) > shown, { what: 'the nudge' });
    const u2 = (await rpc.call('users.list')).users.find((x) => x.name === 'tess');
    check('"lower" moves the shoulder line 10 mm down, kept by chaird', u2.shoulder_adjust_mm === 10, u2);
    await screen('scan-done');
  }],

  ['the plan in words', async () => {
    await page.click('#scan-next');
    await onScreen('plan');
    await waitFor(() => page.isEnabled('#plan-start'), { what: 'the plan' });
    const phases = await page.$$eval('#plan-phases li', (l) => l.map((x) => x.dataset.phase));
    check('the plan lists its phases', phases.length >= 3 && phases.includes('Lower back'), phases);
    await screen('plan');
  }],

  ['the live session', async () => {
    await page.click('#plan-start');
    await onScreen('session');
    await waitFor(async () => (await rpc.call('session.status')).state === 'running', { timeout_ms: 20000, what: 'the session running' });
    const red = await page.$eval('#btn-too-much', (b) => [getComputedStyle(b).backgroundColor, b.offsetParent !== null]);
    check('"too much" is on the screen, red', red[1] && red[0] === 'rgb(176, 0, 32)', red);
    await compareLive('running');
    await screen('session');
    await press('#btn-stronger', 'stronger');
    await press('#btn-softer', 'softer');
    await press('#btn-too-much', 'too much');
  }],

  ['a reload in the middle of the session', async () => {
    await page.reload();
    await onScreen('session');
    await waitFor(async () => (await liveNow()).t_s > 0, { what: 'motion after the reload' });
    const st = await rpc.call('session.status');
    check('after a reload the page finds the session, still running', st.state === 'running', st);
    await compareLive('after the reload');
    await shot(page, 'session-reloaded');
  }],

  ['stop, the pain after and the summary', async () => {
    await page.click('#btn-stop');
    await onScreen('after', 20000);
    const st = await rpc.call('session.status');
    check('stop: the page asks for the pain after when chaird does', st.state === 'awaiting_pain_after', st);
    const areas = await page.$$eval('#after-list li', (l) => l.map((x) => x.dataset.area));
    check('the pain after asks for the consultation\'s areas', [...areas].sort().join() === 'lower-back,shoulders', areas);
    for (let i = 0; i < 3; i++) await page.click('#after-list li[data-area="lower-back"] [data-act="less"]');
    await screen('after');
    await page.click('#after-submit');
    await onScreen('summary');
    await waitFor(() => page.$('#trend-chart'), { what: 'the trend chart' });
    const ended = await page.getAttribute('#summary-ended', 'data-ended');
    const fb = await page.textContent('#summary-feedback');
    const pain = await page.$$eval('#summary-pain tbody tr', (r) => r.map((x) => x.dataset.area + ':' + [...x.cells].slice(1).map((c) => c.textContent).join('>')));
    const advice = await page.$$eval('#summary-advice li', (l) => l.length);
    const hist = await rpc.call('history.list', { user: 'tess' });
    const stored = hist.sessions[0];
    check('the summary says it was stopped, as chaird stored it', ended === 'stopped' && stored.ended === 'stopped', { ended, stored: stored.ended });
    check('the summary counts softer and too much', /softer 1×/.test(fb) && /"too much" 1×/.test(fb), fb);
    check('the pain before and after are the ones stored', pain.includes('lower-back:6>3') && pain.includes('shoulders:4>4') &&
      stored.pain.some((p) => p.area === 'lower-back' && p.before === 6 && p.after === 3), { pain, stored: stored.pain });
    check('care advice is shown', advice > 0, advice);
    const line = await page.$$eval('#trend-chart g[data-area]', (g) => g.map((x) => x.dataset.area));
    check('the pain trend is drawn for each area', line.includes('lower-back') && line.includes('shoulders'), line);
    await screen('summary');
  }],

  ['chaird restarts', async () => {
    await chaird.restart();
    rpc = await Rpc.connect(chaird.socket);
    await waitFor(async () => (await page.textContent('#conn')) === 'connected' &&
      (await page.evaluate(() => document.body.dataset.conn)) === 'open', { timeout_ms: 20000, what: 'the page to reconnect' });
    check('after chaird restarted the page is connected again', true);
    await page.click('#summary-done');
    await onScreen('profiles');
    const names = await waitFor(async () => {
      const n = await page.$$eval('#profile-list button', (b) => b.map((x) => x.dataset.user));
      return n.length ? n : null;
    }, { what: 'the profiles' }).catch(() => []);
    check('and lists the profiles chaird keeps', names.includes('tess') && names.includes('dee'), names);
  }],

  ['a profile with a PIN', async () => {
    await page.click('#profile-list button[data-user="dee"]');
    await waitFor(() => page.isVisible('#pin-form'), { what: 'the PIN form' });
    await page.fill('#pin-input', '0000');
    await page.click('#pin-form button[type="submit"]');
    await waitFor(() => page.isVisible('#alert'), { what: 'the refusal' });
    check('a wrong PIN is refused, and the page stays', (await showing()) === 'profiles', await page.textContent('#alert'));
    await screen('profiles-pin');
    await page.fill('#pin-input', '4711');
    await page.click('#pin-form button[type="submit"]');
    await onScreen('consult');
    check('the right PIN opens the consultation', (await page.textContent('#who')).includes('dee'));
  }],

  ['nothing went wrong on the page', async () => {
    check('no script error and no CSP refusal on the page', page.problems.length === 0, page.problems.join('\n'));
    check('no request left the panel\'s origin', page.outside.length === 0, page.outside.join('\n'));
  }],
], {
  onFailure: async () => {
    if (page) await shot(page, 'visit-failed');
    if (chaird) console.log(chaird.log().split('\n').slice(-15).join('\n'));
  },
});
