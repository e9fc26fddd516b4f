# The fuzz targets (docs/fuzzing.md), included by the top-level Makefile and run from the
# repository's root.
#
# `make fuzz` builds every target with libFuzzer (clang, ASan + UBSan, the whole library
# instrumented) in $(BUILD)/fuzz and fuzzes each for FUZZ_SECONDS in turn (default 60; one
# target: FUZZ_TARGETS=web). Each starts from the seeds kept in tests/fuzz/corpus/TARGET/ and
# the regression inputs in tests/fuzz/regress/TARGET/, grows its working corpus in
# $(BUILD)/fuzz/corpus/TARGET/ and leaves what it finds in $(BUILD)/fuzz/TARGET-crash-*.
#
# `make test` runs test-fuzz-regress: every target built without libFuzzer by $(CC) with a
# standalone main (tests/fuzz/standalone.c), linked against the ASan + UBSan library of
# test-asan, in $(BUILD)/fuzz-regress/, and every kept seed and regression input run
# through its target.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= parser panel web config rules modbus
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -pthread -MMD -MP $(WARN)
# What every target links besides its own file: the chair as the daemon builds it.
FUZZ_COMMON := tests/fuzz/fuzz_app.c
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
# libFuzzer's options for every run, one process (-jobs would move its output to fuzz-N.log
# files); -max_len fits the largest kept input.
FUZZ_RUN_FLAGS := -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

.PHONY: fuzz fuzz-build test-fuzz-regress

fuzz: deps
	@$(MAKE) --no-print-directory $(JOBS) fuzz-build
	@found=""; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t tests/fuzz/regress/$$t; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUN_FLAGS) \
			-artifact_prefix=$(FUZZ_DIR)/$$t- $(FUZZ_DIR)/corpus/$$t \
			tests/fuzz/corpus/$$t tests/fuzz/regress/$$t || found="$$found $$t"; \
	done; \
	if [ -n "$$found" ]; then echo "findings in:$$found (in $(FUZZ_DIR)/)"; exit 1; fi

fuzz-build: $(FUZZ_BINS)

# The library once more, instrumented for libFuzzer's coverage and the sanitizers.
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(FUZZ_DIR)/libchair.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o \
		$(FUZZ_COMMON:%.c=$(FUZZ_DIR)/obj/%.o) $(FUZZ_DIR)/libchair.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ $(LDLIBS) -o $@

# ---- the kept inputs in make test ----

# Linked against test-asan's library, which make test has just brought up to date: so no
# second make (each reads the whole build folder's dependency files) and a few seconds. Run
# alone, the library is made again when a source of it is newer (a header's change needs
# make test-asan, or SAN=1 of the library, first).
FUZZ_REG_DIR := $(BUILD)/fuzz-regress
FUZZ_REG_BINS := $(FUZZ_TARGETS:%=$(FUZZ_REG_DIR)/fuzz_%)
FUZZ_ASAN_LIB := $(BUILD)/asan/libchair.a

test-fuzz-regress: deps $(FUZZ_REG_BINS)
	@tests/fuzz/run_regress.sh $(FUZZ_REG_DIR) $(FUZZ_TARGETS)

$(FUZZ_ASAN_LIB): $(LIB_SRCS)
	@$(MAKE) --no-print-directory $(JOBS) SAN=1 BUILD=$(BUILD) $@

$(FUZZ_REG_DIR)/obj/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (standalone)"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(FUZZ_SAN) -c $< -o $@

$(FUZZ_REG_DIR)/fuzz_%: $(FUZZ_REG_DIR)/obj/fuzz_%.o $(FUZZ_REG_DIR)/obj/standalone.o \
		$(FUZZ_COMMON:tests/fuzz/%.c=$(FUZZ_REG_DIR)/obj/%.o) $(FUZZ_ASAN_LIB)
	$(CC) $(LDFLAGS) $(FUZZ_SAN) $^ $(LDLIBS) -o $@
