/* A fuzz target without libFuzzer: every file named on the command line goes through
 * LLVMFuzzerTestOneInput once, as libFuzzer would hand it over (its bytes in a buffer of
 * exactly their size). `make test` runs the kept seeds and regression inputs through each
 * target this way, under ASan and UBSan: a crash or a sanitizer report ends the run. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *bigger = realloc(buf, cap *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	int failed = ferror(f) || !buf;
	fclose(f);
	if (failed) {
		fprintf(stderr, "%s: cannot read it\n", path);
		free(buf);
		return -1;
	}
	/* exactly len bytes, so ASan sees a read past the input's end */
	uint8_t *input = malloc(len ? len : 1);
	if (!input) {
		free(buf);
		return -1;
	}
	memcpy(input, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(input, len);
	free(input);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;
	for (int i = 1; i < argc; i++)
		bad += run_file(argv[i]) < 0;
	return bad ? 1 : 0;
}
