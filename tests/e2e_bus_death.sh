#!/usr/bin/env bash
# End to end: what the chair's outputs do when chaird dies or the bus does. chairsim's digital
# IO module (unit 7) has CHAIR.md's host watchdog, which chaird arms at 200 ms. chaird runs
# tests/e2e/heat-air.prog over Modbus TCP, and while the lumbar heater heats, the pump fills
# the waist bag and both recline actuators run, either chaird is killed with SIGKILL or every
# unit of the bus goes deaf (chairsim's --fault-on-usr1, sent once the trace shows that
# moment). Checked on chairsim's truth, traced every ms: heater and pump off, vent and every
# valve open, recline relays off within the watchdog's 200 ms plus 100 ms, and then held; the
# heater's temperature falling, the recline standing still, the bag venting.
# Every process is started here and stopped here. Usage: BUILD=build tests/e2e_bus_death.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
T=$E2E_TMP
WATCHDOG_MS=200
MARGIN_MS=100
AFTER_MS=3000 # how much of the aftermath the checks look at

# The trace (chairsim --trace): 1 time_ms, 2 force_n, 3 y_mm, 4 z_mm, 5 the DIO coils (a
# digit each, coil 0 first), 6 ms since unit 7 heard a request, 7 heater lumbar, 8 heater
# calves, 9 back_deg, 10 leg_deg, 11..16 airbags. Coil digits, 1-based as awk's substr counts:
# pump 2, vent 3, valves 4..9 (waist 6), heat_lumbar 10, heat_calves 11, back_up 12,
# back_down 13, leg_up 14, leg_down 15, buzzer 16, led 17.
AWK_COILS='function coil(n) { return substr($5, n, 1) + 0 }'
# heat, pump and waist valve on, vent shut, the backrest reclining and the legrest rising,
# the heater some way up from the 24 C it starts at
AWK_BUSY='
	function busy() {
		return coil(10) && coil(2) && coil(6) && !coil(3) && coil(13) && coil(14) && $7 >= 24.3
	}'
# CHAIR.md's safe coils: heaters, pump, relays, buzzer and led off; vent and valves open
AWK_SAFE='
	function safe(  n) {
		for (n = 3; n <= 9; n++) if (!coil(n)) return 0
		if (coil(2)) return 0
		for (n = 10; n <= 17; n++) if (coil(n)) return 0
		return 1
	}'

# chaird's config on chairsim at PORT (tcp_config: with the test host's lateness tolerance)
death_config() {
	tcp_config "$1" "$2"
}

# busy_now TRACE: the newest line of the trace shows heat, fill and recline at once
busy_now() {
	tail -n 1 "$1" 2>/dev/null | awk "$AWK_COILS $AWK_BUSY"' { ok = busy() } END { exit !ok }'
}

# trace_covers TRACE MS: the trace has reached simulated time MS
trace_covers() {
	tail -n 1 "$1" 2>/dev/null | awk -v t="$2" '$1 >= t { ok = 1 } END { exit !ok }'
}

# wait_until SECONDS COMMAND...: true once the command succeeds, polled every 0.1 s
wait_until() {
	deadline=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -le "$deadline" ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Figures from the trace after the event at AT_MS, as shell assignments: off_ms (from AT_MS to
# the first line with heater and pump off), quiet (ms unit 7 had gone without a request then),
# safe_at_off and safe_held (the safe coils then and on every later line), heat_rising (the
# heater warmed over the second before the event), heat_at_off, heat_peak_after, heat_end,
# back_moved_before and recline_still (the angles stood still after the cut), waist_at_off,
# waist_1s (the waist bag a second later).
aftermath() {
	awk -v at="$2" -v span="$AFTER_MS" "$AWK_COILS $AWK_SAFE"'
		$1 <= at - 1000 { heat_before = $7; back_before = $9 }
		$1 <= at { back_at = $9 }
		$1 >= at && off == "" && !coil(10) && !coil(2) {
			off = $1; quiet = $6; safe_at_off = safe(); held = 1
			heat_off = $7; peak = $7; back_off = $9; leg_off = $10; waist_off = $13
		}
		off != "" && $1 > off && $1 <= at + span {
			if (!safe()) held = 0
			if ($7 > peak) peak = $7
			if ($9 != back_off || $10 != leg_off) moved = 1
			if ($1 <= off + 1000) waist_1s = $13
			heat_end = $7
		}
		END {
			if (off == "") { print "off_ms=never quiet=0 safe_at_off=0 safe_held=0"; exit }
			printf("off_ms=%d quiet=%d safe_at_off=%d safe_held=%d ", off - at, quiet,
			       safe_at_off, held)
			printf("heat_rising=%d heat_at_off=%s heat_peak_after=%s heat_end=%s ",
			       heat_off > heat_before, heat_off, peak, heat_end)
			printf("back_moved_before=%d recline_still=%d waist_at_off=%s waist_1s=%s\n",
			       back_at > back_before, !moved, waist_off, waist_1s)
		}' "$1"
}

# at_most A B: A is a number no greater than B
at_most() {
	[ "$1" -le "$2" ] 2>/dev/null
}

# check_aftermath WHAT TRACE AT_MS: the checks on the trace after the event at AT_MS
check_aftermath() {
	what=$1
	off_ms=never quiet=0 safe_at_off=0 safe_held=0 heat_rising=0 heat_at_off=0
	heat_peak_after=0 heat_end=0 back_moved_before=0 recline_still=0 waist_at_off=0 waist_1s=0
	eval "$(aftermath "$2" "$3")"
	echo "  $what: heater and pump off ${off_ms} ms after it (unit 7 had heard nothing for" \
		"${quiet} ms); heater ${heat_at_off} -> ${heat_end} C, waist bag ${waist_at_off} ->" \
		"${waist_1s} kPa in 1 s"
	check "$what: the heater was heating and the backrest reclining just before" \
		[ "$heat_rising$back_moved_before" = 11 ]
	check "$what: heater and pump off within ${WATCHDOG_MS} + ${MARGIN_MS} ms" \
		at_most "$off_ms" $((WATCHDOG_MS + MARGIN_MS))
	check "$what: the module's own watchdog cut them (no request for ${WATCHDOG_MS} ms)" \
		at_most "$WATCHDOG_MS" "$quiet"
	check "$what: every coil safe at once: vent and valves open, relays, buzzer and led off" \
		[ "$safe_at_off" = 1 ]
	check "$what: the safe coils held for ${AFTER_MS} ms" [ "$safe_held" = 1 ]
	check "$what: the heater's temperature stopped rising and falls" \
		awk -v a="$heat_at_off" -v p="$heat_peak_after" -v e="$heat_end" \
		'BEGIN { exit !(p <= a + 0.0005 && e < a) }'
	check "$what: the recline stood still from the cut on" [ "$recline_still" = 1 ]
	check "$what: the waist bag vents" \
		awk -v a="$waist_at_off" -v b="$waist_1s" 'BEGIN { exit !(a > 5 && b < a / 2) }'
}

# start_run NAME [CHAIRSIM_ARGS...]: chairsim traced every ms and chaird running the program;
# true once the trace shows heat, fill and recline together. Sets SIM_PID, CHAIRD_PID.
start_run() {
	name=$1
	shift
	# The DIO module's watchdog is what these runs measure; the drives keep theirs through
	# the test host's stalls (tests/e2e/lib.sh, E2E_NO_DRIVE_WATCHDOG).
	start_chairsim_tcp "$name" --seed 9 --trace "$T/$name.trace" --trace-ms 1 \
		$E2E_NO_DRIVE_WATCHDOG "$@" || return 1
	death_config "$T/$name.ini" "$SIM_PORT"
	"$BUILD/chaird" --config "$T/$name.ini" --program tests/e2e/heat-air.prog \
		>"$T/$name.out" 2>&1 &
	CHAIRD_PID=$!
	E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
	# homing first (the carriage may start at the far end), then the program's first seconds
	wait_until 120 busy_now "$T/$name.trace"
}

stop_run() {
	kill "$CHAIRD_PID" 2>/dev/null
	wait "$CHAIRD_PID" 2>/dev/null
	kill "$SIM_PID"
	wait "$SIM_PID" 2>/dev/null
}

# --- chaird killed with SIGKILL mid-session -------------------------------------------------
if start_run kill; then
	pass "SIGKILL: heat, fill and recline all on in the truth"
	kill -9 "$CHAIRD_PID"
	killed_ms=$(tail -n 1 "$T/kill.trace" | cut -d' ' -f1) # the truth's time at the kill
	wait "$CHAIRD_PID" 2>/dev/null
	if wait_until 30 trace_covers "$T/kill.trace" $((killed_ms + AFTER_MS + 100)); then
		check_aftermath "SIGKILL" "$T/kill.trace" "$killed_ms"
	else
		fail "SIGKILL: chairsim's trace stopped"
	fi
	stop_run
	check "SIGKILL: chairsim counts one trip of the DIO watchdog" \
		grep -q ", 1 DIO watchdog trips$" "$T/kill.simlog"
else
	fail "SIGKILL: the run never had heat, fill and recline at once"
	tail -20 "$T/kill.out" "$T/kill.simlog" 2>/dev/null
	stop_run
fi

# --- the whole bus goes deaf mid-session (a cut cable) ----------------------------------------
deaf=()
for unit in drive_y drive_z drive_k drive_t drive_w io dio; do
	deaf+=(--fault-on-usr1 "unit_deaf $unit 0 0")
done
if start_run deaf "${deaf[@]}"; then
	pass "dead bus: heat, fill and recline all on in the truth"
	kill -USR1 "$SIM_PID"
	if wait_for "$T/deaf.simlog" "SIGUSR1 at [0-9]* ms: 7 faults armed" 10; then
		deaf_ms=$(sed -n 's/^chairsim: SIGUSR1 at \([0-9]*\) ms.*/\1/p' "$T/deaf.simlog")
		if wait_until 30 trace_covers "$T/deaf.trace" $((deaf_ms + AFTER_MS + 100)); then
			check_aftermath "dead bus" "$T/deaf.trace" "$deaf_ms"
		else
			fail "dead bus: chairsim's trace stopped"
		fi
		# chaird lives on and latches the stale units; its safe state never arrives
		check "dead bus: chaird latches the units gone stale" \
			wait_for "$T/deaf.out" "unit_stale" 30
	else
		fail "dead bus: chairsim never armed the faults"
	fi
	stop_run
else
	fail "dead bus: the run never had heat, fill and recline at once"
	tail -20 "$T/deaf.out" "$T/deaf.simlog" 2>/dev/null
	stop_run
fi

e2e_finish
