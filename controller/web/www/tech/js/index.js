// The technician's home: what the chair is doing now, and the way to each tool.
import { pollInfo, describe, say, every, num } from './common.js';

const show = (id, text) => { document.getElementById(id).textContent = text; };

// server.info, shown field by field.
async function refresh() {
  const box = document.getElementById('info-msg');
  try {
    const r = await pollInfo();
    show('info-chair', r.chair_state);
    show('info-session', r.session_state);
    show('info-backend', r.backend);
    show('info-homed', r.homed ? 'yes' : 'no');
    show('info-role', r.role);
    show('info-overruns', num(r.rt_overruns));
    show('info-late', num(r.rt_late_max_us));
    show('info-version', r.version);
    say(box, '');
  } catch (e) {
    say(box, describe(e), 'bad');
  }
}

every(2000, refresh);
