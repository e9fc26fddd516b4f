#!/usr/bin/env bash
# End to end: the technician's chairctl commands over the panel socket, against chaird as
# the daemon on its in-process simulated chair. The technician PIN is set from standard
# input and is never stored as itself; a good program installs, lists and removes; a bad one
# is refused with the checker's line; a user's connection (uid 65534, in the socket's group)
# is refused every technician command with exit 1 and changes nothing. Every wait is on a
# condition, with a bound.
# Usage: BUILD=build tests/e2e_tech.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
T=$E2E_TMP
chmod 755 "$T" # the user's chairctl reaches the socket through it

ctl() { # ctl OUT ARGS...: chairctl as root (a technician)
	out=$1
	shift
	"$BUILD/chairctl" --socket "$T/panel.sock" "$@" >"$T/$out" 2>&1
	echo $? >"$T/$out.rc"
}
user_ctl() { # user_ctl OUT ARGS...: chairctl as nobody, a user of the socket's group
	out=$1
	shift
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD/chairctl" \
		--socket "$T/panel.sock" "$@" >"$T/$out" 2>&1
	echo $? >"$T/$out.rc"
}
ran() { # ran OUT RC PATTERN...
	f=$T/$1
	want=$2
	shift 2
	[ "$(cat "$f.rc")" = "$want" ] || { echo "  exit $(cat "$f.rc"), expected $want:"; sed 's/^/  | /' "$f"; return 1; }
	for p in "$@"; do
		grep -Eq -- "$p" "$f" || { echo "  no /$p/ in:"; sed 's/^/  | /' "$f"; return 1; }
	done
}

cat >"$T/tech.ini" <<EOF2
[hal]
backend = sim
$(daemon_keys)
[panel]
socket_group = $(getent group 65534 | cut -d: -f1)
EOF2
"$BUILD/chaird" --config "$T/tech.ini" >"$T/chaird.out" 2>&1 &
CHAIRD_PID=$!
E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
check "chaird serves the panel API" wait_for "$T/chaird.out" "serving the panel API" 15

user_ctl u.login0 info
check "a user reaches chaird as a user" ran u.login0 0 '^role: user$'

echo 2468 | "$BUILD/chairctl" --socket "$T/panel.sock" tech set-pin >"$T/pin" 2>&1
echo $? >"$T/pin.rc"
check "tech set-pin reads the PIN from standard input" ran pin 0 '^technician PIN set$'
check "the store keeps the PIN's Argon2id hash, never the PIN" \
	bash -c "! cat '$T'/chair.db* | grep -aq 2468 && cat '$T'/chair.db* | grep -aq argon2id"

cat >"$T/glide.prog" <<'EOF2'
program "gentle glide"
level gentle
roll upper-back..lower-back speed 4 pressure 2 for 20s
EOF2
printf 'program "typo"\nlevel normal\nkneed lower-back for 1m\n' >"$T/typo.prog"

ctl install program install "$T/glide.prog"
check "a good program installs under its file's name" ran install 0 '^installed glide$'
ctl list program list
check "program list shows it with its checksum" ran list 0 '^glide +[0-9a-f]{12}$'
ctl bad program install "$T/typo.prog" --name typo
check "a bad program is refused with the checker's line" \
	ran bad 1 'typo:3:1: error: unknown technique .kneed.'
ctl list2 program list
check "and is not installed" bash -c "! grep -q '^typo ' '$T/list2'"

user_ctl u.install program install "$T/glide.prog" --name mine
check "a user may not install (refused for the role, exit 1)" ran u.install 1 'not allowed for this role'
user_ctl u.remove program remove glide
check "a user may not remove" ran u.remove 1 'not allowed for this role'
user_ctl u.pin tech set-pin --pin 0000
check "a user may not set the technician PIN" ran u.pin 1 'not allowed for this role'
user_ctl u.list program list
check "a user may list programs, and the user's tries changed nothing" ran u.list 0 '^glide '
ctl list3 program list
check "nothing was installed by the user" bash -c "! grep -q '^mine ' '$T/list3'"

ctl remove program remove glide
check "program remove" ran remove 0 '^removed glide$'
ctl remove2 program remove glide
check "removing it again: no such program (exit 1)" ran remove2 1 'no such program'
ctl usage program install
check "a command line mistake is exit 2" ran usage 2 'program install'

kill -TERM "$CHAIRD_PID"
wait "$CHAIRD_PID" 2>/dev/null
check "chaird stops on SIGTERM and removes its socket" test ! -e "$T/panel.sock"
e2e_finish
