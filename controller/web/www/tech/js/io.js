// The live IO view: io.read about every second, drawn as it came (every GPIO line, each
// drive's status word and registers, the IO module, each bus unit's counters).
import { techPoll, describe, say, fill, every, num } from './common.js';
import { lines, table, scalars, alarms } from './image.js';

const $ = (id) => document.getElementById(id);
let paused = false;
let busy = false;

function draw(r) {
  fill($('io-summary'), lines('io', scalars(r), alarms.loop));
  fill($('io-inputs'), lines('inputs', r.inputs));
  fill($('io-outputs'), lines('outputs', r.outputs));
  fill($('io-drives'), table('drives', 'Each drive\'s status word, its bits and registers', r.drives, alarms.drive));
  fill($('io-module'), lines('io_module', r.io_module));
  fill($('io-bus'), table('bus', 'Each bus unit\'s counters', r.bus, alarms.bus));
  $('io-when').textContent = `Process image of tick ${r.image_tick}, ${num(r.age_ms)} ms old, ` +
    `read at ${new Date().toLocaleTimeString()}` + (paused ? ' (refresh paused)' : '');
  document.body.dataset.imageTick = String(r.image_tick);
}

async function refresh() {
  if (paused || busy) return;
  busy = true;
  try {
    draw(await techPoll('io.read'));
    say($('io-msg'), '');
  } catch (e) {
    say($('io-msg'), `The process image could not be read: ${describe(e)}`, 'bad');
  } finally {
    busy = false;
  }
}

$('io-pause').addEventListener('click', () => {
  paused = !paused;
  const b = $('io-pause');
  b.setAttribute('aria-pressed', String(paused));
  b.textContent = paused ? 'Resume refresh' : 'Pause refresh';
  if (!paused) refresh();
});
every(1000, refresh);
