#!/usr/bin/env bash
# The demo: the simulated chair (chairsim) and the controller (chaird) as two processes
# over Modbus TCP on loopback, running the built-in demo routine in real time.
# Usage: sim/demo.sh [BUILD_DIR]
set -eu
build=${1:-build}
tmp=$(mktemp -d)
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$build/chairsim" --modbus tcp:127.0.0.1:0 --seed 1 --status-fd 3 3>"$tmp/status" \
	2>"$tmp/chairsim.log" &
sim_pid=$!
for _ in $(seq 100); do
	grep -q listening "$tmp/status" 2>/dev/null && break
	sleep 0.05
done
port=$(sed -n 's/^listening tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/status")
[ -n "$port" ] || { cat "$tmp/chairsim.log" >&2; echo "demo: chairsim did not start" >&2; exit 1; }
echo "chairsim: the simulated chair on Modbus TCP 127.0.0.1:$port"
# A development machine is no real-time board: a stall of some tens of ms is the host's,
# not the chair's, so the demo tolerates 200 missed periods (a chair ships with 20).
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
INI
"$build/chaird" --config "$tmp/chair.ini" --demo
