# Memory checking beyond the ASan + UBSan unit run (included by the top-level Makefile).
#   make test-valgrind   the cmocka suites under valgrind's memcheck
#   make test-e2e-asan   the end-to-end scripts on the ASan + UBSan build of the binaries
#   make test-memory     both at once, memcheck on the CPU the scripts leave (make test)

# memcheck finds what ASan cannot: a branch on memory never written (a struct field a
# constructor forgot, a buffer read past what recv filled). It runs on the plain -O2 -g
# build that test-unit already made, so it costs no build and checks the code as shipped.
# Leaks fail a suite when definite or indirect (memory nobody can free); "still reachable"
# at exit (libraries' caches, cmocka's own) and "possibly lost" (interior pointers of
# sqlite and libmicrohttpd pools) do not.
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --num-callers=30

# What memcheck runs beside the plain run (which makes every claim whole): the fewest
# sessions test_sessions_sim takes (20 of its thousand, the same paths), the medium person.
VALGRIND_SIM := SESSIONS_SIM_COUNT=20 LIBRARY_SIM_HEIGHTS=1

# Left out, each a long simulation in which memcheck (30 to 90 times slower) would only
# repeat paths the suites it runs already cover, the tick and the simulator's step above
# all (test_tick, test_sim, test_homing, test_exec, test_session, test_sessions_sim run
# under it); the ASan + UBSan and clang runs still take them (test-asan, test-clang):
#   test_library_sim     every shipped program on a person (hours of chair time; an hour
#                        under memcheck even for the medium person alone)
#   test_determinism     the demo's whole golden trace (150 s under memcheck)
#   test_live_feedback   minutes of sessions with feedback on the truth (175 s)
#   test_motion          the motion suite's long runs on the simulated chair (130 s)
#   test_release         whole releases ramped on the truth (85 s)
#   test_safety          every fault class run to its safe state (77 s)
#   test_technique_sim   every technique on the simulated chair
#   test_scan            fifty people scanned, and the scan's bounds on each (over 4 min)
#   test_session, test_methods, test_exec, test_alloc: 164, 68, 51 and 35 s under
#                        memcheck, more than make test's 15 minutes leave (ASan runs them)
# And one left out for its waits:
#   test_modbus_bus      its tests wait on a live bus to a server thread, each within a
#                        bound of 0.5 to 5 s, which memcheck's slowdown on a busy host
#                        would make a matter of luck; ASan (test-asan) and the Modbus
#                        fuzz target check the driver
# The others work under memcheck, the ones linked with -Wl,--wrap=malloc (test_alloc,
# test_exec) and those on a real-time thread (test_rt, test_alloc, test_methods) included:
# memcheck serialises threads, and those suites' waits are on progress, not on time.
VALGRIND_SKIP := test_library_sim test_determinism test_live_feedback test_motion \
	test_release test_safety test_technique_sim test_scan test_modbus_bus \
	test_session test_methods test_exec test_alloc
VALGRIND_BINS := $(filter-out $(VALGRIND_SKIP:%=$(BUILD)/tests/%),$(TEST_BINS))

.PHONY: test-valgrind test-e2e-asan

test-valgrind: $(BINS) $(TEST_BINS)
	@echo "== valgrind memcheck over $(words $(VALGRIND_BINS)) of $(words $(TEST_BINS)) suites"
	@$(VALGRIND_SIM) RUN_UNDER="$(VALGRIND)" BUILD=$(BUILD) tests/run_unit.sh $(VALGRIND_BINS)

# The end-to-end scripts on chaird, chairctl and chairsim built with ASan + UBSan: the
# processes' real paths (sockets, the bus thread, the web server, restarts) under the
# sanitizers. On this build the rt tick computes in 6 µs at p50 and 35 µs at p99.9 (plain:
# 2 and 10; bench/rt_latency), far inside the 1 ms period, so the scripts keep their
# bounds. A report goes to a file of its own (log_path): a sanitizer report from any
# process, even one a script stops with SIGTERM and does not check the exit of, fails the
# run. The install test is left out: it is about the plain build's package.
test-e2e-asan:
	@reports=$$(mktemp -d); \
	ASAN_OPTIONS=log_path=$$reports/asan UBSAN_OPTIONS=log_path=$$reports/ubsan:print_stacktrace=1 \
		E2E_SKIP="e2e_install.sh" $(MAKE) --no-print-directory $(JOBS) SAN=1 BUILD=$(BUILD) test-e2e; \
	rc=$$?; \
	if [ -n "$$(ls -A $$reports)" ]; then \
		for f in $$reports/*; do echo "== sanitizer report $$(basename $$f)"; cat $$f; done; \
		rc=1; \
	fi; \
	rm -rf $$reports; \
	[ $$rc -eq 0 ] && echo "e2e under ASan + UBSan: no sanitizer report"; exit $$rc

# For make test: the e2e scripts on the ASan build, then memcheck, one after the other.
# Not beside each other, even at SCHED_IDLE: on this virtual host two busy CPUs let the
# host take them away from the guest, and the scripts' SCHED_FIFO chaird and chairsim then
# stalled for 70 to 130 ms (a unit called stale, a drive's watchdog tripped).
test-memory:
	@$(MAKE) --no-print-directory test-e2e-asan
	@$(MAKE) --no-print-directory test-valgrind
.PHONY: test-memory
