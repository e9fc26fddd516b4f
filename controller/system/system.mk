# Installing chaird as a system service, and its Debian package (docs/install.md).
#   make install [PREFIX=/usr/local] [SYSCONFDIR=/etc] [DESTDIR=]   binaries, tables,
#                        programs, web panel, unit, udev rule, sysusers and tmpfiles entries,
#                        the configuration (a changed one kept) and the store's folder
#   make uninstall       the same files again; the configuration and the store stay
#   make deb             build/chaird_VERSION_ARCH.deb (PREFIX=/usr), by dpkg-deb
#   make test-install    tests/e2e_install.sh alone (make test runs it with the e2e scripts)
# The installed configuration names every path, so the binaries' built-in defaults need
# not match PREFIX. The store and the panel socket are where systemd's StateDirectory= and
# RuntimeDirectory= put them, /var/lib/chaird and /run/chaird, whatever PREFIX says.
# The recipes are controller/system/install.sh and deb.sh, run in this make (no sub-make:
# a make reads every build folder's dependency files first, which takes seconds).

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
CHAIRD_VERSION := 0.10
DEB_VERSION ?= $(CHAIRD_VERSION)+git$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
DEB_STAGE ?= $(BUILD)/deb
DEB_OUT ?= $(BUILD)

.PHONY: install uninstall deb test-install

install: deps $(BINS)
	@echo "  INSTALL $(if $(DESTDIR),DESTDIR=$(DESTDIR) )PREFIX=$(PREFIX) SYSCONFDIR=$(SYSCONFDIR)"
	@sh controller/system/install.sh install '$(BUILD)' '$(PREFIX)' '$(SYSCONFDIR)' '$(DESTDIR)'
	@[ -n "$(DESTDIR)" ] || echo "  then, as root: systemd-sysusers chaird.conf;" \
		"systemd-tmpfiles --create chaird.conf; udevadm control --reload-rules;" \
		"udevadm trigger; systemctl daemon-reload; systemctl enable --now chaird"

# Everything install put there but the configuration and the store.
uninstall:
	@sh controller/system/install.sh uninstall '$(BUILD)' '$(PREFIX)' '$(SYSCONFDIR)' '$(DESTDIR)'

deb: deps $(BINS)
	@sh controller/system/deb.sh '$(BUILD)' '$(DEB_STAGE)' '$(DEB_OUT)' '$(DEB_VERSION)'

test-install: deps $(BINS)
	@BUILD=$(BUILD) bash tests/e2e_install.sh
