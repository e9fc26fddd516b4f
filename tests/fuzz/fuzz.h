/* What every fuzz target of tests/fuzz/ shares: libFuzzer's entry point (also called by
 * standalone.c, which runs the kept inputs through a target without libFuzzer) and the
 * input as a string. A target that needs set-up does it on its first input. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A target's input as a string with its NUL (the loaders take C strings), malloc'd; NULL
 * when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
