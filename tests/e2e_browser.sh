#!/usr/bin/env bash
# The panel in a real browser: every tests/browser/*.test.mjs in turn (headless Chromium
# driven by playwright-core, each starting the chaird it needs), their checks summed.
# Screenshots are kept in $BUILD/browser-shots.
# Usage: BUILD=build tests/e2e_browser.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
export BUILD

if ! command -v node >/dev/null || [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -x /usr/bin/chromium ]; then
	fail "node, tests/browser/node_modules (cd tests/browser && npm ci) and /usr/bin/chromium are needed"
	e2e_finish
	exit
fi

for t in tests/browser/*.test.mjs; do
	name=$(basename "$t" .test.mjs)
	echo "== $t"
	# Indented, so that only this script's own summary line is read as one.
	node "$t" >"$E2E_TMP/$name.out" 2>&1
	rc=$?
	sed 's/^/  /' "$E2E_TMP/$name.out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$E2E_TMP/$name.out" | tail -1)
	if [ -z "$line" ]; then
		fail "$name: ended (exit $rc) without its summary line"
		continue
	fi
	e2e_passed=$((e2e_passed + $(echo "$line" | cut -d' ' -f1)))
	e2e_failed=$((e2e_failed + $(echo "$line" | cut -d' ' -f3)))
	if [ "$rc" -ne 0 ] && [ "$(echo "$line" | cut -d' ' -f3)" -eq 0 ]; then
		fail "$name: exit $rc with no failed check"
	fi
done
e2e_finish
