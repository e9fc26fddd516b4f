#!/usr/bin/env bash
# Run every end-to-end script (tests/e2e_*.sh); each ends with "N passed, N failed".
# Close with the totals. E2E_SKIP names scripts to leave out (make test-e2e-asan leaves out
# the install test, which is about the plain build's package). E2E_JOBS=2 runs two scripts
# at a time (each has its own processes, ports and folders; their chaird and chairsim run
# at SCHED_FIFO), each script's output printed whole as it ends; the default is one at a
# time, printed as it runs.
set -u
cd "$(dirname "$0")/.."
jobs=${E2E_JOBS:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0

# run_one SCRIPT OUT: the script, its output in OUT, its time in OUT.took
run_one() {
	started=$SECONDS
	BUILD=${BUILD:-build} bash "$1" >"$2" 2>&1
	echo $((SECONDS - started)) >"$2.took"
}

# tally SCRIPT OUT: the script's summary line into the totals
tally() {
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -1)
	if [ -z "$line" ]; then
		echo "$1: ended without its summary line"
		failed=$((failed + 1))
	else
		passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
		failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
	fi
}

i=0
scripts=()
for script in tests/e2e_*.sh; do
	if [[ " ${E2E_SKIP:-} " == *" $(basename "$script") "* ]]; then
		echo "== $script skipped (E2E_SKIP)"
		continue
	fi
	scripts+=("$script")
	out=$dir/$i
	if [ "$jobs" -le 1 ]; then
		echo "== $script"
		started=$SECONDS
		BUILD=${BUILD:-build} bash "$script" 2>&1 | tee "$out"
		echo "== $script took $((SECONDS - started)) s"
		tally "$script" "$out"
	else
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		run_one "$script" "$out" &
	fi
	i=$((i + 1))
done
if [ "$jobs" -gt 1 ]; then
	wait
	for i in "${!scripts[@]}"; do
		echo "== ${scripts[$i]}"
		cat "$dir/$i"
		echo "== ${scripts[$i]} took $(cat "$dir/$i.took" 2>/dev/null || echo '?') s"
		tally "${scripts[$i]}" "$dir/$i"
	done
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
