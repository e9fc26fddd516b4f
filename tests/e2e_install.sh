#!/usr/bin/env bash
# End to end: chaird installed as a system service. `make install` into a DESTDIR lays out
# the tree (binaries, tables, programs, web panel, unit, udev rule, sysusers and tmpfiles
# entries, the configuration, the store's folder) and keeps a changed configuration;
# systemd-analyze verify passes on the installed unit (PREFIX=/usr/local and the package's
# /usr) without a word; `make deb` builds a package whose Depends cover every library the
# binaries link. The package is installed into a temporary root with
# `dpkg --root=R --force-script-chrootless`: its maintainer scripts run on this host with
# DPKG_ROOT=R (users, groups, store folder and enabling, all inside R; the host's own
# passwd and group are checked untouched). The installed chaird then starts from R, chrooted
# as the package's user with the unit's groups and umask, on its installed configuration
# (a technician's change of the web port, kept across a reinstall), serves the web panel's
# installed page and the panel socket (to the socket's group only), and speaks to a stand-in
# for systemd's notify socket. dpkg --remove keeps the store and the configuration;
# dpkg --purge leaves nothing of the package's but the system users.
# Usage: BUILD=build tests/e2e_install.sh
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
T=$E2E_TMP
# The make below is its own, not a part of the make that may have started this script.
unset MAKEFLAGS MFLAGS MAKELEVEL

mk() { # mk LOG TARGET VAR=VALUE...: make in this checkout, output to $T/LOG
	log=$1
	shift
	make --no-print-directory BUILD="$BUILD" "$@" >"$T/$log" 2>&1 ||
		{ sed 's/^/  | /' "$T/$log" | tail -20; return 1; }
}
has_line() { # has_line FILE LINE: FILE has LINE, whole
	grep -qxF -- "$2" "$1" || { echo "  no line '$2' in $1"; return 1; }
}
same_tree() { # same_tree A B: the same files with the same contents
	diff -r "$1" "$2" >"$T/diff" || { head -5 "$T/diff" | sed 's/^/  | /'; return 1; }
}
mode_of() { stat -c '%a %u %g' "$1"; }

# systemd-analyze verify in a root of its own: the tree installed, beside the targets of
# this host's systemd (sysinit.target, network-online.target ...) that the unit names.
# verify exits 0 on a mistyped value too (it only warns), so any output is a failure.
verify_unit() { # verify_unit TREE UNIT
	v=$T/verify.$RANDOM
	mkdir -p "$v/usr/lib/systemd/system" && cp -a "$1/usr" "$1/etc" "$v/" &&
		cp /usr/lib/systemd/system/*.target "$v/usr/lib/systemd/system/" || return 1
	systemd-analyze verify --root="$v" "$2" >"$T/verify.out" 2>&1
	rc=$?
	rm -rf "$v"
	[ "$rc" -eq 0 ] && [ ! -s "$T/verify.out" ] || { sed 's/^/  | /' "$T/verify.out"; return 1; }
}

# ---- make install --------------------------------------------------------------------
D=$T/dest
L=$D/usr/local
# One make for both (a make reads every build folder's dependency files first: seconds).
check "make install into a DESTDIR, and make deb" \
	mk install.log install deb DESTDIR="$D" DEB_STAGE="$T/stage" DEB_OUT="$T/out"
check "the binaries: chaird in sbin, chairctl and chairsim in bin" \
	test -x "$L/sbin/chaird" -a -x "$L/bin/chairctl" -a -x "$L/bin/chairsim"
check "the rules and advice tables under share/chaird" bash -c \
	"cmp controller/data/consultation.rules '$L/share/chaird/consultation.rules' &&
	 cmp controller/data/care-advice.rules '$L/share/chaird/care-advice.rules'"
check "the programs under share/chaird/programs" same_tree programs "$L/share/chaird/programs"
check "the web panel's files under share/chaird/www" same_tree controller/web/www "$L/share/chaird/www"
check "the unit runs the installed chaird on the installed configuration" \
	has_line "$L/lib/systemd/system/chaird.service" \
	"ExecStart=/usr/local/sbin/chaird --config /etc/chaird/chair.ini"
check "the udev rule, sysusers and tmpfiles entries" test -s "$L/lib/udev/rules.d/60-chaird.rules" \
	-a -s "$L/lib/sysusers.d/chaird.conf" -a -s "$L/lib/tmpfiles.d/chaird.conf"
conf_paths_exist() { # every path of the configuration under PREFIX is in the tree
	n=0
	for p in $(sed -n 's|^[a-z_]* = \(/usr/local/[^ ]*\)$|\1|p' "$1"); do
		[ -e "$D$p" ] || { echo "  $p: not installed"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -eq 3 ] || { echo "  $n paths under PREFIX, expected rules, advice, www"; return 1; }
}
check "the configuration names the installed tables and page" conf_paths_exist "$D/etc/chaird/chair.ini"
check "the configuration names the store where StateDirectory= puts it" \
	has_line "$D/etc/chaird/chair.ini" "path = /var/lib/chaird/chair.db"
check "and the panel socket where RuntimeDirectory= puts it" \
	has_line "$D/etc/chaird/chair.ini" "socket = /run/chaird/panel.sock"
groups_agree() { # the groups the configuration and the udev rule name: made, and chaird's
	conf=$D/etc/chaird/chair.ini
	supp=" $(sed -n 's/^SupplementaryGroups=//p' "$L/lib/systemd/system/chaird.service") "
	for g in $(sed -n 's/^\(socket\|technician\)_group = //p' "$conf") \
		$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' "$L/lib/udev/rules.d/60-chaird.rules" | sort -u); do
		grep -qE "^g +$g( |$)" "$L/lib/sysusers.d/chaird.conf" ||
			{ echo "  group $g: not in chaird.conf (sysusers)"; return 1; }
	done
	for g in $(sed -n 's/^socket_group = //p' "$conf") \
		$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' "$L/lib/udev/rules.d/60-chaird.rules"); do
		case $supp in *" $g "*) ;; *) echo "  chaird is not in $g (SupplementaryGroups=)"; return 1 ;; esac
	done
}
check "the configuration's and the udev rule's groups are made, and chaird is in those it needs" \
	groups_agree
check "the store's folder, 0750" test "$(stat -c %a "$D/var/lib/chaird")" = 750
check "systemd-analyze verify passes on the installed unit (PREFIX=/usr/local)" \
	verify_unit "$D" /usr/local/lib/systemd/system/chaird.service
cp "$D/etc/chaird/chair.ini" "$T/out.ini"
echo "; a technician's line" >>"$D/etc/chaird/chair.ini"
# make install's recipe again, and make uninstall's, without another make.
sh controller/system/install.sh install "$BUILD" /usr/local /etc "$D" >"$T/install2.log" 2>&1
check "make install again keeps a changed configuration" \
	grep -q "a technician's line" "$D/etc/chaird/chair.ini"
check "and puts the new one beside it" cmp -s "$D/etc/chaird/chair.ini.new" "$T/out.ini"
sh controller/system/install.sh uninstall "$BUILD" /usr/local /etc "$D" >"$T/uninstall.log" 2>&1
check "uninstall leaves only the configuration and the store's folder" \
	test "$(cd "$D" && find . -type f | sort | tr '\n' ' ')" = \
	"./etc/chaird/chair.ini ./etc/chaird/chair.ini.new " -a -d "$D/var/lib/chaird"

# ---- make deb ------------------------------------------------------------------------
DEB=$(ls "$T"/out/chaird_*.deb 2>/dev/null | head -1)
check "the package is named chaird_VERSION_ARCH.deb" \
	test -n "$DEB" -a "$(basename "${DEB:-x}" | sed 's/_[^_]*_/_V_/')" = "chaird_V_$(dpkg --print-architecture).deb"
dpkg-deb -I "$DEB" >"$T/info" 2>&1
dpkg-deb -c "$DEB" | awk '{print $6}' >"$T/contents"
dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' >"$T/depends"
depends_cover_libraries() { # each library a binary links is of a package in Depends
	: >"$T/needs"
	for b in usr/sbin/chaird usr/bin/chairctl usr/bin/chairsim; do
		dpkg-deb --fsys-tarfile "$DEB" | tar -xO "./$b" >"$T/bin" && chmod +x "$T/bin" || return 1
		# each NEEDED by the folder the loader takes it from: x86_64-linux-gnu/libm.so.6,
		# not lib32's copy
		objdump -p "$T/bin" | awk '$1 == "NEEDED" {print $2}' >"$T/needed"
		ldd "$T/bin" | awk 'NR == FNR {want[$1] = 1; next}
			($1 in want) && $2 == "=>" {n = split($3, p, "/"); print p[n - 1] "/" $1}' \
			"$T/needed" - >>"$T/needs"
	done
	sort -u -o "$T/needs" "$T/needs"
	# Who owns each, from dpkg's file lists (what dpkg -S reads, in one grep): under /lib or
	# /usr/lib, as the package has it.
	sed 's|^|/lib/|; p; s|^/lib/|/usr/lib/|' "$T/needs" >"$T/paths"
	grep -H -x -F -f "$T/paths" /var/lib/dpkg/info/*.list >"$T/owners"
	while read -r need; do
		pkg=$(grep -F "/$need" "$T/owners" | head -1 |
			sed 's|^/var/lib/dpkg/info/||; s|\.list:/.*||; s|:.*||')
		[ -n "$pkg" ] && grep -qxF "$pkg" "$T/depends" ||
			{ echo "  $need (${pkg:-no package}) is not in Depends"; return 1; }
	done <"$T/needs"
	[ "$(wc -l <"$T/needs")" -ge 8 ] || { echo "  only $(wc -l <"$T/needs") libraries found"; return 1; }
}
check "Depends covers every library the binaries link (objdump -p, dpkg's file lists)" depends_cover_libraries
check "Depends on systemd (sysusers, tmpfiles, the unit)" grep -qx systemd "$T/depends"
check "the configuration is a conffile" bash -c "dpkg-deb --ctrl-tarfile '$DEB' | tar -xO ./conffiles | grep -qx /etc/chaird/chair.ini"
holds() { # holds PATH...: the package has each
	for p in "$@"; do grep -qxF "./$p" "$T/contents" || { echo "  no $p in the package"; return 1; }; done
}
check "the package holds the unit, the binaries and the page" holds usr/sbin/chaird \
	usr/bin/chairctl usr/lib/systemd/system/chaird.service usr/share/chaird/www/index.html
check "the store is not the package's (postinst makes it, purge removes it)" \
	bash -c "! grep -q '^./var' '$T/contents'"

# ---- dpkg into a temporary root --------------------------------------------------------
# R: an empty dpkg database and, for the chroot chaird runs in, the host's copies of the
# libraries the installed binaries link. What is in R now is all purge may leave, but the
# dpkg database, the system users and systemd's own empty folders.
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" && touch "$R/var/lib/dpkg/status"
dpkg-deb -x "$DEB" "$T/x"
for lib in $(ldd "$T/x/usr/sbin/chaird" "$T/x/usr/bin/chairctl" |
	awk '/=>/ {print $3} /^\t\// {print $1}' | sort -u); do
	cp -L --parents "$lib" "$R"
done
(cd "$R" && find . | sort) >"$T/base"
cp /etc/passwd "$T/host.passwd" && cp /etc/group "$T/host.group"
host_state() { # what of chaird this host itself has: the same before and after
	ls -d /etc/chaird /var/lib/chaird /etc/systemd/system/multi-user.target.wants/chaird.service \
		/var/lib/systemd/deb-systemd-helper-enabled/chaird.service.dsh-also 2>/dev/null
}
host_state >"$T/host.state"
host_untouched() {
	cmp -s /etc/passwd "$T/host.passwd" && cmp -s /etc/group "$T/host.group" &&
		[ "$(host_state)" = "$(cat "$T/host.state")" ]
}
dpkg_r() { # dpkg_r LOG ARGS...: dpkg on R, the maintainer scripts run here with DPKG_ROOT=R
	log=$1
	shift
	dpkg --root="$R" --force-script-chrootless --force-depends "$@" >"$T/$log" 2>&1 ||
		{ sed 's/^/  | /' "$T/$log" | tail -20; return 1; }
}
check "dpkg --root installs the package, its scripts run (chrootless)" dpkg_r dpkg.i -i "$DEB"
check "the scripts left the host's users, groups and chaird state untouched" host_untouched
uid=$(awk -F: '$1 == "chaird" {print $3}' "$R/etc/passwd")
gid_of() { awk -F: -v g="$1" '$1 == g {print $3}' "$R/etc/group"; }
check "the system user chaird, without a login" \
	bash -c "grep -q '^chaird:x:[0-9]*:[0-9]*:.*:/var/lib/chaird:/usr/sbin/nologin$' '$R/etc/passwd'"
check "the groups chair, chair-tech and chair-io" \
	test -n "$(gid_of chair)" -a -n "$(gid_of chair-tech)" -a -n "$(gid_of chair-io)"
check "the store's folder is chaird's, 0750" test "$(mode_of "$R/var/lib/chaird")" = "750 $uid $uid"
check "the service is enabled" test -L "$R/etc/systemd/system/multi-user.target.wants/chaird.service"
check "systemd-analyze verify passes on the package's unit" \
	verify_unit "$R" /usr/lib/systemd/system/chaird.service

# A technician's change: the web panel on any free port (8080 may be taken on this host).
sed -i 's/^listen = .*/listen = 127.0.0.1:0/' "$R/etc/chaird/chair.ini"
check "a reinstall (the upgrade path) keeps the changed configuration" \
	bash -c "dpkg --root='$R' --force-script-chrootless --force-depends -i '$DEB' >'$T/dpkg.u' 2>&1 &&
		grep -qx 'listen = 127.0.0.1:0' '$R/etc/chaird/chair.ini'"

# chaird from R as the unit runs it: its user and SupplementaryGroups, UMask=0077,
# RuntimeDirectory= made as systemd makes it, NOTIFY_SOCKET and WATCHDOG_USEC of
# WatchdogSec=2s (a datagram socket at systemd's path, read by socat).
mkdir -p "$R/run/chaird" "$R/run/systemd" && chown "$uid:$uid" "$R/run/chaird"
socat -u UNIX-RECV:"$R/run/systemd/notify",perm=0666 OPEN:"$T/notify",creat,trunc &
E2E_PIDS="$E2E_PIDS $!"
for _ in $(seq 50); do [ -S "$R/run/systemd/notify" ] && break; sleep 0.1; done
(umask 077 && NOTIFY_SOCKET=/run/systemd/notify WATCHDOG_USEC=2000000 exec chroot \
	--userspec="+$uid:+$uid" --groups="+$(gid_of chair),+$(gid_of chair-io)" "$R" \
	/usr/sbin/chaird --config /etc/chaird/chair.ini --duration-s 60) >"$T/chaird.out" 2>&1 &
CHAIRD_PID=$!
E2E_PIDS="$E2E_PIDS $CHAIRD_PID"
check "the installed chaird serves, on its installed configuration" \
	wait_for "$T/chaird.out" "panel at http://127.0.0.1:" 15
port=$(sed -n 's|^chaird: panel at http://127.0.0.1:\([0-9]*\)/$|\1|p' "$T/chaird.out")
curl -s --max-time 5 "http://127.0.0.1:${port:-1}/" -o "$T/index.html"
check "the web panel serves the installed page" cmp -s "$T/index.html" "$R/usr/share/chaird/www/index.html"
chroot "$R" /usr/bin/chairctl info >"$T/ctl.root" 2>&1
check "chairctl reaches it at the default socket (root: a technician)" grep -qx 'role: technician' "$T/ctl.root"
chroot --userspec=+65534:+65534 --groups="+$(gid_of chair)" "$R" /usr/bin/chairctl info >"$T/ctl.user" 2>&1
check "a member of chair reaches it as a user" grep -qx 'role: user' "$T/ctl.user"
chroot --userspec=+65534:+65534 "$R" /usr/bin/chairctl info >"$T/ctl.other" 2>&1
check "anyone else cannot reach it (exit 3)" test $? -eq 3
check "the socket is 0660, chaird's and of group chair" \
	test "$(mode_of "$R/run/chaird/panel.sock")" = "660 $uid $(gid_of chair)"
check "the store is made in the state folder, chaird's alone" \
	test "$(mode_of "$R/var/lib/chaird/chair.db")" = "600 $uid $uid"
check "STATUS= reaches the notify socket" wait_for "$T/notify" "STATUS=" 10
check "WATCHDOG=1 reaches it (WATCHDOG_USEC 2 s: every second)" wait_for "$T/notify" "WATCHDOG=1" 10
kill -TERM "$CHAIRD_PID"
wait "$CHAIRD_PID"
check "SIGTERM (systemctl stop) ends chaird with 0" test $? -eq 0
check "STOPPING=1 on the way out" wait_for "$T/notify" "STOPPING=1" 5
rm -rf "$R/run" # RuntimeDirectory= goes when the service stops

check "dpkg --remove" dpkg_r dpkg.r --remove chaird
check "remove: the binaries and the unit gone" \
	test ! -e "$R/usr/sbin/chaird" -a ! -e "$R/usr/lib/systemd/system/chaird.service"
check "remove: the store kept" test -s "$R/var/lib/chaird/chair.db"
check "remove: the changed configuration kept" grep -qx 'listen = 127.0.0.1:0' "$R/etc/chaird/chair.ini"
check "dpkg --purge" dpkg_r dpkg.p --purge chaird
(cd "$R" && find . | sort) >"$T/after"
# What may be there beyond the base: dpkg's database, the system users (Debian keeps them),
# and the folders that systemd's package owns on a real system.
comm -13 "$T/base" "$T/after" | grep -v -E '^\./var/lib/dpkg(/|$)' |
	grep -v -x -E '\./etc|\./etc/(passwd|group|shadow|gshadow|\.pwd\.lock)|\./etc/systemd(/system)?|\./var/lib/systemd' \
	>"$T/left"
check "purge: nothing of the package's is left" bash -c "[ ! -s '$T/left' ] || { sed 's/^/  left: /' '$T/left'; false; }"
check "purge: the store and the configuration gone" test ! -e "$R/var/lib/chaird" -a ! -e "$R/etc/chaird"
check "purge: the package is unknown to dpkg" bash -c "! dpkg --root='$R' -s chaird >/dev/null 2>&1"
check "the host's users, groups and chaird state untouched after it all" host_untouched

e2e_finish
