// The process image drawn for people, shared by the live IO view and the fault log: lines
// as on/off marks (a word, not a colour), a drive's or a bus unit's registers as a table
// with a column per unit, and whatever needs a look (a fault bit, an error counter above 0)
// marked. Each value carries data-io="group.name" so a test can read it back.
import { el, num } from './common.js';

export const ERROR_COUNTERS = new Set(['timeouts', 'crc_errors', 'exceptions', 'exception',
  'last_exception']);

// A value as words: true/false as on/off marks, arrays joined, alarm marked.
export function value(v, alarm) {
  if (typeof v === 'boolean') {
    return el('span', { class: v ? (alarm ? 't-alarm' : 't-on') : 't-off' }, v ? (alarm ? 'ON' : 'on') : 'off');
  }
  if (Array.isArray(v)) return v.map((x) => num(x)).join(', ');
  if (alarm && typeof v === 'number' && v !== 0) return el('span', { class: 't-alarm' }, num(v, 3));
  return num(v, 3);
}

// A status or control word also in hex, where its bits read best.
function word(field, v, alarm) {
  if ((field === 'status' || field === 'control') && Number.isInteger(v)) {
    return `${v} (0x${v.toString(16).padStart(4, '0')})`;
  }
  return value(v, alarm);
}

// A definition list's rows of name → value.
export function lines(group, obj, alarmOf) {
  return Object.entries(obj || {}).map(([k, v]) => el('div', {},
    el('dt', {}, k), el('dd', { 'data-io': `${group}.${k}` }, value(v, alarmOf && alarmOf(k, v)))));
}

// A table's parts with a row per field and a column per unit.
export function table(group, caption, units, alarm) {
  const names = Object.keys(units || {});
  const fields = [];
  for (const u of names) for (const f of Object.keys(units[u])) if (!fields.includes(f)) fields.push(f);
  return [el('caption', { class: 't-visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'register'),
      names.map((u) => el('th', { scope: 'col', class: 't-num t-mono' }, u)))),
    el('tbody', {}, fields.map((f) => el('tr', {}, el('th', { scope: 'row', class: 't-mono' }, f),
      names.map((u) => el('td', { class: 't-num', 'data-io': `${group}.${u}.${f}` },
        word(f, units[u][f], alarm(f, units[u][f])))))))];
}

export const alarms = {
  loop: (k, v) => (k === 'io_errors' || k === 'overruns' || k === 'snapshots_dropped') && v !== 0,
  drive: (f, v) => (f === 'fault' && v === true) || (f === 'fault_code' && v !== 0),
  bus: (f, v) => ERROR_COUNTERS.has(f) && v !== 0,
};

// The scalars of an image (positions, counters), without its groups.
export function scalars(image) {
  const out = {};
  for (const [k, v] of Object.entries(image || {})) if (typeof v !== 'object' || v === null) out[k] = v;
  return out;
}

// A whole image under headings of level h (the fault log's), each table in a region that
// scrolls on a narrow screen; idPrefix keeps the headings' ids apart.
export function imageView(image, h, idPrefix) {
  const part = (key, title, body) => {
    const id = `${idPrefix}-${key}`;
    return el('section', { 'aria-labelledby': id }, el(h, { id }, title), body(id));
  };
  const out = [part('loop', 'Chair and loop', () => el('dl', { class: 't-lines' },
    lines(`${idPrefix}.io`, scalars(image), alarms.loop)))];
  if (image.inputs) out.push(part('in', 'Inputs', () => el('dl', { class: 't-lines' }, lines(`${idPrefix}.inputs`, image.inputs))));
  if (image.outputs) out.push(part('out', 'Outputs', () => el('dl', { class: 't-lines' }, lines(`${idPrefix}.outputs`, image.outputs))));
  if (image.drives) {
    out.push(part('drives', 'Drives', () => el('div', { class: 't-scroll', tabindex: 0, role: 'region', 'aria-label': 'Table of the drives\' registers' },
      el('table', { class: 't-table' }, table(`${idPrefix}.drives`, 'Each drive\'s registers', image.drives, alarms.drive)))));
  }
  if (image.io_module) out.push(part('module', 'IO module', () => el('dl', { class: 't-lines' }, lines(`${idPrefix}.io_module`, image.io_module))));
  if (image.bus) {
    out.push(part('bus', 'Bus counters', () => el('div', { class: 't-scroll', tabindex: 0, role: 'region', 'aria-label': 'Table of the bus counters' },
      el('table', { class: 't-table' }, table(`${idPrefix}.bus`, 'Each bus unit\'s counters', image.bus, alarms.bus)))));
  }
  return out;
}
