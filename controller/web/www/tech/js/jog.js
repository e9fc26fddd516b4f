// Jog: move one axis to a position within its limits while the chair is idle and homed.
// The limits come from the running configuration; chaird checks them again and its
// refusals (outside the limits, not idle, not homed) are shown as it gave them.
import { techCall, techPoll, pollInfo, describe, say, el, fill, every, num } from './common.js';
import { parseIni, iniValue } from './ini.js';

const $ = (id) => document.getElementById(id);

const AXES = [
  { axis: 'y', title: 'Y: carriage along the back', hint: '0 is the top of the track', pos: 'y_mm' },
  { axis: 'z', title: 'Z: roller depth', hint: '0 is retracted', pos: 'z_mm' },
  { axis: 'w', title: 'W: roller width', hint: 'the distance between the rollers', pos: 'w_mm' },
];
const limits = {};

function axisCard(a) {
  const lim = limits[a.axis];
  const range = lim ? `${lim.min} to ${lim.max} mm` : 'limits unknown';
  const input = el('input', { type: 'number', id: `jog-${a.axis}`, step: 'any', inputmode: 'decimal',
    min: lim ? lim.min : null, max: lim ? lim.max : null, 'aria-describedby': `jog-${a.axis}-range` });
  const form = el('form', { 'data-axis': a.axis, novalidate: true },
    el('fieldset', {},
      el('legend', {}, a.title),
      el('p', {}, 'Now ', el('span', { class: 't-big', id: `now-${a.axis}` }, '…'), ' mm'),
      el('div', { class: 't-row' },
        el('div', { class: 't-field' },
          el('label', { for: `jog-${a.axis}` }, 'Target, mm'), input,
          el('span', { class: 't-hint', id: `jog-${a.axis}-range` }, `${range}; ${a.hint}`)),
        el('button', { type: 'submit', class: 't-btn' }, `Move ${a.axis.toUpperCase()}`))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    jog(a.axis, input);
  });
  return form;
}

async function jog(axis, input) {
  const box = $('jog-msg');
  const target = Number(input.value);
  if (input.value.trim() === '' || !isFinite(target)) {
    input.focus();
    return say(box, `Give ${axis.toUpperCase()} a target in mm.`, 'bad');
  }
  // Out of the limits is sent all the same: the chair's own refusal is the one that counts.
  try {
    const r = await techCall('jog', { axis, target });
    say(box, `${axis.toUpperCase()} moving to ${num(r.target)} mm (command ${r.seq}).`, 'ok');
  } catch (e) {
    say(box, `${axis.toUpperCase()} to ${num(target)} mm refused: ${describe(e)}`, 'bad');
  }
}

async function loadLimits() {
  try {
    const r = await techCall('config.get');
    const ini = parseIni(r.ini);
    for (const a of AXES) {
      const min = Number(iniValue(ini, `axis.${a.axis}`, 'min_mm') ?? 0);
      const max = Number(iniValue(ini, `axis.${a.axis}`, 'max_mm'));
      if (isFinite(min) && isFinite(max)) limits[a.axis] = { min, max };
    }
  } catch (e) {
    say($('jog-msg'), `The axes' limits could not be read: ${describe(e)}`, 'warn');
  }
  fill($('axes'), AXES.map(axisCard));
}

// The chair's state and where each axis is, about every second.
async function refresh() {
  const box = $('jog-state');
  try {
    const [info, io] = await Promise.all([pollInfo(), techPoll('io.read')]);
    for (const a of AXES) {
      const now = $(`now-${a.axis}`);
      if (now) now.textContent = num(io[a.pos]);
    }
    const ready = info.chair_state === 'idle' && info.homed;
    say(box, ready ? 'The chair is idle and homed: it can be jogged.'
      : `The chair is ${info.chair_state}${info.homed ? '' : ', not homed'}: a jog will be refused.`,
    ready ? 'ok' : 'warn');
  } catch (e) {
    say(box, describe(e), 'bad');
  }
}

await loadLimits();
every(1000, refresh);
