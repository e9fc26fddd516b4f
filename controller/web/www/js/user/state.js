// What the page knows of the visit: whose it is, what they said, what chaird answered.

export const visit = {
  user: null,
  pin: null,           // kept in memory only, for the calls of a PIN profile
  pain: [],            // [{area, score}] from the consultation
  durationMin: 10,
  limits: null,        // consult.submit's reply
  landmarks: null,     // from the scan
  shoulderMm: null,
  plan: null,          // plan.propose's reply
  session_id: null,
  state: null,         // the visit's state (session.status)
  chair: null,         // the chair's state
};

// The methods that take a PIN profile's pin from a user.
export const PIN_METHODS = new Set([
  'users.get', 'users.update', 'users.delete', 'consult.submit', 'scan.adjust', 'scan.manual',
  'session.start', 'history.list', 'history.get', 'report.export',
]);

// Start over for another person.
export function resetVisit() {
  Object.assign(visit, { pin: null, pain: [], limits: null, landmarks: null, shoulderMm: null, plan: null, session_id: null });
}
