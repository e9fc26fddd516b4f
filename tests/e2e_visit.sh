#!/usr/bin/env bash
# End to end: whole visits through chairctl against chaird serving the panel API, on chairsim
# over Modbus TCP on loopback, with a store and a socket of its own. Three people sit down in
# turn (a fresh chairsim with a seed of their own for each, chaird restarted on it with the
# same store): persistent back pain, fibromyalgia, a shoulder injury three weeks ago. Each
# visit is user add, consult, scan, plan, a session with "softer" and "too much", stop, the
# pain after, the history and both report files. Then chaird is killed with SIGKILL in the
# middle of the third person's second session and started again: that session is stored as interrupted, the
# finished ones are intact. Every wait is on a condition (a line in a file), with a bound.
# Usage: BUILD=build tests/e2e_visit.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
T=$E2E_TMP
started_s=$(date +%s)

# ctl OUT ARGS...: chairctl on this run's socket; output in $T/OUT, exit code in $T/OUT.rc
ctl() {
	out=$1
	shift
	"$BUILD/chairctl" --socket "$T/panel.sock" "$@" >"$T/$out" 2>&1
	echo $? >"$T/$out.rc"
}

# ran OUT RC PATTERN...: the command behind OUT exited RC and its output has every PATTERN
# (extended regular expressions); says what it got when not
ran() {
	f=$T/$1
	want=$2
	shift 2
	if [ "$(cat "$f.rc")" != "$want" ]; then
		echo "  exit $(cat "$f.rc"), expected $want:"
		tail -25 "$f" | sed 's/^/  | /'
		return 1
	fi
	for p in "$@"; do
		if ! grep -Eq -- "$p" "$f"; then
			echo "  no /$p/ in:"
			tail -25 "$f" | sed 's/^/  | /'
			return 1
		fi
	done
}

# lacks FILE PATTERN: no line of FILE matches PATTERN (extended)
lacks() {
	! grep -Eq -- "$2" "$1" || { grep -E -- "$2" "$1" | sed 's/^/  | /'; return 1; }
}

# new_chair SEED: a fresh chairsim (another person sitting down) and the chaird config for it.
# The visit is not about the bus: on this shared test host, loaded by parallel builds, the
# fieldbus thread now and then stalls past the shipped bounds (a unit's data 100 ms old, a
# drive's 60 ms watchdog), so here units may be 250 ms stale (as on RTU) and the drives'
# watchdog is 100 ms (with the 50 ms Z release, the 150 ms bound on TCP). Those faults
# themselves are tested by tests/e2e_chaird.sh and tests/e2e_bus_death.sh.
new_chair() {
	[ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	start_chairsim_tcp "sim$1" --seed "$1" || return 1
	tcp_config "$T/visit.ini" "$SIM_PORT" "[panel]
socket = $T/panel.sock
[store]
path = $T/chair.db
[session]
rules = controller/data/consultation.rules
advice = controller/data/care-advice.rules
[safety]
unit_age_limit_ms = 250
drive_comm_timeout_ms = 100"
}

# start_chaird NAME [any]: chaird as the daemon; its output in $T/NAME.chaird; true once it
# serves, and checked that the chair is idle unless "any" (some seeds seat a person the roller already presses too hard, which
# is a fault before anything starts: the seeds here are ones that do not)
start_chaird() {
	"$BUILD/chaird" --config "$T/visit.ini" >"$T/$1.chaird" 2>&1 &
	CHAIRD_PID=$!
	E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
	wait_for "$T/$1.chaird" "serving the panel API" 15 || { tail -20 "$T/$1.chaird"; return 1; }
	ctl "$1.info" info
	if [ "${2:-}" = any ]; then
		check "$1: chaird serves the API" ran "$1.info" 0 '^chair_state: '
	else
		check "$1: chaird serves the API, the chair idle" ran "$1.info" 0 '^chair_state: idle$'
	fi
}

# stop_chaird: SIGTERM, and chaird exits
stop_chaird() {
	kill -TERM "$CHAIRD_PID" 2>/dev/null
	wait "$CHAIRD_PID" 2>/dev/null
}

# wait_running FOLLOW: the session's first line and two motion lines after it in the output of
# status --follow; says what happened when not
wait_running() {
	if wait_for "$1" '^session .* s left$' 30 && wait_count "$1" '^motion ' 2 20; then
		return 0
	fi
	tail -5 "$1" | sed 's/^/  | /'
	ctl faults.now faults
	sed 's/^/  | /' "$T/faults.now"
	return 1
}

# run_session WHO: start the planned session, follow it, "softer" and "too much" while it
# runs, stop it, and wait until it has let go and asks for the pain after
run_session() {
	who=$1
	ctl "$who.start" session start "$who"
	check "$who: session start names the session" ran "$who.start" 0 '^session [0-9]+ started$'
	"$BUILD/chairctl" --socket "$T/panel.sock" session status --follow >"$T/$who.follow" 2>&1 &
	follow_pid=$!
	E2E_PIDS="$E2E_PIDS $follow_pid"
	check "$who: status --follow shows the session running" \
		wait_running "$T/$who.follow"
	ctl "$who.softer" session feedback softer
	check "$who: softer is taken with the new force target" \
		ran "$who.softer" 0 '^softer: taken, force target [0-9.]+ N'
	ctl "$who.toomuch" session feedback too_much
	check "$who: too much is taken with the lowered target" \
		ran "$who.toomuch" 0 '^too_much: taken, force target [0-9.]+ N'
	n=$(grep -c '^motion ' "$T/$who.follow")
	wait_count "$T/$who.follow" '^motion ' $((n + 2)) 20
	ctl "$who.stop" session stop
	check "$who: stop" ran "$who.stop" 0 '^session stop: done$'
	check "$who: status --follow ends when the chair has let go, saying how it ended" \
		wait_for "$T/$who.follow" '^session awaiting_pain_after: stopped$' 20
	wait "$follow_pid"
	echo $? >"$T/$who.follow.rc"
	check "$who: status --follow exits 0 and printed motion lines" \
		ran "$who.follow" 0 '^motion .* force +[0-9.]+ N \(target'
}

# finish WHO PAIN...: the pain after, the summary and the care advice
finish() {
	who=$1
	shift
	ctl "$who.finish" session finish "$@"
	check "$who: finish gives the summary, the pain before and after and care advice" \
		ran "$who.finish" 0 '^summary:' '^  ended: stopped' '^  feedback:' '^    softer: 1' \
		'^    too_much: 1' '^pain before -> after:' '^care advice:' '^  - \[see-professional\]'
}

# reports WHO ROWS: both report files; the CSV with its header and ROWS rows
reports() {
	who=$1
	ctl "$who.csv.out" report "$who" --format csv -o "$T/$who.csv"
	check "$who: report csv written" ran "$who.csv.out" 0 "^report: .*$who.csv written \(csv"
	check "$who: the CSV has the header and one row per session and area ($2)" \
		bash -c "head -1 '$T/$who.csv' | grep -q '^session_id,date,duration_min,program,area,pain_before' &&
			[ \$(tail -n +2 '$T/$who.csv' | grep -c .) -eq $2 ]"
	ctl "$who.html.out" report "$who" --format html -o "$T/$who.html"
	check "$who: report html written, with its SVG trend, the name and no script" \
		bash -c "grep -q '^report: .*written (html' '$T/$who.html.out' && grep -q '<svg ' '$T/$who.html' &&
			grep -q 'Massage record: $who</h1>' '$T/$who.html' && ! grep -qi '<script' '$T/$who.html'"
}

# --- chairctl without chaird, and its usage errors ------------------------------------------
ctl nochaird info
check "no chaird: exit 3, saying it cannot be reached" \
	ran nochaird 3 "cannot reach chaird at $T/panel.sock"
ctl usage.area consult ana --pain elbow=3
check "an unknown area: exit 2 naming it" ran usage.area 2 "unknown area 'elbow'"
ctl usage.none session feedback
check "feedback without an action: exit 2" ran usage.none 2 'expected one action'
"$BUILD/chairctl" --help >"$T/help" 2>&1
check "chairctl --help lists every command" bash -c "for w in 'user add' 'user list' 'user show' consult scan plan 'session start' 'session feedback' 'session pause|resume|stop' 'status \[--follow\]' 'session finish' history report 'program check' 'program run'; do grep -q \"\$w\" '$T/help' || exit 1; done"

# --- ana: persistent back pain --------------------------------------------------------------
new_chair 11 && start_chaird ana || fail "ana: chaird did not start"
ctl ana.add user add ana --height 168
check "ana: user add" ran ana.add 0 '^user ana added$'
ctl ana.dup user add ana
check "ana: a second ana is refused, exit 1, the field named" ran ana.dup 1 'field: name'
ctl ana.idle session feedback softer
check "ana: feedback with no session running is refused naming the state" \
	ran ana.idle 1 'session.feedback' 'state: idle'
ctl ana.consult consult ana --condition back-pain --pain lower-back=6 --pain mid-back=4 \
	--goal pain-relief --intensity normal --duration 5
check "ana: consultation gives the limits and the back-pain message" \
	ran ana.consult 0 '^limits:' '^  force cap: [0-9.]+ N' '^  - .*back pain'
ctl ana.scan scan ana
check "ana: scan prints its progress and the shoulder line" \
	ran ana.scan 0 '^scan +[0-9]+ %' '^scan 100 %' '^shoulder line at [0-9]+ mm$'
ctl ana.nudge scan ana --adjust 5
check "ana: a nudge of the shoulder line is kept" \
	ran ana.nudge 0 'nudged \+5 mm from the scan'
ctl ana.plan plan ana --duration 5
check "ana: plan shows the program text and summary, the lower back worked" \
	ran ana.plan 0 '^program "Plan' '^phase "Lower back"' '^--- summary ---' \
	'^5 min: ' '^areas worked: .*lower-back'
run_session ana
finish ana --pain lower-back=3 --pain mid-back=3
ctl ana.history history ana
check "ana: history shows the session and a meaningful trend on the lower back" \
	ran ana.history 0 '^history of ana: 1 session$' ' stopped .*lower-back 6 -> 3' \
	'^  lower-back  first 6 -> last 3: 50 % less pain, meaningful$' \
	'^  mid-back    first 4 -> last 3: 25 % less pain$'
reports ana 2
stop_chaird

# --- bo: fibromyalgia ---------------------------------------------------------------------
new_chair 22 && start_chaird bo || fail "bo: chaird did not start"
ctl bo.add user add bo --height 160
check "bo: user add" ran bo.add 0 '^user bo added$'
ctl bo.consult consult bo --condition fibromyalgia --pain upper-back=5 --pain neck=4 \
	--goal relaxation --intensity gentle --duration 5
check "bo: fibromyalgia excludes tapping" ran bo.consult 0 '^  techniques excluded: .*\btap\b'
ctl bo.scan scan bo
check "bo: scan" ran bo.scan 0 '^shoulder line at [0-9]+ mm$'
ctl bo.plan plan bo --duration 5
check "bo: plan written" ran bo.plan 0 '^program "Plan' '^--- summary ---'
check "bo: the plan has no tapping" lacks "$T/bo.plan" '^[[:space:]]*(tap|knead-tap)\b|^techniques: .*tap'
run_session bo
finish bo --pain upper-back=4 --pain neck=4
ctl bo.history history bo
check "bo: history" ran bo.history 0 '^history of bo: 1 session$' '^  upper-back  first 5 -> last 4: 20 % less pain$'
reports bo 2
stop_chaird

# --- cy: a shoulder injury three weeks ago ----------------------------------------------------
new_chair 44 && start_chaird cy || fail "cy: chaird did not start"
ctl cy.add user add cy --height 182
check "cy: user add" ran cy.add 0 '^user cy added$'
ctl cy.consult consult cy --condition injury:shoulders:3 --pain neck=5 --pain lower-back=3 \
	--goal recovery --intensity normal --duration 5
check "cy: the injured shoulders are avoided" ran cy.consult 0 '^  areas avoided: .*shoulders'
ctl cy.scan scan cy
check "cy: scan" ran cy.scan 0 '^shoulder line at [0-9]+ mm$'
ctl cy.plan plan cy --duration 5
check "cy: plan written" ran cy.plan 0 '^program "Plan' '^--- summary ---'
check "cy: the plan works nowhere on the shoulders" \
	lacks "$T/cy.plan" '^[[:space:]]+[a-z-]+ .*shoulders|^areas worked: .*shoulders'
run_session cy
finish cy --pain neck=2 --pain lower-back=3
reports cy 2

# --- ee: a condition that needs a professional first -----------------------------------------
ctl ee.add user add ee
ctl ee.consult consult ee --condition dvt --duration 5
check "ee: a blood clot: exit 1, see a professional first, named" \
	ran ee.consult 1 '^see a professional first: [a-z]+'
ctl ee.plan plan ee
check "ee: no plan after that" ran ee.plan 1 'plan.propose'

# --- kill -9 of chaird in the middle of cy's second session, and a restart -------------------
ctl cy.consult2 consult cy --condition injury:shoulders:3 --pain neck=4 --duration 5
check "cy again: a new consultation" ran cy.consult2 0 '^limits:'
ctl cy.plan2 plan cy --duration 5
check "cy again: plan" ran cy.plan2 0 '^program "Plan'
ctl cy.start2 session start cy
check "cy again: session started" ran cy.start2 0 '^session [0-9]+ started$'
"$BUILD/chairctl" --socket "$T/panel.sock" session status --follow >"$T/cy.follow2" 2>&1 &
follow_pid=$!
E2E_PIDS="$E2E_PIDS $follow_pid"
check "cy again: running" wait_running "$T/cy.follow2"
ctl cy.pause session pause
check "cy again: pause" ran cy.pause 0 '^session pause: done$'
check "cy again: status --follow sees it paused" wait_for "$T/cy.follow2" 'session paused' 10
ctl cy.paused session status
check "cy again: status says paused" ran cy.paused 0 '^state: paused$'
ctl cy.resume session resume
check "cy again: resume" ran cy.resume 0 '^session resume: done$'
n=$(grep -c '^motion ' "$T/cy.follow2")
check "cy again: running again" wait_count "$T/cy.follow2" '^motion ' $((n + 2)) 20
kill -9 "$CHAIRD_PID"
wait "$CHAIRD_PID" 2>/dev/null
wait "$follow_pid"
check "status --follow of a killed chaird: exit 3" [ $? -eq 3 ]
ctl killed info
check "chaird killed: exit 3, cannot be reached" ran killed 3 'cannot reach chaird'
# A killed chaird leaves its socket file behind: the restart finds nobody answering on it
# and takes its place.
check "a killed chaird leaves a stale socket behind" [ -S "$T/panel.sock" ]
# The drives' own watchdogs let go when chaird died, and may still say so: the chair may
# come up with that fault to acknowledge, so only serving is asked of it here.
start_chaird restarted any || fail "chaird did not start again after the kill"
check "the restart says it marked the running session interrupted" \
	grep -q '1 session(s) a crash left running marked interrupted' "$T/restarted.chaird"
ctl users user list
check "user list: everyone, with their height" \
	ran users 0 '^ana +168 cm' '^bo +160 cm' '^cy +182 cm' '^ee '
ctl cy.show user show cy
check "user show: the profile, its limits and preferences" \
	ran cy.show 0 '^name: cy$' '^limits:' 'areas_avoided: shoulders' '^preferences:'
ctl cy.history2 history cy
check "after the restart, cy's running session is interrupted and the finished one intact" \
	ran cy.history2 0 '^history of cy: 2 sessions$' ' stopped .*neck 5 -> 2, lower-back 3 -> 3' \
	' interrupted .*neck 4 -> -'
ctl ana.history2 history ana
check "after the restart, ana's history is intact" ran ana.history2 0 '^history of ana: 1 session$' \
	' stopped .*lower-back 6 -> 3'
ctl bo.history2 history bo
check "after the restart, bo's history is intact" ran bo.history2 0 '^history of bo: 1 session$' \
	' stopped .*upper-back 5 -> 4'
reports cy 3
check "cy's CSV: the interrupted session's row says so" grep -q ',neck,4,,.*,interrupted' "$T/cy.csv"
ctl state.after session status
check "after the restart the visit is idle" ran state.after 0 '^state: idle$'
stop_chaird

if [ "$e2e_failed" -ne 0 ]; then
	for f in "$T"/*.chaird; do
		echo "== $f"
		tail -15 "$f"
	done
fi
echo "e2e_visit: $(($(date +%s) - started_s)) s"
e2e_finish
