#!/usr/bin/env bash
# Run every cmocka suite given on the command line from the repository root, keep each
# suite's own summary lines, and close with the totals of test cases.
set -u
passed=0
failed=0
broken=()
for bin in "$@"; do
	name=$(basename "$bin")
	out=$(mktemp)
	"$bin" >"$out" 2>&1
	rc=$?
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
	rm -f "$out"
done
[ ${#broken[@]} -gt 0 ] && echo "failing suites: ${broken[*]}"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#broken[@]} -eq 0 ]
