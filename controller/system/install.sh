#!/bin/sh
# Install chaird's tree, or uninstall it: `make install`, `make uninstall` and `make deb`
# run this (system.mk says with what).
# Usage: install.sh install|uninstall BUILD PREFIX SYSCONFDIR [DESTDIR]
# The configuration is installed only where there is none or it is the same; a changed
# one is kept and the new one put beside it as chair.ini.new. uninstall removes the rest
# and keeps the configuration and the store.
set -eu
mode=$1
build=$2
prefix=$3
sysconfdir=$4
d=${5:-}
sys=controller/system
datadir=$prefix/share/chaird
docdir=$prefix/share/doc/chaird
unitdir=$prefix/lib/systemd/system
conf=$d$sysconfdir/chaird/chair.ini

if [ "$mode" = uninstall ]; then
	rm -f "$d$prefix/sbin/chaird" "$d$prefix/bin/chairctl" "$d$prefix/bin/chairsim" \
		"$d$unitdir/chaird.service" "$d$prefix/lib/udev/rules.d/60-chaird.rules" \
		"$d$prefix/lib/sysusers.d/chaird.conf" "$d$prefix/lib/tmpfiles.d/chaird.conf"
	rm -rf "$d$datadir" "$d$docdir"
	echo "  kept $d$sysconfdir/chaird and $d/var/lib/chaird (the store)"
	exit 0
fi
[ "$mode" = install ] || { echo "install.sh: install or uninstall, not $mode" >&2; exit 2; }

# The templates' @NAMES@, filled in with this layout.
subst() {
	sed -e "s|@SBINDIR@|$prefix/sbin|g" -e "s|@SYSCONFDIR@|$sysconfdir|g" \
		-e "s|@DATADIR@|$datadir|g" -e "s|@DOCDIR@|$docdir|g" "$1"
}

install -d -m 755 "$d$prefix/bin" "$d$prefix/sbin" "$d$datadir/programs" "$d$docdir/docs" \
	"$d$docdir/examples" "$d$unitdir" "$d$prefix/lib/udev/rules.d" "$d$prefix/lib/sysusers.d" \
	"$d$prefix/lib/tmpfiles.d" "$d$sysconfdir/chaird"
install -d -m 750 "$d/var/lib/chaird"
install -m 755 "$build/chaird" "$d$prefix/sbin/chaird"
install -m 755 "$build/chairctl" "$build/chairsim" "$d$prefix/bin/"
install -m 644 controller/data/consultation.rules controller/data/care-advice.rules "$d$datadir/"
install -m 644 programs/*.prog "$d$datadir/programs/"
rm -rf "$d$datadir/www"
(cd controller/web/www && find . -type d) | while read -r w; do
	install -d -m 755 "$d$datadir/www/$w"
done
(cd controller/web/www && find . -type f) | while read -r w; do
	install -m 644 "controller/web/www/$w" "$d$datadir/www/$w"
done
install -m 644 README.md "$d$docdir/"
install -m 644 docs/*.md "$d$docdir/docs/"
install -m 644 controller/chair.ini "$d$docdir/examples/chair.ini"
subst $sys/chaird.service.in >"$d$unitdir/chaird.service"
chmod 644 "$d$unitdir/chaird.service"
install -m 644 $sys/60-chaird.rules "$d$prefix/lib/udev/rules.d/60-chaird.rules"
install -m 644 $sys/chaird.sysusers "$d$prefix/lib/sysusers.d/chaird.conf"
install -m 644 $sys/chaird.tmpfiles "$d$prefix/lib/tmpfiles.d/chaird.conf"
subst $sys/chair.ini.in >"$conf.new"
chmod 644 "$conf.new"
if [ ! -e "$conf" ] || cmp -s "$conf.new" "$conf"; then
	mv "$conf.new" "$conf"
else
	echo "  kept $conf as it was; the new one is $conf.new"
fi
