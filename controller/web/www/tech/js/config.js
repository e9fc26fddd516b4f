// The running configuration, read only: config.get's INI as a table per section, with a
// filter by key or value.
import { techCall, describe, say, el, fill } from './common.js';
import { parseIni } from './ini.js';

const $ = (id) => document.getElementById(id);
let sections = [];

function draw() {
  const q = $('cfg-filter').value.trim().toLowerCase();
  let shown = 0;
  const parts = [];
  for (const s of sections) {
    const keys = s.keys.filter(([k, v]) => !q || `${s.name}.${k} = ${v}`.toLowerCase().includes(q));
    if (!keys.length) continue;
    shown += keys.length;
    const id = `cfg-${s.name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    parts.push(el('section', { id, 'aria-labelledby': `${id}-h` },
      el('h2', { id: `${id}-h` }, `[${s.name}]`),
      el('table', { class: 't-table' },
        el('thead', { class: 't-visually-hidden' }, el('tr', {},
          el('th', { scope: 'col' }, 'key'), el('th', { scope: 'col' }, 'value'))),
        el('tbody', {}, keys.map(([k, v]) => el('tr', { 'data-key': `${s.name}.${k}` },
          el('th', { scope: 'row' }, k), el('td', {}, v)))))));
  }
  fill($('cfg'), parts);
  const total = sections.reduce((n, s) => n + s.keys.length, 0);
  $('cfg-count').textContent = q ? `${shown} of ${total} keys match.` : `${total} keys in ${sections.length} sections.`;
}

async function load() {
  try {
    const r = await techCall('config.get');
    sections = parseIni(r.ini);
    fill($('cfg-toc'), sections.map((s) => el('li', {},
      el('a', { href: `#cfg-${s.name.replace(/[^A-Za-z0-9_-]/g, '-')}` }, s.name))));
    draw();
  } catch (e) {
    say($('cfg-msg'), describe(e), 'bad');
  }
}

$('cfg-filter').addEventListener('input', draw);
load();
