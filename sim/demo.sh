#!/usr/bin/env bash
# The demo: the simulated chair (chairsim) and the controller (chaird) as two processes over
# Modbus TCP on loopback, and a whole visit through the panel API with chairctl, in real
# time: a person is added, says where it hurts, is scanned, gets a plan, has a few minutes of
# it with a "softer" and a "too much", stops, says how it hurts now, and sees the summary,
# the care advice and the trend. Everything it starts is stopped on exit or Ctrl-C.
# Usage: sim/demo.sh [BUILD_DIR]   (the reports are left in BUILD_DIR/demo/)
set -u
build=${1:-build}
tmp=$(mktemp -d)
out=$build/demo
sim_pid=
chaird_pid=
follow_pid=
cleanup() {
	trap - EXIT INT TERM
	[ -n "$follow_pid" ] && kill "$follow_pid" 2>/dev/null
	# SIGTERM: chaird puts the chair in its safe state before it goes.
	[ -n "$chaird_pid" ] && kill -TERM "$chaird_pid" 2>/dev/null && wait "$chaird_pid" 2>/dev/null
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, stopping the chair"; exit 130' INT TERM

# die WHY: what went wrong, and the chair's fault log when chaird still answers
die() {
	echo "demo: $*" >&2
	[ -S "$tmp/panel.sock" ] && "$build/chairctl" --socket "$tmp/panel.sock" faults >&2
	exit 1
}

step() {
	printf '\n=== %s\n' "$*"
}

# ctl ARGS...: shown as typed, then run
ctl() {
	printf '$ chairctl %s\n' "$*"
	"$build/chairctl" --socket "$tmp/panel.sock" "$@"
}

# wait_state STATE SECONDS: until session.status says STATE
wait_state() {
	for _ in $(seq $(($2 * 5))); do
		"$build/chairctl" --socket "$tmp/panel.sock" session status 2>/dev/null |
			grep -q "^state: $1\$" && return 0
		sleep 0.2
	done
	return 1
}

step "The chair: chairsim and chaird over Modbus TCP"
"$build/chairsim" --modbus tcp:127.0.0.1:0 --seed 11 --status-fd 3 3>"$tmp/status" \
	2>"$tmp/chairsim.log" &
sim_pid=$!
for _ in $(seq 100); do
	grep -q listening "$tmp/status" 2>/dev/null && break
	sleep 0.05
done
port=$(sed -n 's/^listening tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/status")
[ -n "$port" ] || { cat "$tmp/chairsim.log" >&2; die "chairsim did not start"; }
echo "chairsim: the simulated chair on Modbus TCP 127.0.0.1:$port"
# A development machine is no real-time board: a stall of some tens of ms is the host's,
# not the chair's, so the demo tolerates 200 missed periods (a chair ships with 20), bus
# data 250 ms old (100 ms shipped) and a drive watchdog of 100 ms (60 ms shipped; with the
# 50 ms Z release that is the 150 ms release bound on TCP).
# The panel at the usual 127.0.0.1:8080 when that is free, so the address is the one to
# remember; else on any free port (chaird prints which).
web_port=8080
(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && web_port=0
cat >"$tmp/chair.ini" <<INI
[rt]
max_late_periods = 200
[hal]
backend = modbus
[bus]
kind = tcp
host = 127.0.0.1
port = $port
cycle_ms = 1
[safety]
unit_age_limit_ms = 250
drive_comm_timeout_ms = 100
[panel]
socket = $tmp/panel.sock
[store]
path = $tmp/chair.db
[session]
rules = controller/data/consultation.rules
advice = controller/data/care-advice.rules
[web]
listen = 127.0.0.1:$web_port
root = controller/web/www
INI
"$build/chaird" --config "$tmp/chair.ini" >"$tmp/chaird.log" 2>&1 &
chaird_pid=$!
for _ in $(seq 150); do
	grep -q "serving the panel API" "$tmp/chaird.log" && break
	kill -0 "$chaird_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "serving the panel API" "$tmp/chaird.log" || { cat "$tmp/chaird.log" >&2; die "chaird did not start"; }
sed 's/^/  /' "$tmp/chaird.log"
ctl info || die "chaird does not answer"
panel_url=$(sed -n 's/^chaird: panel at \(http:[^ ]*\)$/\1/p' "$tmp/chaird.log")
step "The control panel: open $panel_url in a browser to watch the visit live"
echo "  (the chair's screen: the visit below appears there as it happens; /tech/ is the"
echo "  technician's, behind the PIN of chairctl tech set-pin)"
# A person at a terminal gets a moment to open it; a script does not wait.
[ -t 1 ] && sleep "${DEMO_OPEN_S:-8}"

step "Ana sits down: a profile"
ctl user add ana --height 168 || die "user add failed"

step "The consultation: persistent back pain, the lower back at 6 of 10, the mid back at 4"
ctl consult ana --condition back-pain --pain lower-back=6 --pain mid-back=4 \
	--goal pain-relief --intensity normal --duration 5 || die "the consultation refused"

step "The body scan: the roller finds her shoulder line"
ctl scan ana || die "the scan failed"

step "The plan the chair proposes (5 minutes; the demo stops it after about 2)"
ctl plan ana --duration 5 || die "no plan"

step "The session: what the chair does, live (notify.session and notify.motion)"
ctl session start ana || die "the session did not start"
"$build/chairctl" --socket "$tmp/panel.sock" session status --follow > >(sed -u 's/^/  | /') &
follow_pid=$!
wait_state running 30 || die "the session is not running"
sleep 40
step "Ana: \"a bit softer, please\""
ctl session feedback softer
sleep 35
step "Ana: \"too much!\" (the force drops by 40 % at once, and stays lower there)"
ctl session feedback too_much
sleep 40
step "Ana stops the session"
ctl session stop
wait_state awaiting_pain_after 20 || die "the session did not end"
wait "$follow_pid" 2>/dev/null
follow_pid=

step "After the session: the pain again, the summary and the care advice"
ctl session finish --pain lower-back=3 --pain mid-back=3 || die "finish refused"

step "Her history and the pain trend (30 % less pain is the meaningful change)"
ctl history ana

step "The record for her physical therapist"
mkdir -p "$out"
ctl report ana --format html -o "$out/ana.html"
ctl report ana --format csv -o "$out/ana.csv"
cat "$out/ana.csv"

step "Done: chaird stops and leaves the chair in its safe state"
