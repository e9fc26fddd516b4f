#!/usr/bin/env bash
# End to end: process faults. chaird serves the panel over Modbus TCP to a chairsim traced
# every ms, as systemd would start it (a notify socket this script binds, NOTIFY_SOCKET,
# WATCHDOG_USEC and WATCHDOG_PID), while a session holds the roller on T2 with the lumbar
# heater on and the waist bag filled:
#   1. chaird killed (SIGKILL); 2. chaird crashed (SIGABRT: abort(), a failed assert, and
#      what systemd's watchdog sends; a sanitizer build would catch a SIGSEGV itself);
#   3. chaird stopped (SIGSTOP):
#      on chairsim's truth the roller lets go (true force under 5 N) within the 150 ms
#      release bound on TCP and the DIO module's watchdog switches the heater off and opens
#      vent and valves within its 200 ms plus 100 ms, and it stays so; a stopped chaird
#      stops its watchdog pings, and when it runs again it latches a fault and presses no
#      more. Each restart marks the session it interrupted as such and keeps the rest
#      (users, the finished session, the program, the fault log).
#   4. chairsim restarted under a running chaird: a fault, still latched once the bus is
#      back, cleared only by an acknowledge.
#   5. the rt thread alone wedged mid-session (ptrace stops that one thread; the main loop
#      and the fieldbus thread run on): the bus stops writing its stale outputs, so the
#      roller lets go and the coils go safe as in 1-3; the pings stop, the stall is logged
#      and in STATUS=, and they come again after it.
# READY=1 comes once per start, STATUS= follows the state; with JOURNAL_STREAM naming its
# stderr, chaird's lines carry their priority. Usage: BUILD=build tests/e2e_process.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
T=$E2E_TMP
PY=/usr/bin/python3
started_s=$(date +%s)
RELEASE_BOUND_MS=150 # docs/safety.md, release bound on Modbus TCP
COILS_BOUND_MS=300   # the DIO module's 200 ms host watchdog and 100 ms (as e2e_bus_death)
AFTER_MS=1000        # how much of the aftermath the checks look at
WATCHDOG_USEC=200000 # as systemd's WatchdogSec=200ms: a ping every 100 ms

# The fake systemd: each datagram on the socket is a line "MONOTONIC_S MESSAGE" (its lines
# joined by " | ").
cat >"$T/notify_sink.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    f.write("%.3f bound\n" % time.monotonic())
    while True:
        data = s.recv(4096).decode(errors="replace")
        f.write("%.3f %s\n" % (time.monotonic(), data.replace("\n", " | ")))
EOF
# One JSON-RPC call on the panel socket (as root: a technician), the reply line printed.
cat >"$T/rpc.py" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": sys.argv[2], "params": {}}) + "\n").encode())
buf = b""
while b"\n" not in buf:
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
EOF
# Wedge chaird's rt thread alone (the SCHED_FIFO thread at [rt] priority 80) for SECONDS:
# ptrace stops one thread, where SIGSTOP would stop them all. Prints "wedged T" and
# "released T" on CLOCK_MONOTONIC.
cat >"$T/wedge.py" <<'EOF'
import ctypes, os, sys, time
pid, seconds = int(sys.argv[1]), float(sys.argv[2])
def rt_tid():
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        if fields[37] == "80" and fields[38] == "1":  # rt_priority, policy SCHED_FIFO
            return int(tid)
    sys.exit("no SCHED_FIFO thread at priority 80 in %d" % pid)
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
SEIZE, INTERRUPT, DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000
tid = rt_tid()
if libc.ptrace(SEIZE, tid, None, None) or libc.ptrace(INTERRUPT, tid, None, None):
    sys.exit("ptrace: " + os.strerror(ctypes.get_errno()))
status = ctypes.c_int()
libc.waitpid(tid, ctypes.byref(status), WALL)
print("wedged %.3f" % time.monotonic(), flush=True)
time.sleep(seconds)
print("released %.3f" % time.monotonic(), flush=True)
libc.ptrace(DETACH, tid, None, None)
EOF
mono() { $PY -c 'import time; print("%.3f" % time.monotonic())'; }

# The session's program: heat and air on, then a hold high on the back (chairsim's seed 80
# is a 200 cm person whose carriage starts near the top: short homing, short travel).
cat >"$T/hold.prog" <<'EOF'
program "Process faults"
description "Lumbar heat, a waist airbag and a hold on T2."
tags test
level normal

phase "Warm, fill and press"
  heat lumbar on 40c
  air waist level 5 cycle 60s
  trigger-point T2 pressure 6 ramp 1s hold 100s release 3s
EOF

# chairsim on PORT (0: a free one) as SCHED_FIFO, so that a host loaded by other work cannot
# starve its 1 ms physics past the drives' 60 ms watchdog; traced into $T/NAME.trace.
start_sim() {
	name=$1
	"$BUILD/chairsim" --modbus "tcp:127.0.0.1:$2" --status-fd 3 --seed 80 \
		--trace "$T/$name.trace" --trace-ms 1 3>"$T/$name.status" 2>"$T/$name.simlog" &
	SIM_PID=$!
	E2E_PIDS="$E2E_PIDS $SIM_PID"
	wait_for "$T/$name.status" listening 10 || return 1
	chrt -a -f -p 50 "$SIM_PID" 2>/dev/null
	SIM_PORT=$(sed -n 's/^listening tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$T/$name.status")
	SIM_TRACE=$T/$name.trace
}

# The daemon's configuration (tcp_config's, with the host's lateness tolerance). The
# fieldbus thread at SCHED_FIFO 70 (under the rt thread's 80) and 250 ms for a silent
# unit, for a host loaded by other work; the drives' watchdog stays the shipped 60 ms,
# which is what the process faults measure.
write_config() {
	E2E_BUS_PRIORITY=70 tcp_config "$T/proc.ini" "$SIM_PORT" "[safety]
unit_age_limit_ms = 250"
}

# start_chaird NAME [journal]: chaird as systemd starts it, with its own notify socket
# ($T/NAME.notify, messages in $T/NAME.sd) and stderr in $T/NAME.err (with JOURNAL_STREAM
# naming that file when "journal"); true once it serves. Sets CHAIRD_PID.
start_chaird() {
	name=$1
	"$PY" "$T/notify_sink.py" "$T/$name.notify" "$T/$name.sd" &
	E2E_PIDS="$E2E_PIDS $!"
	wait_for "$T/$name.sd" bound 10
	: >"$T/$name.err"
	journal=
	[ "${2:-}" = journal ] && journal=$(stat -c '%d:%i' "$T/$name.err")
	# exec keeps the shell's pid, so WATCHDOG_PID names chaird; no core files here
	NOTIFY_SOCKET=$T/$name.notify WATCHDOG_USEC=$WATCHDOG_USEC JOURNAL_STREAM=$journal \
		bash -c 'ulimit -c 0; export WATCHDOG_PID=$$; exec "$@"' chaird \
		"$BUILD/chaird" --config "$T/proc.ini" >"$T/$name.out" 2>>"$T/$name.err" &
	CHAIRD_PID=$!
	E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
	wait_for "$T/$name.err" "serving the panel API" 15
}

ctl() { "$BUILD/chairctl" --socket "$T/panel.sock" "$@"; }
# wait_until_status NAME TEXT: the newest STATUS= is TEXT, within 5 s
wait_until_status() {
	for _ in $(seq 50); do
		[ "$(last_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# last_status NAME: the newest STATUS= chaird sent
last_status() { grep 'STATUS=' "$T/$1.sd" | tail -n 1 | sed 's/.*STATUS=//'; }
rpc() { "$PY" "$T/rpc.py" "$T/panel.sock" "$@"; }
count() { grep -c -- "$2" "$1" 2>/dev/null; }

# ack_until_idle: acknowledge until the chair is out of its latch (a drive that tripped
# its own watchdog may take a second window to clear)
ack_until_idle() {
	for _ in 1 2 3; do
		ctl info | grep -q '^chair_state: \(fault\|estop\)$' || return 0
		rpc faults.ack >/dev/null
	done
	! ctl info | grep -q '^chair_state: \(fault\|estop\)$'
}

# wait_traced MS SECONDS: chairsim's truth covers MS
wait_traced() {
	deadline=$(($(date +%s) + $2))
	until tail -n 1 "$SIM_TRACE" 2>/dev/null | awk -v t="$1" '$1 >= t { ok = 1 } END { exit !ok }'; do
		[ "$(date +%s)" -le "$deadline" ] || return 1
		sleep 0.1
	done
}
last_traced() { tail -n 1 "$SIM_TRACE" | cut -d' ' -f1; }

# wait_hold SINCE_MS SECONDS: the roller pressed 20 N or more for the last 300 ms traced
# after SINCE_MS, with the lumbar heater on (coil 10) and the waist bag filling or full
wait_hold() {
	deadline=$(($(date +%s) + $2))
	while [ "$(date +%s)" -le "$deadline" ]; do
		tail -n 400 "$SIM_TRACE" 2>/dev/null | awk -v since="$1" '
			$1 < since || $2 < 20 || substr($5, 10, 1) != 1 || $13 < 5 { start = -1; next }
			start < 0 { start = $1 } { last = $1 }
			END { exit !(start >= 0 && last - start >= 300) }' && return 0
		sleep 0.1
	done
	return 1
}

# visit WHO: a consultation and a session of the installed program; true once it holds
visit() {
	since=$(last_traced)
	ctl consult "$1" --condition back-pain --pain lower-back=6 --goal pain-relief \
		--duration 5 >"$T/consult.out" 2>&1 &&
		ctl scan "$1" --height 200 >/dev/null 2>&1 &&
		ctl session start "$1" --program hold >"$T/start.out" 2>&1 &&
		wait_hold "$since" 60
}

# The truth after chaird's end, found after AT_MS (a ms traced before the signal): the
# last request the DIO module heard from it (column 6 counts the ms since one; the module is
# the last unit of each pass, so no drive heard chaird later), then release_ms (to the
# first force under 5 N), coils_ms (to heater and pump off, vent and the six valves open) and
# whether both held for AFTER_MS; the force, the heater and the waist bag at its end and a
# second after.
aftermath() {
	awk -v after="$1" -v span="$AFTER_MS" '
		function coil(n) { return substr($5, n, 1) + 0 }
		function safe(  n) {
			if (coil(2) || coil(10) || coil(11)) return 0
			for (n = 3; n <= 9; n++) if (!coil(n)) return 0
			return 1
		}
		NR == FNR { if (at == "" && $1 >= after && $6 >= 20) at = $1 - $6; next }
		at == "" || $1 < at { next }
		force == "" { force = $2; heat = coil(10); bag = $13 }
		rel == "" && $2 < 5 { rel = $1 - at; held = 1 }
		coils == "" && safe() { coils = $1 - at; kept = 1 }
		$1 <= at + span {
			if (rel != "" && $2 >= 5) held = 0
			if (coils != "" && !safe()) kept = 0
			bag_end = $13
		}
		END {
			printf("dead_at=%s force_at=%s heat_at=%s release_ms=%s release_held=%d ",
			       at == "" ? "never" : at, force, heat, rel == "" ? 999999 : rel, held)
			printf("coils_ms=%s coils_held=%d bag_at=%s bag_end=%s\n",
			       coils == "" ? 999999 : coils, kept, bag, bag_end)
		}' "$SIM_TRACE" "$SIM_TRACE"
}

# check_safe WHAT AT_MS: the checks on the truth after the event
check_safe() {
	what=$1
	dead_at=never force_at=0 heat_at=0 release_ms=999999 release_held=0 coils_ms=999999
	coils_held=0 bag_at=0 bag_end=0
	eval "$(aftermath "$2")"
	echo "  $what: chaird's last request at ${dead_at} ms, pressing $force_at N; released" \
		"${release_ms} ms after it, heater off and vent open ${coils_ms} ms after it; waist" \
		"bag $bag_at -> $bag_end kPa in ${AFTER_MS} ms"
	check "$what: the roller pressed 20 N or more and the heater was on" \
		awk -v f="$force_at" -v h="$heat_at" 'BEGIN { exit !(f >= 20 && h == 1) }'
	check "$what: true force under 5 N within ${RELEASE_BOUND_MS} ms, and it stays so" \
		[ "$release_ms" -le "$RELEASE_BOUND_MS" -a "$release_held" = 1 ]
	check "$what: heater and pump off, vent and valves open within ${COILS_BOUND_MS} ms, and held" \
		[ "$coils_ms" -le "$COILS_BOUND_MS" -a "$coils_held" = 1 ]
	check "$what: the waist bag vents" \
		awk -v a="$bag_at" -v b="$bag_end" 'BEGIN { exit !(a >= 5 && b < a / 2) }'
}

# check_notify NAME: READY=1 exactly once, and watchdog pings
check_notify() {
	check "$1: READY=1 once" [ "$(count "$T/$1.sd" 'READY=1')" -eq 1 ]
	check "$1: watchdog pings while it runs" [ "$(count "$T/$1.sd" 'WATCHDOG=1')" -ge 5 ]
}

# --- 1. chaird killed with SIGKILL mid-session ------------------------------------------
start_sim sim 0 || fail "chairsim did not start"
write_config
if start_chaird run1; then
	check "run1: STATUS= says the chair is idle and READY=1 comes" \
		wait_for "$T/run1.sd" 'READY=1 | STATUS=idle' 10
	ctl program install "$T/hold.prog" --name hold >/dev/null
	ctl user add ana --height 200 >/dev/null
	ctl user add bo --height 170 >/dev/null
	# A session that ends as it should, to be found whole after the crashes.
	ctl consult ana --condition back-pain --pain lower-back=6 --goal pain-relief \
		--duration 5 >/dev/null && ctl scan ana --height 200 >/dev/null &&
		ctl session start ana --program hold >/dev/null
	wait_for "$T/run1.sd" 'STATUS=running' 30 && ctl session stop >/dev/null &&
		wait_for "$T/run1.sd" 'STATUS=idle, homed' 10 &&
		ctl session finish --pain lower-back=4 >/dev/null
	check "run1: a session finished before the faults" \
		bash -c "'$BUILD/chairctl' --socket '$T/panel.sock' history ana | grep -q ' stopped .*lower-back 6 -> 4'"
	if visit ana; then
		check "run1: STATUS= followed the state (homing, running)" \
			bash -c "grep -q 'STATUS=homing' '$T/run1.sd' && grep -q 'STATUS=running' '$T/run1.sd'"
		check_notify run1
		at=$(last_traced)
		kill -KILL "$CHAIRD_PID"
		wait "$CHAIRD_PID" 2>/dev/null
		check "SIGKILL: chaird died of it" [ $? -eq 137 ]
		wait_traced $((at + AFTER_MS + 200)) 20 && check_safe "SIGKILL" "$at" ||
			fail "SIGKILL: chairsim's trace stopped"
	else
		fail "run1: the session never held"
		tail -5 "$T/run1.err" "$T/start.out"
	fi
else
	fail "run1: chaird did not start"
	tail -20 "$T/run1.err"
fi

# --- 2. restarted; then crashed with SIGABRT mid-session ----------------------------------
if start_chaird run2; then
	check "run2: the restart marks the session it interrupted" \
		grep -q '1 session(s) a crash left running marked interrupted' "$T/run2.err"
	check "run2: READY=1 comes also with the drives' watchdog trips to acknowledge" \
		wait_for "$T/run2.sd" 'READY=1' 10
	check "run2: the acknowledge clears them" ack_until_idle
	if visit ana; then
		check_notify run2
		at=$(last_traced)
		kill -ABRT "$CHAIRD_PID"
		wait "$CHAIRD_PID" 2>/dev/null
		check "SIGABRT: chaird died of it" [ $? -eq 134 ]
		wait_traced $((at + AFTER_MS + 200)) 20 && check_safe "SIGABRT" "$at" ||
			fail "SIGABRT: chairsim's trace stopped"
	else
		fail "run2: the session never held"
		tail -5 "$T/run2.err" "$T/start.out"
	fi
else
	fail "run2: chaird did not start"
	tail -20 "$T/run2.err"
fi

# --- 3. restarted (its stderr the journal); stopped with SIGSTOP mid-session ---------------
if start_chaird run3 journal; then
	check "run3: the restart marks the session the crash interrupted" \
		grep -q '^<4>chaird: 1 session(s) a crash left running marked interrupted' "$T/run3.err"
	check "run3: stderr as the journal: info lines start <6>" \
		grep -q '^<6>chaird: serving the panel API' "$T/run3.err"
	ctl history ana >"$T/history.out" 2>&1
	check "run3: ana's history: the finished session intact, both interrupted ones said so" \
		bash -c "grep -q '^history of ana: 3 sessions$' '$T/history.out' &&
			grep -q ' stopped .*lower-back 6 -> 4' '$T/history.out' &&
			[ \$(grep -c ' interrupted ' '$T/history.out') -eq 2 ]"
	check "run3: users and the installed program kept" \
		bash -c "'$BUILD/chairctl' --socket '$T/panel.sock' user list | grep -q '^bo ' &&
			'$BUILD/chairctl' --socket '$T/panel.sock' program list | grep -q '^hold '"
	check "run3: the fault log kept what the crashes left (the drives' watchdog trips)" \
		bash -c "'$BUILD/chairctl' --socket '$T/panel.sock' faults | grep -q 'code 33072'"
	ack_until_idle
	if visit ana; then
		check_notify run3
		pings=$(count "$T/run3.sd" 'WATCHDOG=1')
		at=$(last_traced)
		kill -STOP "$CHAIRD_PID"
		stopped_s=$(mono)
		wait_traced $((at + AFTER_MS + 200)) 20 && check_safe "SIGSTOP" "$at" ||
			fail "SIGSTOP: chairsim's trace stopped"
		late=$(awk -v t="$stopped_s" '$1 > t + 0.15 && /WATCHDOG=1/' "$T/run3.sd" | wc -l)
		echo "  SIGSTOP: $pings pings before it, $late after it"
		check "SIGSTOP: no watchdog ping from the stopped chaird" [ "$late" -eq 0 ]
		faults=$(count "$T/run3.err" '^<3>chaird: fault ')
		at=$(last_traced)
		kill -CONT "$CHAIRD_PID"
		check "SIGCONT: chaird runs again and latches a fault, logged at err" \
			wait_count "$T/run3.err" '^<3>chaird: fault ' $((faults + 1)) 10
		check "SIGCONT: the pings come again" \
			wait_count "$T/run3.sd" 'WATCHDOG=1' $((pings + 3)) 10
		check "SIGCONT: STATUS= names the fault" wait_for "$T/run3.sd" 'STATUS=fault ' 10
		wait_traced $((at + AFTER_MS)) 20
		check "SIGCONT: the roller never presses again (true force under 5 N)" \
			awk -v at="$at" -v span="$AFTER_MS" '$1 >= at && $1 <= at + span && $2 >= 5 { bad = 1 }
				END { exit bad }' "$SIM_TRACE"
		check "SIGCONT: the session ended in the fault" \
			bash -c "'$BUILD/chairctl' --socket '$T/panel.sock' session status | grep -q '^ended: fault$'"
	else
		fail "run3: the session never held"
		tail -5 "$T/run3.err" "$T/start.out"
	fi

	# --- 4. chairsim restarted under the running chaird -----------------------------------
	check "chairsim restart: the chair acknowledged idle first" ack_until_idle
	faults=$(count "$T/run3.err" '^<3>chaird: fault ')
	kill -KILL "$SIM_PID"
	wait "$SIM_PID" 2>/dev/null
	check "chairsim gone: chaird latches a fault" \
		wait_count "$T/run3.err" '^<3>chaird: fault ' $((faults + 1)) 10
	if start_sim sim2 "$SIM_PORT"; then
		# back on the bus: chaird's requests reach the new chairsim's DIO module (column
		# 6, ms since it heard one), then a second of its time with the bus answering
		bus_heard() {
			tail -n 1 "$SIM_TRACE" 2>/dev/null | awk '$6 < 50 { ok = 1 } END { exit !ok }'
		}
		deadline=$(($(date +%s) + 20))
		until bus_heard || [ "$(date +%s)" -gt "$deadline" ]; do sleep 0.1; done
		wait_traced $(($(last_traced) + 1000)) 20
		check "chairsim back: the fault stays latched, nothing recovers by itself" \
			bash -c "'$BUILD/chairctl' --socket '$T/panel.sock' info | grep -q '^chair_state: fault$'"
		check "chairsim back: STATUS= still names the fault" \
			bash -c "[[ '$(last_status run3)' == 'fault '* ]]"
		acks=$(count "$T/run3.err" '^<5>chaird: fault acknowledged')
		rpc faults.ack >"$T/ack.out"
		check "chairsim back: the acknowledge clears it" grep -q '"cleared": *true' "$T/ack.out"
		check "chairsim back: idle, not homed, after it" \
			bash -c "'$BUILD/chairctl' --socket '$T/panel.sock' info | grep -q '^chair_state: idle$'"
		check "chairsim back: the acknowledge logged at notice" \
			[ "$(count "$T/run3.err" '^<5>chaird: fault acknowledged: the chair is idle, not homed')" -eq $((acks + 1)) ]
		check "chairsim back: STATUS=idle" wait_until_status run3 idle
	else
		fail "chairsim did not start again on port $SIM_PORT"
	fi

	# --- 5. the rt thread alone wedged mid-session ----------------------------------------
	# The fieldbus thread runs on, but writes nothing the tick has not renewed within its
	# late tolerance ([rt] max_late_periods: 200 ms here, 20 on a chair) and leaves the DIO
	# module alone, so the units' own watchdogs let go as if chaird had died.
	visit bo || { fail "run3: the session never held"; tail -5 "$T/run3.err" "$T/start.out"; }
	at=$(last_traced)
	"$PY" "$T/wedge.py" "$CHAIRD_PID" 1.5 >"$T/wedge.out" 2>&1 &
	wedge_pid=$!
	if wait_for "$T/wedge.out" wedged 10; then
		check "wedged rt thread: the main loop sees it and logs it at err" \
			wait_for "$T/run3.err" '^<3>chaird: the rt thread has not ticked for 100 ms' 5
		check "wedged rt thread: the main loop still serves the panel" \
			bash -c "'$BUILD/chairctl' --socket '$T/panel.sock' info >/dev/null"
		check "wedged rt thread: STATUS= says so" \
			wait_for "$T/run3.sd" 'STATUS=rt thread stalled at tick' 5
		wait "$wedge_pid"
		wedged=$(sed -n 's/^wedged //p' "$T/wedge.out")
		released=$(sed -n 's/^released //p' "$T/wedge.out")
		during=$(awk -v a="$wedged" -v b="$released" '$1 > a + 0.25 && $1 < b && /WATCHDOG=1/' \
			"$T/run3.sd" | wc -l)
		echo "  wedged rt thread: $during pings from 250 ms after the wedge to its end"
		check "wedged rt thread: no watchdog ping while it is wedged" [ "$during" -eq 0 ]
		check "wedged rt thread: ticking again, pings again" \
			bash -c "for i in \$(seq 50); do awk -v b='$released' '\$1 > b && /WATCHDOG=1/ { n++ } END { exit !(n >= 2) }' '$T/run3.sd' && exit 0; sleep 0.1; done; exit 1"
		check "wedged rt thread: it latches late when it runs again" \
			wait_for "$T/run3.err" '^<3>chaird: fault late' 5
		wait_traced $((at + AFTER_MS + 500)) 20 && check_safe "wedged rt thread" "$at" ||
			fail "wedged rt thread: chairsim's trace stopped"
	else
		fail "wedged rt thread: could not stop it"
		cat "$T/wedge.out"
	fi

	kill -TERM "$CHAIRD_PID"
	wait "$CHAIRD_PID"
	check "SIGTERM: exit 0 and STOPPING=1" \
		bash -c "[ $? -eq 0 ] && grep -q 'STOPPING=1' '$T/run3.sd'"
else
	fail "run3: chaird did not start"
	tail -20 "$T/run3.err"
fi

if [ "$e2e_failed" -ne 0 ]; then
	for f in "$T"/run*.err "$T"/*.simlog; do
		echo "== $f"
		tail -15 "$f"
	done
fi
echo "e2e_process: $(($(date +%s) - started_s)) s"
e2e_finish
