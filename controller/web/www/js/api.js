// The page's one way to chaird: JSON-RPC 2.0 requests by POST /api, and the notifications
// this browser subscribed to as server-sent events from GET /api/events. The browser's
// session is its cookie (set by chaird, HttpOnly): nothing secret is kept in the page.

export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data || {};
  }
}

// Error codes of PANEL.md, by name.
export const E = {
  PARSE: -32700, INVALID: -32600, METHOD: -32601, PARAMS: -32602,
  STATE: -32001, ROLE: -32002, NOT_FOUND: -32003, RULE: -32004, AUTH: -32005,
  NETWORK: -32099, // not chaird's: the request did not reach it or no reply came back
};

let nextId = 1;

// Call method with params; resolves with its result, rejects with an RpcError. A call
// that waits for the chair (scan.start) may pass { timeoutMs }: past it the request is
// abandoned and the call rejects with E.NETWORK, data.reason "timeout". A call the page
// makes by itself on a timer passes { poll: true }: it does not count as a person using
// the page, so a technician login left open on a refreshing page still ends when idle.
export async function call(method, params, opts = {}) {
  const req = { jsonrpc: '2.0', id: nextId++, method };
  if (params !== undefined) req.params = params;
  const abort = opts.timeoutMs ? new AbortController() : null;
  const timer = abort ? setTimeout(() => abort.abort(), opts.timeoutMs) : 0;
  let res;
  try {
    res = await fetch('/api', {
      method: 'POST',
      headers: opts.poll
        ? { 'Content-Type': 'application/json', 'X-Chair-Poll': '1' }
        : { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
      body: JSON.stringify(req),
      signal: abort ? abort.signal : undefined,
    });
  } catch (e) {
    clearTimeout(timer);
    const reason = abort && abort.signal.aborted ? 'timeout' : String(e);
    throw new RpcError(E.NETWORK, 'the chair does not answer', { reason });
  }
  clearTimeout(timer);
  let msg;
  try {
    msg = await res.json();
  } catch (e) {
    throw new RpcError(E.NETWORK, `the chair answered HTTP ${res.status}`, { status: res.status });
  }
  if (msg.error) throw new RpcError(msg.error.code, msg.error.message, msg.error.data);
  return msg.result;
}

// Listen to topics (of state, motion, session, faults, scan). on.message(method, params)
// gets every notification; on.open() runs on each (re)connection, the moment to ask chaird
// for the current state again; on.lost() when the stream broke (the browser retries by
// itself, and so does this after a refusal). Returns a function that stops listening.
export function listen(topics, on) {
  let es = null;
  let stopped = false;
  let retryTimer = 0;
  const open = () => {
    es = new EventSource('/api/events?topics=' + encodeURIComponent(topics.join(',')));
    es.onopen = () => on.open && on.open();
    es.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (msg && msg.method && on.message) on.message(msg.method, msg.params || {});
    };
    es.onerror = () => {
      if (on.lost) on.lost();
      // A stream the server refused (closed for good) is opened again after a while;
      // one that broke is retried by the browser itself.
      if (es.readyState === EventSource.CLOSED && !stopped) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(open, 1000);
      }
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    if (es) es.close();
  };
}
