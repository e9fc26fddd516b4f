// Choose a profile or add one. A profile with a PIN asks for it once (checked with
// users.get); the page keeps it in memory for the calls that need it.

import { $, h, fill } from './dom.js';
import { visit, resetVisit } from './state.js';
import * as consult from './consult.js';

let ctx;
let pending = null; // the profile waiting for its PIN

export function init(c) {
  ctx = c;
  $('add-form').addEventListener('submit', onAdd);
  $('pin-form').addEventListener('submit', onPin);
  $('pin-cancel').addEventListener('click', () => {
    pending = null;
    $('pin-form').hidden = true;
  });
}

export async function enter(c) {
  ctx = c || ctx;
  resetVisit();
  ctx.setUser(null);
  pending = null;
  $('pin-form').hidden = true;
  ctx.show('profiles');
  try {
    const { users } = await ctx.rpc('users.list');
    fill($('profile-list'), users.map((u) => h('div', { role: 'listitem' },
      h('button', { type: 'button', class: 'profile', 'data-user': u.name,
        on: { click: () => choose(u) } }, u.name, u.has_pin ? h('span', { class: 'tag', text: 'PIN' }) : null))));
    $('profiles-none').hidden = users.length > 0;
  } catch (e) {
    ctx.alertError(e, 'Reading the profiles');
  }
}

function choose(u) {
  if (u.has_pin) {
    pending = u.name;
    $('pin-label').textContent = `PIN for ${u.name}`;
    $('pin-input').value = '';
    $('pin-form').hidden = false;
    $('pin-input').focus();
    return;
  }
  start(u.name, null);
}

async function onPin(ev) {
  ev.preventDefault();
  const pin = $('pin-input').value;
  try {
    await ctx.rpc('users.get', { name: pending, pin });
    start(pending, pin);
  } catch (e) {
    ctx.alertError(e, 'That PIN');
  }
}

async function onAdd(ev) {
  ev.preventDefault();
  const name = $('add-name').value.trim();
  const height = parseInt($('add-height').value, 10);
  const pin = $('add-pin').value;
  const params = { name };
  if (height) params.height_cm = height;
  if (pin) params.pin = pin;
  try {
    await ctx.rpc('users.create', params);
    $('add-form').reset();
    start(name, pin || null);
  } catch (e) {
    ctx.alertError(e, 'Adding the profile');
  }
}

function start(name, pin) {
  resetVisit();
  visit.pin = pin;
  ctx.setUser(name);
  consult.enter(ctx);
}
