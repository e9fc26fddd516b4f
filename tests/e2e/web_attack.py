"""The web server of a running chaird under attack, while a session runs over the socket.

    web_attack.py trace SOCKET OUT.json
        start a session (a new profile, consultation, height, the proposed plan) with no
        feedback and keep its notify.motion samples (y_mm, force_n, force_target_n) keyed by
        t_s from the first sample, virtual time in lockstep; then stop it
    web_attack.py attack SOCKET PORT DOCS OUT.json TIMEOUT_S MAX_STREAMS PER_SESSION MAX_CONN
        the same, with every attack of the list below over HTTP meanwhile; prints one
        "PASS: ..." or "FAIL: ..." line per check

The attacks: every technician method of DOCS (docs/panel-api.md) as a user; a wrong Host, a
wrong Origin, a cross-site fetch; a body over 64 KiB, malformed JSON, a wrong type; a request
sent a byte a second; traversal; a flood of event streams past the limits, then of idle
connections past the connection limit; and a wrong and a
right technician PIN (auth.login), after which the technician pages open.
"""
import json
import os
import re
import socket
import sys
import threading
import time

SAMPLES = int(os.environ.get("WEB_SAMPLES", "300"))  # 15 s of the chair: homing, then pressing
PIN = "2468"
WAIT_S = 30
HERE = os.environ.get("E2E_TMP", "/nonexistent").encode()  # chaird's folder: never in a reply


class Panel:
    """A JSON-RPC client on the Unix socket: replies by id, notifications kept aside."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.notes = []

    def line(self, timeout_s=WAIT_S):
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buf:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("chaird closed the socket")
            self.buf += chunk
        text, self.buf = self.buf.split(b"\n", 1)
        return json.loads(text)

    def call(self, method, params=None):
        rid = self.next_id
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        while True:
            msg = self.line()
            if msg.get("id") == rid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            if "method" in msg:
                self.notes.append(msg)


def wait_idle(panel):
    """Until the chair waits: a session then starts from rest (homing first)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        info = panel.call("server.info")
        if info.get("chair_state") == "idle":
            return
        time.sleep(0.1)
    raise TimeoutError("the chair never became idle")


def run_session(sock_path, during=None):
    """The session's motion trace, {t_s from the first sample: [y, force, target]}."""
    panel = Panel(sock_path)
    panel.call("users.create", {"name": "e2e-web"})
    panel.call("consult.submit", {"user": "e2e-web", "conditions": [], "pain": [],
                                  "goals": ["relaxation"], "intensity": "normal",
                                  "duration_min": 5})
    panel.call("scan.manual", {"user": "e2e-web", "height_cm": 175})
    panel.call("plan.propose", {"user": "e2e-web"})
    wait_idle(panel)
    panel.call("subscribe", {"topics": ["motion"]})
    panel.notes.clear()
    panel.call("session.start", {"user": "e2e-web"})
    worker = None
    if during:
        worker = threading.Thread(target=during)
        worker.start()
    samples = [n for n in panel.notes if n["method"] == "notify.motion"]
    while len(samples) < SAMPLES:
        msg = panel.line()
        if msg.get("method") == "notify.motion":
            samples.append(msg)
    if worker:
        worker.join()
    panel.call("session.stop", {})
    t0 = samples[0]["params"]["t_s"]
    trace = {}
    for n in samples[:SAMPLES]:
        p = n["params"]
        trace[f"{p['t_s'] - t0:.3f}"] = [p["y_mm"], p["force_n"], p["force_target_n"]]
    return trace, panel


# ---- HTTP, by hand: what a browser would not send is what matters here -------------------

class Http:
    def __init__(self, port):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.cookie = None

    def raw(self, data, timeout_s=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s)
        out = b""
        try:
            s.sendall(data)
        except OSError:
            pass  # refused before the body was all sent: its answer is still there to read
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
        finally:
            s.close()
        return parse(out)

    def request(self, method, path, headers=None, body=None, host=None):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host or self.host}", "Connection: close"]
        if self.cookie:
            lines.append(f"Cookie: chair_session={self.cookie}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        data = body if isinstance(body, bytes) else (body or "").encode()
        if body is not None:
            lines.append(f"Content-Length: {len(data)}")
        text = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
        # The attacks run at once and each new browser is a new session: past the bound of
        # new sessions a second the answer is 503 with Retry-After 1, and a browser retries.
        deadline = time.monotonic() + WAIT_S
        while True:
            status, headers, out = self.raw(text)
            if not (status == 503 and headers.get("retry-after") == "1" and
                    time.monotonic() < deadline):
                return status, headers, out
            time.sleep(1.0)

    def rpc(self, method, params=None, rid=1):
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        status, headers, body = self.request("POST", "/api",
                                             {"Content-Type": "application/json"},
                                             json.dumps(req))
        m = re.search(r"chair_session=([0-9a-f]{64})", headers.get("set-cookie", ""))
        if m:
            self.cookie = m.group(1)
        return status, (json.loads(body) if status == 200 else None)


def parse(out):
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.\d (\d+)", lines[0] if lines else "")
    status = int(m.group(1)) if m else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), v.strip())
    return status, headers, body


class Checks:
    def __init__(self):
        self.lines = []
        self.lock = threading.Lock()

    def check(self, name, ok, detail=""):
        with self.lock:
            self.lines.append(f"{'PASS' if ok else 'FAIL'}: {name}" +
                              ("" if ok or not detail else f" ({detail})"))


def technician_methods(docs_path):
    text = open(docs_path, encoding="utf-8").read()
    return re.findall(r"^#### `([a-z_.]+)` \(technician\)", text, re.M)


def has_security_headers(headers):
    csp = headers.get("content-security-policy", "")
    return ("default-src 'self'" in csp and "frame-ancestors 'none'" in csp and
            headers.get("x-content-type-options") == "nosniff" and
            headers.get("referrer-policy") == "no-referrer")


def attack_roles(port, docs, c):
    h = Http(port)
    h.rpc("server.info")
    names = technician_methods(docs)
    c.check(f"docs list technician methods ({len(names)})", len(names) >= 5)
    for i, name in enumerate(names):
        status, reply = h.rpc(name, {}, rid=100 + i)
        code = reply.get("error", {}).get("code") if reply else None
        c.check(f"{name} as a user over HTTP: -32002", status == 200 and code == -32002,
                f"HTTP {status}, {reply}")
    status, reply = h.rpc("auth.login", {"pin": "0000"})
    code = reply.get("error", {}).get("code") if reply else None
    c.check("a wrong PIN over HTTP: -32005", code == -32005, f"{reply}")
    status, _, _ = h.request("GET", "/tech/")
    c.check("technician pages refused to a user: 403", status == 403, f"HTTP {status}")
    return h


def attack_login(h, c):
    """The right PIN (after the wrong one's backoff): technician pages and methods open."""
    deadline = time.monotonic() + WAIT_S
    reply = None
    before = h.cookie
    while time.monotonic() < deadline:
        status, reply = h.rpc("auth.login", {"pin": PIN})
        if reply and "result" in reply:
            break
        time.sleep(0.2)
    c.check("the right PIN over HTTP logs in", bool(reply and "result" in reply), f"{reply}")
    c.check("the login renews the session's cookie", h.cookie != before)
    old = Http(h.port)
    old.cookie = before
    status, _, _ = old.request("GET", "/tech/")
    c.check("the cookie of before the login: technician pages 403", status == 403,
            f"HTTP {status}")
    status, reply = h.rpc("config.get", {})
    c.check("config.get as the technician", bool(reply and "result" in reply), f"{reply}")
    status, _, _ = h.request("GET", "/tech/")
    c.check("technician pages open to the technician (not 403)", status != 403,
            f"HTTP {status}")


def attack_origin(port, c):
    h = Http(port)
    body = '{"jsonrpc":"2.0","id":1,"method":"server.info"}'
    ct = {"Content-Type": "application/json"}
    for host in ["evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}",
                 "localhost"]:
        status, headers, _ = h.request("POST", "/api", ct, body, host=host)
        c.check(f"Host {host}: refused 421", status == 421 and has_security_headers(headers),
                f"HTTP {status}")
        status, _, text = h.request("GET", "/", host=host)
        c.check(f"Host {host}: no page", status == 421 and b"<html" not in text)
    for origin in ["http://evil.example", "null", f"http://127.0.0.1:{port + 1}",
                   f"https://127.0.0.1:{port}"]:
        status, headers, _ = h.request("POST", "/api", {**ct, "Origin": origin}, body)
        c.check(f"Origin {origin}: refused 403", status == 403, f"HTTP {status}")
    status, _, _ = h.request("POST", "/api", {**ct, "Sec-Fetch-Site": "cross-site"}, body)
    c.check("a cross-site fetch: refused 403", status == 403, f"HTTP {status}")
    status, _, _ = h.request("POST", "/api", {**ct, "Origin": f"http://127.0.0.1:{port}"}, body)
    c.check("its own Origin: served", status == 200, f"HTTP {status}")


def attack_bodies(port, c):
    h = Http(port)
    ct = {"Content-Type": "application/json"}
    status, headers, text = h.request("POST", "/api", ct, b" " * (64 * 1024 + 1))
    c.check("a body over 64 KiB: 413", status == 413 and has_security_headers(headers),
            f"HTTP {status}")
    # Refused after its headers: the answer may be lost to the reset of the unread rest.
    status, _, _ = h.request("POST", "/api", ct, b"[" * (1024 * 1024))
    c.check("a 1 MiB body: 413 or cut", status in (413, 0), f"HTTP {status}")
    for bad in ['{"jsonrpc":"2.0","id":1,', '{"jsonrpc":"2.0","id":1,"id":2,"method":"x"}',
                '\xff\xfe', '[]', '"text"']:
        status, _, text = h.request("POST", "/api", ct, bad.encode("latin-1"))
        ok = status == 200 and b'"error"' in text and HERE not in text
        c.check(f"malformed {bad[:24]!r}: a JSON-RPC error, no path", ok, f"HTTP {status}")
    status, _, _ = h.request("POST", "/api", {"Content-Type": "text/plain"}, "{}")
    c.check("text/plain: 415", status == 415, f"HTTP {status}")
    status, _, _ = h.request("DELETE", "/index.html")
    c.check("DELETE: 405", status == 405, f"HTTP {status}")


def attack_slow(port, c, timeout_s):
    """One byte a second: cut well before the request could finish."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout_s + 10)
    text = f"POST /api HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    start = time.monotonic()
    cut = False
    for ch in text:
        try:
            s.sendall(ch.encode())
        except OSError:
            cut = True
            break
        s.settimeout(1.0)
        try:
            if s.recv(1) == b"":
                cut = True
                break
        except socket.timeout:
            pass
        except OSError:
            cut = True
            break
        if time.monotonic() - start > timeout_s + 8:
            break
    s.close()
    c.check("a byte a second: the connection is cut", cut)


def attack_traversal(port, c):
    h = Http(port)
    for path in ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 "/%252e%252e/%252e%252e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
                 "/..\\..\\..\\etc\\passwd", "/%5c..%5c..%5cetc%5cpasswd",
                 "/index.html%00.png", "/js/../../chair.ini", "/.git/config",
                 "//etc/passwd"]:
        status, headers, text = h.request("GET", path)
        c.check(f"traversal {path}: refused", status in (400, 403, 404) and
                b"root:" not in text and has_security_headers(headers), f"HTTP {status}")


def attack_flood(port, c, max_streams, per_session):
    """Event streams from new browsers past max_streams, and from one past its own limit."""
    opened = []
    refused = 0
    for i in range(max_streams + 6):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall((f"GET /api/events?topics=state,motion HTTP/1.1\r\n"
                   f"Host: 127.0.0.1:{port}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
        status = parse(head)[0]
        if status == 200:
            opened.append(s)
        else:
            refused += 1
            c.check(f"stream {i + 1} past the limit: 503 with Retry-After",
                    status == 503 and b"Retry-After" in head, f"HTTP {status}")
            s.close()
    c.check(f"streams in all: {max_streams} open, the rest refused",
            len(opened) <= max_streams and refused >= 6, f"{len(opened)} open")
    for s in opened:
        s.close()
    # One browser: its own limit (the flood's streams go, so there is room in all again).
    h = Http(port)
    h.rpc("server.info")
    mine = []
    deadline = time.monotonic() + WAIT_S
    while len(mine) < per_session and time.monotonic() < deadline:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall((f"GET /api/events?topics=state HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   f"Cookie: chair_session={h.cookie}\r\n\r\n").encode())
        head = s.recv(4096)
        if parse(head)[0] == 200:
            mine.append(s)
        else:
            s.close()
            time.sleep(0.1)  # the flood's streams are still going
    status, headers, _ = h.request("GET", "/api/events?topics=state")
    c.check(f"stream {per_session + 1} of one browser: 503",
            len(mine) == per_session and status == 503, f"{len(mine)} open, HTTP {status}")
    for s in mine:
        s.close()


def attack_connections(port, c, max_connections, timeout_s):
    """Idle connections past max_connections: those over it closed at once, the rest after
    timeout_s; then the panel serves again."""
    socks = []
    for _ in range(max_connections + 8):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            pass
    for s in socks:
        s.setblocking(False)
    closed = set()
    deadline = time.monotonic() + timeout_s + 15
    while len(closed) < len(socks) and time.monotonic() < deadline:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                if s.recv(1) == b"":
                    closed.add(i)
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.05)
    for s in socks:
        s.close()
    c.check(f"{len(socks)} idle connections ({max_connections} allowed): every one closed",
            len(closed) == len(socks), f"{len(closed)} closed")
    status, _, _ = Http(port).request("GET", "/index.html")
    c.check("after the connection flood the page is served", status == 200, f"HTTP {status}")


def main():
    mode = sys.argv[1]
    if mode == "trace":
        trace, _ = run_session(sys.argv[2])
        json.dump(trace, open(sys.argv[3], "w"), sort_keys=True)
        return 0
    sock_path, port, docs, out = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    timeout_s, max_streams, per_session = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
    max_connections = int(sys.argv[9])
    c = Checks()
    setup = Panel(sock_path)
    setup.call("tech.set_pin", {"pin": PIN})  # the socket's root peer is a technician

    def attacks():
        workers = [threading.Thread(target=f, args=a) for f, a in [
            (attack_origin, (port, c)), (attack_bodies, (port, c)),
            (attack_slow, (port, c, timeout_s)), (attack_traversal, (port, c)),
            (attack_flood, (port, c, max_streams, per_session))]]
        for w in workers:
            w.start()
        h = attack_roles(port, docs, c)
        for w in workers:
            w.join()
        attack_connections(port, c, max_connections, timeout_s)  # alone: it takes them all
        attack_login(h, c)

    trace, _ = run_session(sock_path, during=attacks)
    json.dump(trace, open(out, "w"), sort_keys=True)
    for line in c.lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
