# The parser's fuzz target (libFuzzer, clang), run from the repository root by `make fuzz`:
# builds build/fuzz/fuzz_parser from the interpreter's sources, seeds a corpus with the
# shipped programs, and fuzzes for FUZZ_SECONDS (default 60). Findings land in build/fuzz/.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# Everything of the interpreter but the CLI (which needs libjansson and a terminal).
FUZZ_SRCS := $(filter-out controller/interp/program_cli.c,$(sort $(wildcard controller/interp/*.c))) \
	tests/fuzz/fuzz_parser.c

.PHONY: fuzz
fuzz: deps $(FUZZ_DIR)/fuzz_parser $(FUZZ_DIR)/corpus/.seeded
	$(FUZZ_DIR)/fuzz_parser -max_total_time=$(FUZZ_SECONDS) -max_len=300000 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 \
		$(FUZZ_DIR)/corpus

$(FUZZ_DIR)/fuzz_parser: $(FUZZ_SRCS) $(wildcard controller/interp/*.h) tests/fuzz/fuzz.mk
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_SRCS) -lm -o $@

$(FUZZ_DIR)/corpus/.seeded: $(wildcard programs/*.prog)
	@mkdir -p $(FUZZ_DIR)/corpus
	cp programs/*.prog $(FUZZ_DIR)/corpus/
	@touch $@
