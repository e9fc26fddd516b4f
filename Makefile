# Massage-chair controller. `make` builds build/chaird, build/chairctl, build/chairsim.
# `make demo` runs a simulated session; `make test` builds and runs every test, then the
# whole unit suite again under AddressSanitizer + UBSan, and again built by clang.
# Missing Debian packages are installed first (apt-get install -y).

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
BUILD ?= build
# The sub-makes build in parallel on every CPU unless -j was given (expanded in the recipes:
# only there does MAKEFLAGS show a -j).
NPROC := $(shell nproc 2>/dev/null || echo 1)
JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(NPROC))

DEB_BUILD_PKGS := pkg-config dpkg-dev libgpiod-dev libmodbus-dev libcmocka-dev libsqlite3-dev \
	libinih-dev libjansson-dev libsodium-dev libmicrohttpd-dev libsystemd-dev
DEB_TEST_PKGS := socat mbpoll python3-pymodbus rt-tests clang libclang-rt-14-dev gpiod chromium systemd \
	valgrind util-linux
PKGS := libgpiod libmodbus cmocka sqlite3 inih jansson libsodium libmicrohttpd libsystemd

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -fno-fast-math -pthread -MMD -MP
CPPFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread

# A sanitizer or clang build lives beside the plain one: BUILD=build/x gives build/x/asan.
ifeq ($(SAN),1)
override BUILD := $(BUILD)/asan
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

MAINS := controller/chaird.c controller/chairctl.c sim/chairsim.c
LIB_SRCS := $(filter-out $(MAINS),$(shell find controller drivers sim -name '*.c' | sort))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
BINS := $(BUILD)/chaird $(BUILD)/chairctl $(BUILD)/chairsim

.PHONY: all deps test test-unit test-e2e test-asan test-clang demo bench clean
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory $(JOBS) $(BINS)

# Install what is missing, once per checkout (the stamp), so a build costs nothing.
deps: build/.deps-ok
build/.deps-ok:
	@missing=""; for p in $(DEB_BUILD_PKGS) $(DEB_TEST_PKGS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| { echo "could not install:$$missing" >&2; exit 1; }; fi
	@command -v npm >/dev/null 2>&1 || { echo "installing: nodejs npm"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } \
		|| { echo "could not install: nodejs npm" >&2; exit 1; }; }
	@mkdir -p build && touch $@

# The browser tests' npm packages, exactly as the lock file says.
BROWSER_NPM := tests/browser/node_modules/.package-lock.json
$(BROWSER_NPM): tests/browser/package-lock.json tests/browser/package.json
	@echo "  NPM ci tests/browser"
	@cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libchair.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/chaird: $(BUILD)/obj/controller/chaird.o $(BUILD)/libchair.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/chairctl: $(BUILD)/obj/controller/chairctl.o $(BUILD)/libchair.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/chairsim: $(BUILD)/obj/sim/chairsim.o $(BUILD)/libchair.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# A suite may need link options of its own (e.g. -Wl,--wrap= for libgpiod): tests/NAME.ldflags.
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libchair.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(shell cat tests/$*.ldflags 2>/dev/null) $< $(BUILD)/libchair.a $(LDLIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BUILD)/libchair.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(BUILD)/libchair.a $(LDLIBS) -o $@

# The end-to-end scripts run on the ASan + UBSan build, then valgrind (test-memory,
# tests/valgrind.mk); the install test on the plain build, whose package it checks.
test: deps
	@$(MAKE) --no-print-directory $(JOBS) test-unit
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-clang
	@set -e; for t in $(TEST_MORE); do $(MAKE) --no-print-directory $$t; done

# Every suite is built; UNIT_SKIP names suites a run leaves out.
UNIT_SKIP ?=
test-unit: $(BINS) $(TEST_BINS)
	@BUILD=$(BUILD) tests/run_unit.sh $(filter-out $(UNIT_SKIP:%=$(BUILD)/tests/%),$(TEST_BINS))

test-e2e: $(BINS) $(BROWSER_NPM)
	@BUILD=$(BUILD) tests/run_e2e.sh

# The sanitizer run takes the first 250 of test_sessions_sim's thousand sessions and
# test_library_sim's medium person only: the plain run makes the claims over all of them,
# this one looks for memory faults on the same code paths.
SIM_SUBSET := SESSIONS_SIM_COUNT=250 LIBRARY_SIM_HEIGHTS=1
test-asan:
	@$(SIM_SUBSET) $(MAKE) --no-print-directory $(JOBS) SAN=1 BUILD=$(BUILD) test-unit

# The same suites built by clang: both compilers build it clean, and the simulator gives
# the same golden trace whichever built it. The two long simulations are left to the
# plain and ASan runs.
test-clang:
	@$(MAKE) --no-print-directory $(JOBS) CC=clang BUILD=$(BUILD)/clang \
		UNIT_SKIP="test_sessions_sim test_library_sim" test-unit

demo: all
	@sim/demo.sh $(BUILD)

bench: all $(BENCH_BINS)
	@for b in $(BENCH_BINS); do echo "== $$b"; $$b || exit 1; done
	@$(MAKE) --no-print-directory -s $(BROWSER_NPM) && echo "== bench/panel_web.mjs" && node bench/panel_web.mjs $(BUILD)/chaird

clean:
	rm -rf build

# The parts with targets of their own (installing and the package, fuzzing, the soak
# campaign, valgrind), and what of them `make test` runs, in this order.
-include controller/system/system.mk tests/fuzz/fuzz.mk tests/soak/soak.mk tests/valgrind.mk
TEST_MORE := test-install test-memory test-soak test-fuzz-regress

-include $(shell find build -name '*.d' -type f 2>/dev/null)
.SECONDARY:
