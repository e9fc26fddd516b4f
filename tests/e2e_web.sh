#!/usr/bin/env bash
# End to end: the web server of a real chaird (daemon, sim backend, lockstep) over HTTP.
# chaird says where its panel is; the pages are served with their headers. Then a session
# runs twice from the socket, each time on a fresh chaird: once alone, once while
# tests/e2e/web_attack.py attacks the web server (technician methods as a user, wrong Host
# and Origin, oversized, malformed and slow requests, traversal, a flood of event streams
# and one of idle connections, a wrong PIN). Every attack is refused, and the session's notify.motion samples, keyed by
# the chair's virtual time, are the same both times.
# Usage: BUILD=build tests/e2e_web.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
T=$E2E_TMP
export E2E_TMP
PY=/usr/bin/python3
TIMEOUT_S=2
MAX_STREAMS=6
PER_SESSION=2
MAX_CONNECTIONS=32

# web_config FILE: the daemon on the sim with the web on a free loopback port
web_config() {
	{
		daemon_keys
		printf '[web]\nlisten = 127.0.0.1:0\nroot = %s/controller/web/www\n' "$PWD"
		printf 'timeout_s = %s\nmax_streams = %s\n' "$TIMEOUT_S" "$MAX_STREAMS"
		printf 'max_streams_per_session = %s\nmax_connections = %s\n' "$PER_SESSION" \
			"$MAX_CONNECTIONS"
		printf 'stream_grace_s = 1\n'
	} >"$1"
}

# start_chaird NAME: a fresh chaird (its store and socket new); sets PID and PORT
start_chaird() {
	rm -f "$T/chair.db" "$T/panel.sock"
	web_config "$T/$1.ini"
	"$BUILD/chaird" --config "$T/$1.ini" --lockstep --seed 3 >"$T/$1.out" 2>&1 &
	PID=$!
	E2E_PIDS="$E2E_PIDS $PID"
	wait_for "$T/$1.out" "panel at http://" 15 || return 1
	PORT=$(sed -n 's|^chaird: panel at http://127.0.0.1:\([0-9]*\)/$|\1|p' "$T/$1.out")
	[ -n "$PORT" ]
}

stop_chaird() {
	kill "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
}

# --- chaird prints its address; the page and its headers --------------------------------
if start_chaird base; then
	pass "chaird prints where its panel is (a real port for port 0)"
	curl -s -D "$T/index.h" -o "$T/index.body" "http://127.0.0.1:$PORT/"
	check "GET / is the panel's index.html" cmp -s "$T/index.body" controller/web/www/index.html
	check "GET /: a strict Content-Security-Policy" \
		grep -qi "^content-security-policy: default-src 'self'; script-src 'self'" "$T/index.h"
	check "GET /: nosniff, no referrer, no framing" bash -c \
		"grep -qi '^x-content-type-options: nosniff' '$T/index.h' &&
		 grep -qi '^referrer-policy: no-referrer' '$T/index.h' &&
		 grep -qi '^x-frame-options: DENY' '$T/index.h'"
	check "GET /: a session cookie, HttpOnly and SameSite=Strict" \
		grep -qiE '^set-cookie: chair_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict' \
		"$T/index.h"
	curl -s -D "$T/api.h" -o /dev/null "http://127.0.0.1:$PORT/js/api.js"
	check "GET /js/api.js: text/javascript" \
		grep -qi '^content-type: text/javascript' "$T/api.h"
	# --- what cannot be served is refused at start -------------------------------------
	{
		printf '[store]\npath = %s/other.db\n[panel]\nsocket = %s/other.sock\n' "$T" "$T"
		printf '[session]\nrules = %s/controller/data/consultation.rules\n' "$PWD"
		printf 'advice = %s/controller/data/care-advice.rules\n' "$PWD"
		printf '[web]\nroot = %s/controller/web/www\nlisten = 127.0.0.1:%s\n' "$PWD" "$PORT"
	} >"$T/busy.ini"
	"$BUILD/chaird" --config "$T/busy.ini" --lockstep --duration-s 1 >"$T/busy.out" 2>&1
	rc=$?
	check "its port taken: chaird exits 2 naming [web] listen" \
		bash -c "[ $rc -eq 2 ] && grep -q '\[web\] listen 127.0.0.1:$PORT: cannot listen' '$T/busy.out'"
	sed "s|^root = .*|root = $T/no-such-folder|; s|^listen = .*|listen = 127.0.0.1:0|" \
		"$T/busy.ini" >"$T/noroot.ini"
	"$BUILD/chaird" --config "$T/noroot.ini" --lockstep --duration-s 1 >"$T/noroot.out" 2>&1
	rc=$?
	check "no page folder: chaird exits 2 naming [web] root" \
		bash -c "[ $rc -eq 2 ] && grep -q '\[web\] root .*no-such-folder: No such file' '$T/noroot.out'"
	# --- the session alone ------------------------------------------------------------
	if $PY tests/e2e/web_attack.py trace "$T/panel.sock" "$T/alone.json" 2>"$T/alone.err"; then
		pass "a session alone: its motion trace"
	else
		fail "a session alone: $(tail -3 "$T/alone.err")"
	fi
	stop_chaird
else
	fail "chaird did not start with its web panel: $(tail -3 "$T/base.out")"
fi

# --- the same session under attack ------------------------------------------------------
if start_chaird attacked; then
	$PY tests/e2e/web_attack.py attack "$T/panel.sock" "$PORT" docs/panel-api.md \
		"$T/attacked.json" "$TIMEOUT_S" "$MAX_STREAMS" "$PER_SESSION" "$MAX_CONNECTIONS" \
		>"$T/attack.out" 2>"$T/attack.err"
	while read -r line; do
		case $line in
		PASS:*) pass "${line#PASS: }" ;;
		FAIL:*) fail "${line#FAIL: }" ;;
		esac
	done <"$T/attack.out"
	[ -s "$T/attack.err" ] && fail "the attack script: $(tail -3 "$T/attack.err")"
	check "chaird still serves after the attacks" \
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/index.html"
	check "chaird alive after the attacks" kill -0 "$PID"
	stop_chaird
else
	fail "chaird did not start for the attack: $(tail -3 "$T/attacked.out")"
fi
check "the session under attack: the same motion trace as alone" \
	bash -c "[ -s '$T/alone.json' ] && cmp -s '$T/alone.json' '$T/attacked.json'"

e2e_finish
