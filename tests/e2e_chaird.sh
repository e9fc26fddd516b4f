#!/usr/bin/env bash
# End to end: chaird as a process against chairsim as a process, over Modbus TCP on
# loopback and over RTU on a socat pty pair; bus faults injected in chairsim; bad inputs
# refused before anything moves; chaird driving a drive emulated with pymodbus.
# Every process is started here and stopped here. Usage: BUILD=build tests/e2e_chaird.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
T=$E2E_TMP

# --- refusals: a clear error, exit 2, and never a started chair ---------------------------
printf '[axis.y]\nspeed_max_mm_s = 900\n' >"$T/bad.ini"
"$BUILD/chaird" --config "$T/bad.ini" --demo --lockstep >"$T/bad.out" 2>&1
rc=$?
check "bad config: exit 2" [ "$rc" -eq 2 ]
check "bad config: names file, line and key" \
	grep -q "bad.ini:2: \[axis.y\] speed_max_mm_s = 900: out of range" "$T/bad.out"
check "bad config: chaird never started" bash -c "! grep -q 'running on' '$T/bad.out'"

printf 'program "x"\nkneed lower-back for 1m\n' >"$T/bad.prog"
"$BUILD/chaird" --program "$T/bad.prog" --lockstep >"$T/badprog.out" 2>&1
rc=$?
check "bad program: exit 2 with a did-you-mean" \
	bash -c "[ $rc -eq 2 ] && grep -q \"bad.prog:2:1: error: .*did you mean 'knead'\" '$T/badprog.out'"
check "bad program: chaird never started" bash -c "! grep -q 'running on' '$T/badprog.out'"

tcp_config "$T/nobody.ini" 1
"$BUILD/chaird" --config "$T/nobody.ini" --duration-s 1 >"$T/nobody.out" 2>&1
rc=$?
# Nothing answers at all, so no unit can be blamed: the message names the endpoint.
check "no Modbus server: exit 2 naming the endpoint" \
	bash -c "[ $rc -eq 2 ] && grep -q 'Modbus tcp 127.0.0.1:1: cannot connect' '$T/nobody.out'"

# The server answers but one unit does not: that unit is named.
if start_chairsim_tcp mute --seed 4 --fault "unit_silent drive_t 0 0"; then
	tcp_config "$T/mute.ini" "$SIM_PORT"
	"$BUILD/chaird" --config "$T/mute.ini" --duration-s 1 >"$T/mute.out" 2>&1
	rc=$?
	check "a unit silent from the start: exit 2 with the unit named" \
		bash -c "[ $rc -eq 2 ] && grep -q 'unit 4 (drive_t) has not answered' '$T/mute.out'"
	kill "$SIM_PID"
	wait "$SIM_PID" 2>/dev/null
else
	fail "silent from the start: chairsim did not start"
fi

# --- docs/configuration.md is the parser's own key table ------------------------------------
"$BUILD/chaird" --config-keys >"$T/keys.md"
check "docs/configuration.md lists exactly the keys chaird accepts" \
	bash -c "sed -n '/^| section/,\$p' docs/configuration.md | diff -q - '$T/keys.md' >/dev/null"

# --- without the privilege for SCHED_FIFO: the sim runs, hardware only when allowed -------
# setpriv drops CAP_SYS_NICE (the tests run as root), so the kernel refuses SCHED_FIFO.
if command -v setpriv >/dev/null; then
	no_fifo() { setpriv --inh-caps=-sys_nice --bounding-set=-sys_nice "$BUILD/chaird" "$@"; }
	daemon_keys >"$T/daemon.ini"
	no_fifo --config "$T/daemon.ini" --duration-s 1 >"$T/nofifo.out" 2>&1
	rc=$?
	check "no SCHED_FIFO, sim backend: warns and runs at normal priority" \
		bash -c "[ $rc -eq 0 ] && grep -q 'SCHED_FIFO priority 80 refused' '$T/nofifo.out' && grep -q 'running on the sim backend, normal priority' '$T/nofifo.out'"
	if start_chairsim_tcp nofifo --seed 9; then
		# Its fieldbus thread has no SCHED_FIFO either.
		E2E_BUS_PRIORITY=0 tcp_config "$T/nofifo_hw.ini" "$SIM_PORT"
		no_fifo --config "$T/nofifo_hw.ini" --duration-s 1 >"$T/nofifo_hw.out" 2>&1
		rc=$?
		check "no SCHED_FIFO, modbus backend: exit 2, refused naming what is missing and allow_soft_realtime" \
			bash -c "[ $rc -eq 2 ] && grep -q 'refusing to drive the modbus backend without real time (missing: SCHED_FIFO priority 80)' '$T/nofifo_hw.out' && grep -q 'allow_soft_realtime = true' '$T/nofifo_hw.out'"
		check "no SCHED_FIFO, modbus backend: never reported running" \
			bash -c "! grep -q 'running on' '$T/nofifo_hw.out'"
		E2E_BUS_PRIORITY=0 tcp_config "$T/soft.ini" "$SIM_PORT"
		printf '[rt]\nallow_soft_realtime = true\n' >>"$T/soft.ini"
		no_fifo --config "$T/soft.ini" --duration-s 1 >"$T/soft.out" 2>&1
		rc=$?
		check "no SCHED_FIFO, modbus backend, allow_soft_realtime = true: warns and runs" \
			bash -c "[ $rc -eq 0 ] && grep -q 'SCHED_FIFO priority 80 refused' '$T/soft.out' && grep -q 'running on the modbus backend, normal priority' '$T/soft.out'"
		# With SCHED_FIFO but a CPU that does not exist, pinning is what is missing.
		tcp_config "$T/nocpu_hw.ini" "$SIM_PORT"
		printf '[rt]\ncpu = 1023\n' >>"$T/nocpu_hw.ini"
		"$BUILD/chaird" --config "$T/nocpu_hw.ini" --duration-s 1 >"$T/nocpu_hw.out" 2>&1
		rc=$?
		check "no CPU 1023, modbus backend: exit 2, an affinity error and not a SCHED_FIFO one" \
			bash -c "[ $rc -eq 2 ] && grep -q 'cannot pin to CPU 1023' '$T/nocpu_hw.out' && grep -q '(missing: pinning to CPU 1023)' '$T/nocpu_hw.out' && ! grep -q 'SCHED_FIFO priority 80 refused' '$T/nocpu_hw.out'"
		[ "$e2e_failed" -eq 0 ] || cat "$T/nofifo_hw.out" "$T/soft.out" "$T/nocpu_hw.out"
		kill "$SIM_PID"
		wait "$SIM_PID" 2>/dev/null
	else
		fail "no SCHED_FIFO, modbus backend: chairsim did not start"
	fi
fi

# --- the in-process simulated chair ---------------------------------------------------------
"$BUILD/chaird" --demo --lockstep >"$T/demo.out" 2>&1
rc=$?
check "demo in lockstep: finishes without a fault" \
	bash -c "[ $rc -eq 0 ] && grep -q 'faults: *0' '$T/demo.out'"

# --- console: a refused line sends nothing (over-long lines ending in home, words after cap) -
# The input is all there before chaird starts, so in lockstep it is read within the first ticks
# of virtual time, before anything else can happen to the chair: no timing in it. Seed 2 is
# a person whose roller starts off the body (a roller found pressing homes by itself).
junk=$(printf '%300s' '' | tr ' ' x)
{
	printf '%shome\n' "${junk:0:255}" "${junk:0:256}" "$junk"
	printf 'cap 50 extra\ncap 0x78\ncap inf\ncap 1e400\nhome x\n\r\ncap 50.5\r\nstatus\n'
} >"$T/junk.in"
"$BUILD/chaird" --lockstep --console --seed 2 <"$T/junk.in" >"$T/junk.out" 2>&1
check "console: each over-long line is one error, and no word of it a command" \
	bash -c "[ \$(grep -c '^error' '$T/junk.out') -eq 8 ] && [ \$(grep -c '^error: line too long (max 255 bytes)$' '$T/junk.out') -eq 3 ]"
check "console: trailing words, hex, inf and exponents refused" \
	bash -c "[ \$(grep -c \"^error: 'cap' takes\" '$T/junk.out') -eq 4 ] && grep -q \"^error: 'home' takes no value\" '$T/junk.out'"
check "console: no homing started, only the decimal cap taken, the chair idle throughout" \
	bash -c "! grep -q 'homing\|ok home\|^fault' '$T/junk.out' && [ \$(grep -c '^ok cap$' '$T/junk.out') -eq 1 ] && grep -q '^status state idle homed 0 .* cap_n 50.5 ' '$T/junk.out'"
[ "$e2e_failed" -eq 0 ] || cat "$T/junk.out"

# --- Modbus TCP: a whole program ------------------------------------------------------------
if start_chairsim_tcp tcp --seed 5 $E2E_NO_DRIVE_WATCHDOG; then
	tcp_config "$T/tcp.ini" "$SIM_PORT"
	"$BUILD/chaird" --config "$T/tcp.ini" --program tests/e2e/short.prog >"$T/tcp.out" 2>&1
	rc=$?
	check "TCP: the program runs to its end without a fault" \
		bash -c "[ $rc -eq 0 ] && grep -q 'faults: *0' '$T/tcp.out' && grep -q 'ended: *idle' '$T/tcp.out'"
	check "TCP: every unit talked to" grep -q "unit dio: transactions [1-9]" "$T/tcp.out"
	[ "$e2e_failed" -eq 0 ] || cat "$T/tcp.out" "$T/tcp.simlog"
	kill "$SIM_PID"
	wait "$SIM_PID" 2>/dev/null
else
	fail "TCP: chairsim did not start"
fi

# --- Modbus RTU at 115200 baud through a socat pty pair -------------------------------------
if run_rtu rtu $E2E_NO_DRIVE_WATCHDOG; then
	check "RTU: the program runs to its end without a fault" rtu_ran_clean rtu
else
	fail "RTU: no socat pty pair"
fi

# --- RTU with 1 % bad CRCs: real checksums broken on the line -------------------------------
if run_rtu rtucrc --bad-crc 1 $E2E_NO_DRIVE_WATCHDOG; then
	check "RTU 1 % bad CRC: the program still finishes without a fault" rtu_ran_clean rtucrc
	check "RTU 1 % bad CRC: chaird counts crc_errors" \
		grep -Eq "unit [a-z_]+: transactions [0-9]+ timeouts [0-9]+ crc_errors [1-9]" "$T/rtucrc.out"
	check "RTU 1 % bad CRC: chairsim sent them" grep -q "bad_crc [1-9]" "$T/rtucrc.simlog"
else
	fail "RTU 1 % bad CRC: no socat pty pair"
fi

# --- pressing runs for bus faults: a hold on L4, a fault at a traced moment ---------------
# release_after TRACE AT_MS: traced ms from AT_MS to the first under 5 N (nothing: never)
release_after() { awk -v at="$2" '$1 >= at && $2 < 5 { print $1 - at; exit }' "$1"; }
# force_at TRACE AT_MS: the true force traced at AT_MS
force_at() { awk -v at="$2" '$1 >= at { print $2; exit }' "$1"; }
# wait_traced TRACE MS SECONDS: chairsim has traced past MS
wait_traced() {
	deadline=$(($(date +%s) + $3))
	until awk -v t="$2" '$1 >= t { found = 1 } END { exit !found }' "$1" 2>/dev/null; do
		[ "$(date +%s)" -le "$deadline" ] || return 1
		sleep 0.2
	done
}
# wait_held TRACE SECONDS: the roller has pressed 20 N or more for the last 2 s traced; the
# last traced ms on stdout
wait_held() {
	deadline=$(($(date +%s) + $2))
	while [ "$(date +%s)" -le "$deadline" ]; do
		t=$(awk 'BEGIN { since = -1 } $2 < 20 { since = -1; next } since < 0 { since = $1 }
			{ last = $1 }
			END { if (since >= 0 && last - since >= 2000) print last }' "$1" 2>/dev/null)
		[ -n "$t" ] && { echo "$t"; return 0; }
		sleep 0.2
	done
	return 1
}
# press_held NAME CHAIRSIM_ARGS...: chairsim (traced every ms into $T/NAME.trace) and chaird
# running tests/e2e/press.prog, homed and started from its console (fd 7); CHAIRD_PID.
press_held() {
	name=$1
	shift
	start_chairsim_tcp "$name" --seed 7 --trace "$T/$name.trace" --trace-ms 1 "$@" || return 1
	tcp_config "$T/$name.ini" "$SIM_PORT"
	mkfifo "$T/$name.in"
	"$BUILD/chaird" --config "$T/$name.ini" --program tests/e2e/press.prog --console \
		<"$T/$name.in" >"$T/$name.out" 2>&1 &
	CHAIRD_PID=$!
	E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
	exec 7>"$T/$name.in"
	echo home >&7
	wait_for "$T/$name.out" "state idle homed" 30 && echo start >&7
	wait_for "$T/$name.out" "state running" 10
}
# press_done: quit chaird (in a subshell: a killed chaird's console pipe would SIGPIPE this
# shell) and stop chairsim
press_done() {
	(echo quit >&7) 2>/dev/null
	exec 7>&-
	wait "$CHAIRD_PID" 2>/dev/null
	kill "$SIM_PID"
	wait "$SIM_PID" 2>/dev/null
}
# strike_held NAME: once the roller has held 20 N or more for 2 s, chairsim is sent SIGUSR1
# and arms its --fault-on-usr1 faults; the traced ms they count from on stdout (they strike
# while the roller holds, whatever homing took)
strike_held() {
	wait_held "$T/$1.trace" 90 >/dev/null || return 1
	kill -USR1 "$SIM_PID"
	wait_for "$T/$1.simlog" "SIGUSR1 at [0-9]* ms: 1 faults armed" 10 || return 1
	sed -n 's/^chairsim: SIGUSR1 at \([0-9]*\) ms.*/\1/p' "$T/$1.simlog"
}
# check_released NAME WHAT AT_MS: pressing at AT_MS, let go within 150 ms of it
check_released() {
	pressing=$(force_at "$T/$1.trace" "$3")
	release_ms=$(release_after "$T/$1.trace" "$3")
	echo "  $2: pressing ${pressing:-?} N, released ${release_ms:-never} ms after"
	check "$2: the roller held 20 N or more when it happened" \
		awk -v f="${pressing:-0}" 'BEGIN { exit !(f >= 20) }'
	check "$2: released within 150 ms" [ "${release_ms:-999999}" -le 150 ]
}

# --- unit 2 stops answering mid-press; acknowledge; run again -------------------------------
if press_held silent --fault-on-usr1 "unit_silent drive_z 0 0 3000" $E2E_NO_DRIVE_WATCHDOG; then
	check "silent unit: the press runs" wait_for "$T/silent.out" "state running" 1
	fault_at_ms=$(strike_held silent) || fault_at_ms=-1
	check "silent unit: struck while the roller held" [ "$fault_at_ms" -ge 0 ]
	check "silent unit: the fault names Modbus unit 2" \
		wait_for "$T/silent.out" "fault unit_stale.*Modbus unit 2" 60
	# Acknowledged while the unit is still silent: answered when the window closes, refused,
	# naming the cause; the fault log prints with the image the fault was seen in.
	echo ack >&7
	check "silent unit: an acknowledge while it is silent is refused naming the cause" \
		wait_for "$T/silent.out" "^refused ack: the cause of the fault is still present: unit_stale" 10
	echo faults >&7
	check "silent unit: the fault log prints the record with its process image" \
		wait_for "$T/silent.out" "^faults   drive Z status" 10
	# The truth from chairsim, traced every ms: the controller commands the release once the
	# data is older than the age limit (100 ms); the fault reaches the console before chairsim
	# has lived through the release, so wait for its trace to cover it.
	check "silent unit: chairsim traced past the release" \
		wait_traced "$T/silent.trace" $((fault_at_ms + 500)) 30
	check_released silent "silent unit" "$fault_at_ms"
	# silent for 3 s: chairsim has lived half a second past that, the unit answering again
	wait_traced "$T/silent.trace" $((fault_at_ms + 3500)) 30
	echo ack >&7
	check "silent unit: acknowledged once the unit answers" wait_for "$T/silent.out" "ok ack" 10
	check "silent unit: idle, not homed, after the acknowledge" \
		wait_for "$T/silent.out" "^state idle$" 10
	echo home >&7
	check "silent unit: homes again" wait_count "$T/silent.out" "state idle homed" 2 30
	echo start >&7
	check "silent unit: the session runs again" wait_count "$T/silent.out" "state running" 2 30
	echo stop >&7
	wait_for "$T/silent.out" "ok stop" 10
	[ "$e2e_failed" -eq 0 ] || cat "$T/silent.out" "$T/silent.simlog"
	press_done
else
	fail "silent unit: chairsim or chaird did not start"
	press_done
fi

# --- nobody can command the release: Z deaf, Z refusing every request, chaird killed ------
# Then only the Z drive's own comm watchdog lets go of the body. Its timeout follows the bus
# (60 ms on TCP at cycle_ms 1, docs/safety.md): the hold of tests/e2e/press.prog must be
# released (true force under 5 N) within 150 ms of the fault, on chairsim's 1 ms trace.
for wire in deaf exception; do
	if [ $wire = deaf ]; then spec="unit_deaf drive_z 0 0 3000"; what="Z deaf"
	else spec="exception drive_z 4 0 3000"; what="Z answering exception 4"; fi
	if press_held "rel_$wire" --fault-on-usr1 "$spec" $E2E_BYSTANDERS; then
		fault_at_ms=$(strike_held "rel_$wire") || fault_at_ms=-1
		check "$what: struck while the roller held" [ "$fault_at_ms" -ge 0 ]
		check "$what: chairsim traced past the release" \
			wait_traced "$T/rel_$wire.trace" $((fault_at_ms + 500)) 90
		check_released "rel_$wire" "$what" "$fault_at_ms"
		[ $wire = exception ] && check "$what: chaird latches the exception from Modbus unit 2" \
			wait_for "$T/rel_$wire.out" "fault bus_exception.*unit 2.*exception 4" 10
		[ "$e2e_failed" -eq 0 ] || cat "$T/rel_$wire.out" "$T/rel_$wire.simlog"
		press_done
	else
		fail "$what: chairsim or chaird did not start"
		cat "$T/rel_$wire.out" "$T/rel_$wire.simlog" 2>/dev/null | tail -20
		press_done
	fi
done

if press_held rel_kill $E2E_BYSTANDERS; then
	# The last ms traced before the kill: chaird's last write was no earlier than that.
	if killed_at_ms=$(wait_held "$T/rel_kill.trace" 90); then
		{ kill -9 "$CHAIRD_PID" && wait "$CHAIRD_PID"; } 2>/dev/null # no "Killed" notice
		check "chaird killed: chairsim traced past the release" \
			wait_traced "$T/rel_kill.trace" $((killed_at_ms + 500)) 30
		check_released rel_kill "chaird killed with SIGKILL" "$killed_at_ms"
	else
		fail "chaird killed: the roller never held 20 N for 2 s"
	fi
	[ "$e2e_failed" -eq 0 ] || cat "$T/rel_kill.out"
	press_done
else
	fail "chaird killed: chairsim or chaird did not start"
	press_done
fi

# --- 1 % bad CRCs: the session finishes, the counters show the errors -----------------------
if start_chairsim_tcp crc --seed 8 --bad-crc 1 $E2E_NO_DRIVE_WATCHDOG; then
	tcp_config "$T/crc.ini" "$SIM_PORT"
	"$BUILD/chaird" --config "$T/crc.ini" --program tests/e2e/short.prog >"$T/crc.out" 2>&1
	rc=$?
	check "1 % bad CRC: the program still finishes without a fault" \
		bash -c "[ $rc -eq 0 ] && grep -q 'faults: *0' '$T/crc.out'"
	grep -q 'faults: *0' "$T/crc.out" || grep -i "fault" "$T/crc.out"
	check "1 % bad CRC: chaird counts the errors" \
		grep -Eq "unit drive_z: transactions [0-9]+ timeouts [0-9]+ crc_errors [1-9]" "$T/crc.out"
	kill "$SIM_PID"
	wait "$SIM_PID" 2>/dev/null
	grep -q "bad_crc [1-9]" "$T/crc.simlog" && pass "1 % bad CRC: chairsim sent them" ||
		fail "1 % bad CRC: chairsim sent them"
else
	fail "1 % bad CRC: chairsim did not start"
fi

# --- wire faults on a schedule: an exception for 500 ms, then the acknowledge succeeds -----
printf '# exception from drive K for 0.5 s, then 5 %% bad answers for 1 s\nexception drive_k 4 2000 500\nbad_crc - 5 3000 1000\n' \
	>"$T/wire.scenario"
if start_chairsim_tcp wire --seed 7 --scenario "$T/wire.scenario" $E2E_NO_DRIVE_WATCHDOG; then
	tcp_config "$T/wire.ini" "$SIM_PORT"
	mkfifo "$T/wire.in"
	"$BUILD/chaird" --config "$T/wire.ini" --console <"$T/wire.in" >"$T/wire.out" 2>&1 &
	CHAIRD_PID=$!
	E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
	exec 6>"$T/wire.in"
	check "scheduled exception: the fault names exception 4 from Modbus unit 3" \
		wait_for "$T/wire.out" "fault bus_exception.*unit 3.*exception 4" 10
	sleep 3 # past the exception and the bad answers
	echo ack >&6
	check "scheduled exception: acknowledged once the unit answers again" \
		wait_for "$T/wire.out" "ok ack" 10
	echo quit >&6
	exec 6>&-
	wait "$CHAIRD_PID" 2>/dev/null
	kill "$SIM_PID"
	wait "$SIM_PID" 2>/dev/null
	check "scheduled exception: chairsim answered drive_k with exceptions" \
		grep -Eq "unit drive_k: .* exceptions [1-9]" "$T/wire.simlog"
	check "scheduled bad CRC: chairsim broke answers in its window" \
		grep -q "bad_crc [1-9]" "$T/wire.simlog"
	[ "$e2e_failed" -eq 0 ] || cat "$T/wire.out"
else
	fail "scheduled wire faults: chairsim did not start"
fi

# --- a drive written elsewhere: pymodbus ------------------------------------------------------
if /usr/bin/python3 -c 'import pymodbus' 2>/dev/null; then
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	/usr/bin/python3 tests/pymodbus_drive.py --port "$port" --io 6 --dio 7 --log "$T/py.log" \
		--status-fd 3 3>"$T/py.status" 2>"$T/py.err" &
	E2E_PIDS="$E2E_PIDS $!"
	if wait_for "$T/py.status" listening 15; then
		# Answers within 50 ms, so that the 100 ms drive watchdog set here (the most a TCP
		# chair may have, docs/safety.md) survives a lost frame.
		tcp_config "$T/py.ini" "$port" "response_timeout_ms = 50"
		printf '[safety]\nunit_age_limit_ms = 500\ndrive_comm_timeout_ms = 100\n' >>"$T/py.ini"
		mkfifo "$T/py.in"
		"$BUILD/chaird" --config "$T/py.ini" --console <"$T/py.in" >"$T/py.out" 2>&1 &
		CHAIRD_PID=$!
		E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
		exec 5>"$T/py.in"
		echo home >&5
		sleep 1.5
		echo "cap 45" >&5
		sleep 0.5
		echo quit >&5
		exec 5>&-
		wait "$CHAIRD_PID" 2>/dev/null
		# unit 1 (Y) homes at 80 mm/s: -800 in 0.1 mm/s; unit 2 (Z) carries the force bound
		# under the cap as its force limit (cap - max(1.5 N, 3 %)): 60 N gives 58.2 N, 582,
		# then 45 N gives 43.5 N, 435, in 0.1 N; every drive gets the 100 ms watchdog the
		# file sets; width (unit 5) is in position mode (control 5).
		check "pymodbus: Y velocity in 0.1 mm/s" \
			grep -Eq "write unit=1 addr=0 values=1,[0-9]+,64736,[0-9]+,4000,100" "$T/py.log"
		check "pymodbus: Z force limit at the bound under the cap in 0.1 N" \
			grep -Eq "write unit=2 addr=0 values=1,[0-9]+,[0-9]+,582,4000,100" "$T/py.log"
		check "pymodbus: a lower cap arrives as its bound, 435" \
			grep -Eq "write unit=2 addr=0 values=1,[0-9]+,[0-9]+,435,4000,100" "$T/py.log"
		check "pymodbus: width drive in position mode" \
			grep -Eq "write unit=5 addr=0 values=5,[0-9]+,200," "$T/py.log"
	else
		fail "pymodbus: the emulated drive did not start"
	fi
else
	fail "pymodbus: python3-pymodbus is not installed"
fi

e2e_finish
