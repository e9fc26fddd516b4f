// The fault log, the fault latched now and its acknowledge, and the process image: the one
// a fault was seen in when the log keeps it (its `image`), else the image as it is now.
// Read every 2 s rather than from the event stream: a technician's page lives by its calls
// alone, and chaird closes a browser's session soon after its last stream went.
import { techCall, techPoll, pollInfo, describe, say, el, fill, when, every } from './common.js';
import { imageView } from './image.js';

const $ = (id) => document.getElementById(id);
let faults = [];

// An image as chaird keeps it: drawn like the live view (an object) or as its lines (text).
function imageOf(image) {
  return typeof image === 'string' ? el('pre', { class: 't-pre' }, image) : imageView(image, 'h3', 'img');
}

let acking = false;
let chosen = 0; // the fault whose image the technician asked for

function showImage(f) {
  fill($('image'), imageOf(f.image));
  $('image-caption').textContent = `The process image fault #${f.id} (${f.code}) was seen in.`;
}

async function showImageNow() {
  try {
    const io = await techPoll('io.read');
    const { backend, state, tick, image_tick, age_ms, ...image } = io;
    fill($('image'), imageOf(image));
    $('image-caption').textContent = `The process image now (tick ${image_tick}, the chair's state ${state}): ` +
      'the log keeps each fault\'s description, not its image.';
  } catch (e) {
    $('image-caption').textContent = `The process image could not be read: ${describe(e)}`;
  }
}

async function load() {
  try {
    // faults.list is open to any role: the role is read beside it to notice a lapsed login.
    const [r] = await Promise.all([techPoll('faults.list', { max: 100 }), pollInfo()]);
    faults = r.faults;
    const latched = $('latched');
    latched.textContent = r.latched ? r.latched : 'None: the chair has no fault latched.';
    latched.className = 't-big' + (r.latched ? ' t-alarm' : '');
    $('ack').disabled = !r.latched || acking;
    const rows = [...faults].reverse().map((f) => el('tr', { 'data-id': f.id },
      el('td', { class: 't-num' }, f.id),
      el('td', {}, when(f.when)),
      el('th', { scope: 'row', class: 't-mono' }, f.code),
      el('td', {}, f.where || '—'),
      el('td', {}, f.text),
      el('td', {}, f.image
        ? el('button', { type: 'button', class: 't-btn t-quiet', 'aria-label': `Process image of fault ${f.id}`,
          onclick: () => {
            chosen = f.id;
            showImage(f);
            $('image-card').scrollIntoView({ block: 'start' });
          } }, 'Show')
        : el('span', { class: 't-muted' }, 'not kept'))));
    fill($('log').tBodies[0], rows);
    say($('log-msg'), rows.length ? `${rows.length} fault${rows.length > 1 ? 's' : ''} logged, newest first.`
      : 'No fault is logged.');
    const withImage = faults.find((f) => f.id === chosen && f.image) ||
      [...faults].reverse().find((f) => f.image);
    if (withImage) showImage(withImage);
    else await showImageNow();
  } catch (e) {
    say($('log-msg'), describe(e), 'bad');
  }
}

// The acknowledge is answered once the chair's window for it closed: cleared, or refused with
// the cause still there.
async function ack() {
  acking = true;
  $('ack').disabled = true;
  say($('ack-msg'), 'Acknowledging…');
  try {
    await techCall('faults.ack');
    say($('ack-msg'), 'The fault is cleared.', 'ok');
  } catch (e) {
    say($('ack-msg'), `Not cleared: ${describe(e)}`, 'bad');
  }
  acking = false;
  await load();
}

$('ack').addEventListener('click', ack);
every(2000, load);
