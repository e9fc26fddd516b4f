// Programs: the installed list (timeline, edit, remove), and install by upload or paste with
// the checker's findings shown at their lines.
import { techCall, describe, say, el, fill, when, E, RpcError } from './common.js';
import { Editor, parseDiagnostic } from './editor.js';
import { svgFromText } from './svg.js';

const TEXT_MAX_BYTES = 60000; // programs.install's limit on text
const $ = (id) => document.getElementById(id);

const editor = new Editor($('prog-text'), $('gutter'), $('backdrop'));
const nameInput = $('prog-name');
let nameFromFile = '';

// ---- the list ----

// A row's actions: the timeline, the text into the editor, remove (asked twice).
function actions(p) {
  const cell = el('div', { class: 't-row t-actions' });
  const plot = el('button', { type: 'button', class: 't-btn t-quiet', 'aria-label': `Timeline of ${p.name}`,
    onclick: () => showPlot(p.name) }, 'Timeline');
  const edit = el('button', { type: 'button', class: 't-btn t-quiet', 'aria-label': `Edit ${p.name}`,
    onclick: () => editProgram(p.name) }, 'Edit');
  const remove = el('button', { type: 'button', class: 't-btn t-danger', 'aria-label': `Remove ${p.name}`,
    onclick: () => askRemove(cell, p.name) }, 'Remove');
  fill(cell, plot, edit, remove);
  return cell;
}

// The second step of remove: the question in the row, with yes and keep.
function askRemove(cell, name) {
  const yes = el('button', { type: 'button', class: 't-btn t-danger', 'aria-label': `Yes, remove ${name}`,
    onclick: () => removeProgram(name) }, 'Yes, remove');
  const keep = el('button', { type: 'button', class: 't-btn t-quiet', 'aria-label': `Keep ${name}`,
    onclick: () => loadList() }, 'Keep');
  fill(cell, el('span', {}, `Remove ${name}?`), yes, keep);
  yes.focus();
}

async function loadList() {
  const body = $('programs').tBodies[0];
  try {
    const r = await techCall('programs.list');
    const rows = r.programs.map((p) => el('tr', { 'data-name': p.name },
      el('th', { scope: 'row' }, p.name),
      el('td', {}, when(p.installed_s)),
      el('td', { class: 't-mono', title: p.checksum }, p.checksum.slice(0, 12) + '…'),
      el('td', {}, actions(p))));
    fill(body, rows);
    say($('list-msg'), rows.length ? '' : 'No program is installed.');
  } catch (e) {
    say($('list-msg'), describe(e), 'bad');
  }
}

async function removeProgram(name) {
  try {
    await techCall('programs.remove', { name });
    say($('list-msg'), `${name} removed.`, 'ok');
  } catch (e) {
    say($('list-msg'), `${name} not removed: ${describe(e)}`, 'bad');
  }
  await loadList();
  if ($('plot-card').dataset.name === name) closePlot();
}

async function editProgram(name) {
  try {
    const r = await techCall('programs.get', { name });
    editor.setText(r.text);
    editor.mark(new Map());
    nameInput.value = r.name;
    fill($('findings'));
    say($('install-msg'), `${name} is in the editor: change it and install it again under its name.`);
    $('prog-text').focus();
  } catch (e) {
    say($('list-msg'), describe(e), 'bad');
  }
}

// ---- the timeline ----

async function showPlot(name) {
  const card = $('plot-card');
  const fig = $('plot');
  card.hidden = false;
  card.dataset.name = name;
  $('plot-caption').textContent = `Timeline of ${name}, for the default body: loading…`;
  fill(fig);
  try {
    const r = await techCall('programs.plot', { name });
    const label = `Timeline of ${name}: carriage position along the body and pressure over time`;
    fill(fig, svgFromText(r.svg, label));
    $('plot-caption').textContent = `Timeline of ${name}, for the default body.`;
  } catch (e) {
    $('plot-caption').textContent = `No timeline for ${name}: ${describe(e)}`;
  }
  card.scrollIntoView({ block: 'start' });
}

function closePlot() {
  const card = $('plot-card');
  card.hidden = true;
  delete card.dataset.name;
  fill($('plot'));
}

// ---- install ----

// A name for the store from a file name or the program's own title.
function slug(text) {
  return text.toLowerCase().replace(/\.prog$/, '').replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '').slice(0, 64);
}

function nameToUse(text) {
  const typed = nameInput.value.trim();
  if (typed) return typed;
  const title = /^\s*program\s+"([^"]+)"/m.exec(text);
  return title ? slug(title[1]) : '';
}

// The checker's lines: marked in the editor, and each quoted with its message under it.
function showFindings(name, diagnostics, text) {
  const lines = text.split('\n');
  const marks = new Map();
  const notes = new Map();
  const items = diagnostics.map((d) => {
    const f = parseDiagnostic(name, d);
    const kind = f.kind === 'error' ? 'error' : 'warning';
    if (f.line > 0) {
      if (marks.get(f.line) !== 'error') marks.set(f.line, kind);
      notes.set(f.line, (notes.has(f.line) ? notes.get(f.line) + '\n' : '') + f.message);
    }
    const li = el('li', { class: kind === 'error' ? '' : 't-warning', 'data-line': f.line || null,
      'data-kind': kind });
    if (f.line > 0) {
      li.append(el('div', { class: 't-finding-line' },
        el('span', { class: 't-finding-no' }, `Line ${f.line}`),
        el('code', {}, lines[f.line - 1] !== undefined ? lines[f.line - 1] : '')));
    }
    const where = f.line > 0 ? `column ${f.col}: ` : '';
    li.append(el('div', { class: 't-finding-msg' },
      el('span', { class: 't-finding-text' }, `${kind === 'error' ? 'Error' : 'Warning'}, ${where}${f.message}`),
      f.line > 0
        ? el('button', { type: 'button', class: 't-btn t-quiet', onclick: () => editor.goToLine(f.line) },
          `Go to line ${f.line}`)
        : null));
    return li;
  });
  editor.mark(marks, notes);
  fill($('findings'), items);
  return [...marks.keys()].sort((a, b) => a - b);
}

async function install(ev) {
  ev.preventDefault();
  const text = editor.text();
  const box = $('install-msg');
  const name = nameToUse(text);
  if (!text.trim()) return say(box, 'The program is empty: paste it or choose a file.', 'bad');
  if (!name) {
    nameInput.focus();
    return say(box, 'Give the program a name.', 'bad');
  }
  if (new TextEncoder().encode(text).length > TEXT_MAX_BYTES) {
    return say(box, `The program is longer than ${TEXT_MAX_BYTES} bytes.`, 'bad');
  }
  nameInput.value = name;
  $('install-btn').disabled = true;
  say(box, `Checking ${name}…`);
  try {
    const r = await techCall('programs.install', { name, text });
    showFindings(name, r.diagnostics || [], text);
    say(box, `${name} installed` + (r.diagnostics && r.diagnostics.length
      ? `, with the checker's warnings below.` : '.'), 'ok');
    await loadList();
  } catch (e) {
    if (e instanceof RpcError && e.code === E.RULE && Array.isArray(e.data.diagnostics)) {
      const bad = showFindings(name, e.data.diagnostics, text);
      const at = bad.length ? ` at line${bad.length > 1 ? 's' : ''} ${bad.join(', ')}` : '';
      say(box, `The checker refused ${name}${at}; nothing was installed.`, 'bad');
    } else {
      editor.mark(new Map());
      fill($('findings'));
      say(box, `${name} not installed: ${describe(e)}`, 'bad');
    }
  } finally {
    $('install-btn').disabled = false;
  }
}

// A file chosen: its text into the editor, its name as the program's unless one was typed.
async function upload() {
  const file = $('prog-file').files[0];
  if (!file) return;
  if (file.size > TEXT_MAX_BYTES) {
    return say($('install-msg'), `${file.name} is longer than ${TEXT_MAX_BYTES} bytes.`, 'bad');
  }
  editor.setText(await file.text());
  editor.mark(new Map());
  fill($('findings'));
  if (!nameInput.value.trim() || nameInput.value === nameFromFile) {
    nameFromFile = slug(file.name);
    nameInput.value = nameFromFile;
  }
  say($('install-msg'), `${file.name} is in the editor: check and install it.`);
}

$('install').addEventListener('submit', install);
$('prog-file').addEventListener('change', upload);
$('clear-btn').addEventListener('click', () => {
  editor.setText('');
  editor.mark(new Map());
  nameInput.value = '';
  $('prog-file').value = '';
  fill($('findings'));
  say($('install-msg'), '');
});
$('plot-close').addEventListener('click', closePlot);
loadList();
