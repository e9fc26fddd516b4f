// The technician's login: auth.login with the PIN raises this browser's session (chaird
// sets its cookie), then on to /tech/ (or back to the technician page that sent here, ?next=). A wrong PIN is refused and the next try slowed:
// the wait chaird gives (retry_after_s) is counted down and the button held until then.
import { call, E, RpcError } from './api.js';

const form = document.getElementById('login');
const pin = document.getElementById('pin');
const button = document.getElementById('login-btn');
const msg = document.getElementById('login-msg');
let waitTimer = 0;

// Where to go once logged in: a technician page named by ?next= (a page whose login
// lapsed), never anywhere else.
function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '';
  return /^\/tech\/([a-z]+\.html)?$/.test(next) ? next : '/tech/';
}

function say(text, kind) {
  msg.textContent = text;
  msg.dataset.kind = kind || '';
  msg.className = 'message' + (text && kind && kind !== 'ok' ? ` notice ${kind === 'wait' ? 'warn' : 'bad'}` : '');
}

// Hold the button for wait_s seconds, saying how long is left.
function holdFor(message, wait_s) {
  clearInterval(waitTimer);
  let left = Math.ceil(wait_s);
  const tell = () => say(`${message} Wait ${left} s before the next try.`, 'wait');
  button.disabled = true;
  msg.dataset.retryAfterS = String(left);
  tell();
  waitTimer = setInterval(() => {
    left -= 1;
    if (left > 0) return tell();
    clearInterval(waitTimer);
    button.disabled = false;
    say(`${message} You may try again.`, 'bad');
    pin.focus();
  }, 1000);
}

async function login(ev) {
  ev.preventDefault();
  if (button.disabled) return;
  if (!pin.value) {
    pin.focus();
    return say('Enter the technician PIN.', 'bad');
  }
  button.disabled = true;
  say('Checking…', '');
  try {
    await call('auth.login', { pin: pin.value });
    say('Logged in.', 'ok');
    location.assign(nextPage());
    return;
  } catch (e) {
    pin.value = '';
    pin.focus();
    button.disabled = false;
    if (e instanceof RpcError && e.code === E.AUTH) {
      const wait_s = Number(e.data.retry_after_s) || 0;
      const text = 'Wrong PIN, or too many tries.';
      if (wait_s > 0) holdFor(text, wait_s);
      else say(`${text} Try again.`, 'bad');
    } else if (e instanceof RpcError && e.code === E.STATE && e.data.state === 'no_pin') {
      say('This chair has no technician PIN yet: set one with chairctl tech set-pin.', 'bad');
    } else if (e instanceof RpcError && e.code === E.NETWORK) {
      say('The chair does not answer. Try again in a moment.', 'bad');
    } else {
      say(`Not logged in: ${e.message}.`, 'bad');
    }
  }
}

// Already a technician (a session still alive): say so and offer the way in.
async function whoAmI() {
  try {
    const info = await call('server.info');
    document.getElementById('already').hidden = info.role !== 'technician';
  } catch (e) {
    // The form still works once the chair answers.
  }
}

form.addEventListener('submit', login);
whoAmI();
