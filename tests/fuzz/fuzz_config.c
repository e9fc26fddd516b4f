/* libFuzzer target: the chair's INI text through config_load_string (inih, every key's
 * type and range, the cross-checks of validate) over the defaults. A refused text must
 * leave the configuration exactly as it was and say why; an accepted one must pass
 * config_validate, and what config.get writes of it (config_write_ini) must load again
 * over it and write the same text: a technician's copy of the running configuration means
 * what the chair runs with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../controller/config.h"
#include "fuzz.h"

static void fuzz_config_fail(const char *what, const char *detail)
{
	fprintf(stderr, "config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* config_write_ini of cfg, malloc'd. */
static char *fuzz_config_ini(const struct chair_config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		abort();
	config_write_ini(cfg, f, false);
	if (fclose(f))
		abort();
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	static struct chair_config cfg, before;
	config_defaults(&cfg);
	before = cfg;
	char err[512] = "";
	int rc = config_load_string(text, "fuzz.ini", &cfg, err, sizeof(err));
	free(text);
	if (rc) {
		if (memcmp(&cfg, &before, sizeof(cfg)))
			fuzz_config_fail("a refused text changed the configuration", err);
		if (!err[0])
			fuzz_config_fail("a refused text without a message", NULL);
		return 0;
	}
	if (config_validate(&cfg, err, sizeof(err)))
		fuzz_config_fail("an accepted text fails config_validate", err);
	size_t len1, len2;
	char *ini1 = fuzz_config_ini(&cfg, &len1);
	if (config_load_string(ini1, "config.get", &cfg, err, sizeof(err)))
		fuzz_config_fail("config_write_ini's text is refused", err);
	char *ini2 = fuzz_config_ini(&cfg, &len2);
	if (len1 != len2 || memcmp(ini1, ini2, len1)) {
		fprintf(stderr, "first:\n%s\nagain:\n%s\n", ini1, ini2);
		fuzz_config_fail("config_write_ini's text read back writes differently", NULL);
	}
	free(ini1);
	free(ini2);
	return 0;
}
