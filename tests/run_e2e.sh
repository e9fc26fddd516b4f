#!/usr/bin/env bash
# Run every end-to-end script (tests/e2e_*.sh); each ends with "N passed, N failed".
# Close with the totals. E2E_SKIP names scripts to leave out (make test-e2e-asan leaves out
# the install test, which is about the plain build's package).
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
for script in tests/e2e_*.sh; do
	if [[ " ${E2E_SKIP:-} " == *" $(basename "$script") "* ]]; then
		echo "== $script skipped (E2E_SKIP)"
		continue
	fi
	echo "== $script"
	out=$(mktemp)
	started=$SECONDS
	BUILD=${BUILD:-build} bash "$script" 2>&1 | tee "$out"
	echo "== $script took $((SECONDS - started)) s"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
	if [ -z "$line" ]; then
		echo "$script: ended without its summary line"
		failed=$((failed + 1))
	else
		passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
		failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
	fi
	rm -f "$out"
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
