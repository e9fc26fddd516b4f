#!/bin/sh
# The kept fuzz inputs in make test: run_regress.sh BINDIR TARGET...
# Every seed (tests/fuzz/corpus/TARGET/) and regression input (tests/fuzz/regress/TARGET/)
# goes through BINDIR/fuzz_TARGET, the target built without libFuzzer under ASan + UBSan.
# One process per target takes all its inputs; when it fails, each input runs alone to name
# the ones that fail. An input passes when its run ends without a crash, an abort of the
# target's own checks or a sanitizer report. Ends with `N passed, N failed`.
. tests/e2e/lib.sh
bindir=$1
shift
for t in "$@"; do
	set -- tests/fuzz/corpus/"$t"/* tests/fuzz/regress/"$t"/*
	inputs=""
	for f in "$@"; do
		[ -f "$f" ] && inputs="$inputs $f"
	done
	if [ -z "$inputs" ]; then
		fail "fuzz_$t: no kept inputs"
		continue
	fi
	# shellcheck disable=SC2086 # the names are the tree's own, without blanks
	if "$bindir/fuzz_$t" $inputs >"$E2E_TMP/$t.log" 2>&1; then
		n=0
		for f in $inputs; do
			e2e_passed=$((e2e_passed + 1))
			n=$((n + 1))
		done
		echo "PASS: fuzz_$t: $n inputs"
		continue
	fi
	# The batch failed: that is a failure whatever the inputs do alone (state carried from
	# one input to the next, a leak reported only at the end); each alone then says which.
	fail "fuzz_$t: all inputs together"
	tail -n 20 "$E2E_TMP/$t.log"
	for f in $inputs; do
		if "$bindir/fuzz_$t" "$f" >"$E2E_TMP/one.log" 2>&1; then
			pass "fuzz_$t $f"
		else
			fail "fuzz_$t $f"
			tail -n 20 "$E2E_TMP/one.log"
		fi
	done
done
e2e_finish
