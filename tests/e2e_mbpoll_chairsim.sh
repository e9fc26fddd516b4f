#!/usr/bin/env bash
# Interoperability: Debian's mbpoll (Modbus software written elsewhere) reads and writes
# chairsim's registers at the addresses of CHAIR.md. Starts its own chairsim on a free
# loopback port and stops it again. Usage: tests/e2e_mbpoll_chairsim.sh [BUILD_DIR]
set -u
build=${1:-${BUILD:-build}}
chairsim=$build/chairsim
tmp=$(mktemp -d)
pid=
fails=0
checks=0

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# check NAME: count one check; a check passes when nothing failed since the last one
check() {
	checks=$((checks + 1))
	if [ "$fails" -eq "$fails_before" ]; then echo "PASS: $1"; else failed_checks=$((failed_checks + 1)); fi
	fails_before=$fails
}
fails_before=0
failed_checks=0

command -v mbpoll >/dev/null || { echo "FAIL: mbpoll not installed"; echo "0 passed, 1 failed"; exit 1; }

"$chairsim" --modbus tcp:127.0.0.1:0 --seed 3 --status-fd 3 3>"$tmp/status" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do
	grep -q listening "$tmp/status" 2>/dev/null && break
	sleep 0.05
done
port=$(sed -n 's/^listening tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/status")
[ -n "$port" ] || { cat "$tmp/log" >&2; echo "FAIL: chairsim did not listen"; echo "0 passed, 1 failed"; exit 1; }

# mbpoll -0: PDU addresses (register 0 is reference 0), one poll, values one per line
poll() { # UNIT TYPE REF COUNT [VALUES...]
	unit=$1 type=$2 ref=$3 count=$4
	shift 4
	if [ $# -gt 0 ]; then
		mbpoll -m tcp -p "$port" -a "$unit" -t "$type" -0 -r "$ref" -1 -o 0.5 127.0.0.1 "$@" \
			>"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; return 1; }
	else
		mbpoll -m tcp -p "$port" -a "$unit" -t "$type" -0 -r "$ref" -c "$count" -1 -o 0.5 \
			127.0.0.1 >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; return 1; }
		sed -n 's/^\[[0-9]*\]:[[:space:]]*\([0-9-]*\).*/\1/p' "$tmp/out" | tr '\n' ' '
	fi
}

# every drive: input registers 0..6, status has "ready", temperature (reg 6) plausible
for unit in 1 2 3 4 5; do
	set -- $(poll "$unit" 3 0 7) || fail "drive $unit: input registers not readable"
	[ $# -eq 7 ] || { fail "drive $unit: expected 7 input registers, got $#"; continue; }
	[ $(($1 & 1)) -eq 1 ] || fail "drive $unit: status $1 lacks bit0 ready"
	[ "$7" -gt 100 ] && [ "$7" -lt 600 ] || fail "drive $unit: temperature $7 (0.1 degC)"
done
check "mbpoll reads the five drives' input registers 0-6"

# drive Y holding registers 0..5 take a write (signed values as two's complement) and read back
poll 1 4 0 6 0 65215 65036 0 4000 200 || fail "drive 1: holding registers not writable"
got=$(poll 1 4 0 6)
[ "$got" = "0 65215 65036 0 4000 200 " ] || fail "drive 1: holding registers read back '$got'"
check "mbpoll writes drive 1's holding registers 0-5 and reads them back"

# IO module: 13 input registers, supply (reg 10) around 24 V in 0.1 V
set -- $(poll 6 3 0 13) || fail "IO module: input registers not readable"
[ $# -eq 13 ] || fail "IO module: expected 13 input registers, got $#"
[ $# -ge 11 ] && { [ "${11}" -ge 200 ] && [ "${11}" -le 300 ] || fail "IO module: supply ${11}"; }
check "mbpoll reads the IO module's 13 input registers"

# DIO module: discrete inputs 0..8, estop_n (0) reads 1 while released
set -- $(poll 7 1 0 9) || fail "DIO module: discrete inputs not readable"
[ $# -eq 9 ] || fail "DIO module: expected 9 discrete inputs, got $#"
[ "${1:-}" = 1 ] || fail "DIO module: estop_n reads '${1:-}', expected 1 (released)"
check "mbpoll reads the digital IO module's discrete inputs"

# DIO coils 0..16: write the buzzer (15) and led (16), read back
poll 7 0 15 2 1 1 || fail "DIO module: coils not writable"
got=$(poll 7 0 0 17)
[ "$got" = "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 " ] || fail "DIO module: coils read back '$got'"
check "mbpoll writes the digital IO module's coils and reads them back"

# a unit id nobody has: no answer
if mbpoll -m tcp -p "$port" -a 42 -t 3 -0 -r 0 -c 1 -1 -o 0.2 127.0.0.1 >/dev/null 2>&1; then
	fail "unit 42 answered"
fi
check "a unit id nobody has gets no answer"

kill "$pid"
wait "$pid"
status=$?
pid=
[ $status -eq 0 ] || fail "chairsim exited with $status on SIGTERM"
grep -q "unit drive_y: requests" "$tmp/log" || fail "chairsim printed no summary"
check "chairsim stops on SIGTERM with its summary"

echo "$((checks - failed_checks)) passed, $failed_checks failed"
[ "$failed_checks" -eq 0 ]
