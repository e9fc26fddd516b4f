#!/bin/sh
# Build chaird's Debian package with dpkg-deb: `make deb` runs this (system.mk).
# Usage: deb.sh BUILD STAGE OUT VERSION
# The tree installed with PREFIX=/usr into STAGE/debian/chaird, the binaries stripped,
# Depends from the binaries' libraries (dpkg-shlibdeps: the versions their symbols need)
# and systemd (its sysusers, tmpfiles and the unit are what the package is for).
set -eu
build=$1
stage=$2
out=$3
version=$4
sys=controller/system
arch=$(dpkg --print-architecture)
deb=$out/chaird_${version}_$arch.deb
r=$stage/debian/chaird

rm -rf "$stage"
mkdir -p "$stage" "$out"
sh $sys/install.sh install "$build" /usr /etc "$r"
# The store's folder is made by postinst (tmpfiles) and removed by purge, so a remove
# (which removes what the package holds) keeps the store.
rmdir "$r/var/lib/chaird" "$r/var/lib" "$r/var"
# A native package's changelog: this build's version, from the tree's last commit.
maintainer=$(sed -n 's/^Maintainer: //p' $sys/debian/control.in)
when=$(git log -1 --format=%aD 2>/dev/null || date -R)
printf 'chaird (%s) unstable; urgency=medium\n\n  * Built from the tree (%s).\n\n -- %s  %s\n' \
	"$version" "$(git log -1 --format=%h 2>/dev/null || echo 'no git')" "$maintainer" "$when" |
	gzip -9n >"$r/usr/share/doc/chaird/changelog.gz"
chmod 644 "$r/usr/share/doc/chaird/changelog.gz"
# as dh_strip does
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$r/usr/sbin/chaird" \
	"$r/usr/bin/chairctl" "$r/usr/bin/chairsim"
install -d -m 755 "$r/DEBIAN"
install -m 755 $sys/debian/postinst $sys/debian/prerm $sys/debian/postrm "$r/DEBIAN/"
install -m 644 $sys/debian/conffiles "$r/DEBIAN/"
printf 'Source: chaird\n\nPackage: chaird\nArchitecture: any\n' >"$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O debian/chaird/usr/sbin/chaird \
	debian/chaird/usr/bin/chairctl debian/chaird/usr/bin/chairsim | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "deb.sh: dpkg-shlibdeps found no libraries" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$r" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@INSTALLED_SIZE@|$size|" \
	-e "s|@SHLIBS@|$shlibs|" $sys/debian/control.in >"$r/DEBIAN/control"
(cd "$r" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$r/DEBIAN/md5sums"
rm -f "$out"/chaird_*.deb
dpkg-deb --root-owner-group -Zxz --build "$r" "$deb" >/dev/null
echo "  DEB $deb"
