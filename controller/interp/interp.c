/* The pipeline text -> parse -> check -> compile, and reading program files. */
#include "interp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compile.h"
#include "parser.h"

int interp_load(const char *text, size_t len, const char *file, const struct interp_limits *lim,
		struct interp_diags *d, struct plan **compiled)
{
	*compiled = NULL;
	struct interp_program *prog;
	int rc = interp_parse(text, len, file, d, &prog);
	if (rc != 0)
		return rc;
	rc = interp_check(prog, lim, d);
	if (rc < 0) {
		interp_program_free(prog);
		return rc;
	}
	if (d->errors > 0) {
		interp_program_free(prog);
		return -EINVAL;
	}
	rc = plan_compile(prog, lim, compiled);
	interp_program_free(prog);
	return rc;
}

int interp_read_file(const char *path, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = PLAN_FILE_MAX + 2;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	size_t n = fread(buf, 1, cap - 1, f);
	int rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int interp_load_file(const char *path, const struct interp_limits *lim, struct interp_diags *d,
		     struct plan **compiled)
{
	char *text;
	size_t len;
	*compiled = NULL;
	int rc = interp_read_file(path, &text, &len);
	if (rc != 0) {
		interp_error(d, (struct interp_loc){1, 1}, "cannot read the file: %s", strerror(-rc));
		return rc;
	}
	rc = interp_load(text, len, path, lim, d, compiled);
	free(text);
	return rc;
}
