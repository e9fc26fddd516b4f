#!/usr/bin/env bash
# Run every cmocka suite given on the command line from the repository root, as many at a
# time as there are CPUs (UNIT_JOBS overrides), keep each suite's own summary lines, printed
# whole and in the order given, and close with the totals of test cases. The suites that
# run on the host's real time (a real-time loop, a bus on a pty or loopback with its
# response timeouts) run alone after the others, so another suite's load is never theirs.
# RUN_UNDER runs each suite under a tool (make test-valgrind: RUN_UNDER="valgrind ...");
# UNIT_ALONE names more suites to run alone.
set -u
jobs=${UNIT_JOBS:-$(nproc 2>/dev/null || echo 1)}
alone=" test_rt test_modbus_bus test_methods test_gpio_gpiod ${UNIT_ALONE:-} "
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

run_one() {
	${RUN_UNDER:-} "$1" >"$dir/$2.out" 2>&1
	echo $? >"$dir/$2.rc"
}

i=0
for bin in "$@"; do
	if [[ "$alone" != *" $(basename "$bin") "* ]]; then
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		run_one "$bin" "$i" &
	fi
	i=$((i + 1))
done
wait
i=0
for bin in "$@"; do
	[[ "$alone" == *" $(basename "$bin") "* ]] && run_one "$bin" "$i"
	i=$((i + 1))
done

passed=0
failed=0
broken=()
i=0
for bin in "$@"; do
	name=$(basename "$bin")
	out="$dir/$i.out"
	rc=$(cat "$dir/$i.rc" 2>/dev/null || echo 1)
	cat "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:$/\1/p' "$out" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		broken+=("$name")
		# A suite that crashed before its summary counts as one failure.
		[ -z "$f" ] && failed=$((failed + 1))
	fi
	i=$((i + 1))
done
[ ${#broken[@]} -gt 0 ] && echo "failing suites: ${broken[*]}"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#broken[@]} -eq 0 ]
