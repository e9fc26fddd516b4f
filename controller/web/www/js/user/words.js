// The names PANEL.md uses (areas, conditions, goals, techniques) said in words for people.

export const AREAS = [
  ['neck', 'Neck'], ['shoulders', 'Shoulders'], ['upper-back', 'Upper back'], ['mid-back', 'Middle of the back'],
  ['lower-back', 'Lower back'], ['sacrum', 'Base of the spine'], ['glutes', 'Buttocks'], ['thighs', 'Thighs'],
  ['arms', 'Arms'], ['calves', 'Calves and shins'], ['feet', 'Feet'],
];
const AREA_NAME = Object.fromEntries(AREAS);
export const areaName = (id) => AREA_NAME[id] || id || '';

// Conditions; `area` ones ask where and how many weeks ago.
export const CONDITIONS = [
  ['back-pain', 'Back pain that keeps coming back'], ['arthritis', 'Arthritis'], ['fibromyalgia', 'Fibromyalgia'],
  ['injury', 'An injury', 'area'], ['surgery', 'An operation', 'area'], ['skin', 'A skin problem', 'area'],
  ['osteoporosis', 'Osteoporosis (brittle bones)'], ['pregnancy', 'Pregnancy'], ['dvt', 'Blood clots or DVT'],
  ['implant', 'A pacemaker or other implant'], ['cancer', 'Cancer'], ['fever', 'Fever or feeling unwell'],
  ['varicose-veins', 'Varicose veins'], ['diabetes-neuropathy', 'Numb feet from diabetes'],
  ['blood-thinners', 'Blood thinners'],
];

export const GOALS = [
  ['pain-relief', 'Less pain'], ['relaxation', 'Relax'], ['mobility', 'Move more easily'], ['recovery', 'Recover after sport'],
];
export const INTENSITIES = [['gentle', 'Gentle'], ['normal', 'Normal'], ['firm', 'Firm']];
export const DURATIONS_MIN = [5, 10, 15, 20, 30];

const TECHNIQUES = {
  knead: 'kneading', tap: 'tapping', 'knead-tap': 'kneading and tapping', shiatsu: 'shiatsu pressure',
  roll: 'rolling', glide: 'a long slow glide', 'trigger-point': 'trigger points', stretch: 'stretching',
  air: 'air cushions', heat: 'warmth', pause: 'a rest', recline: 'reclining',
};
export const techniqueName = (id) => TECHNIQUES[id] || id || '';

// ["a", "b", "c"] as "a, b and c".
export function listWords(items) {
  const a = items.filter(Boolean);
  if (a.length <= 1) return a.join('');
  return a.slice(0, -1).join(', ') + ' and ' + a[a.length - 1];
}

const STATES = {
  idle: 'Ready', consulted: 'Ready', scanning: 'Scanning', scanned: 'Ready', planned: 'Ready',
  running: 'Running', paused: 'Paused', finishing: 'Letting go', awaiting_pain_after: 'Finished', done: 'Done',
};
export const stateName = (id) => STATES[id] || id || '';

const ENDED = {
  stopped: 'You stopped the massage.', completed: 'The massage is complete.', fault: 'The chair stopped by itself for safety.',
  interrupted: 'The massage was interrupted.',
};
export const endedWords = (ended, reason) => ENDED[ended] || (reason ? `The massage ended: ${reason}.` : 'The massage ended.');
