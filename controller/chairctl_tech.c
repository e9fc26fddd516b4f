/* chairctl's technician commands over the socket: the technician PIN, and the programs
 * installed on the chair. They need a technician's connection (root or the technician
 * group); chaird refuses them to anyone else (-32002, exit 1). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "chairctl_api.h"

#define PROGRAM_TEXT_MAX (60u * 1024u) /* a request is at most 64 KiB, with its JSON */

/* One line typed at the terminal without echo (the PIN must not show on the screen). */
static bool read_hidden(const char *prompt, char *out, size_t len)
{
	struct termios was, quiet;
	if (tcgetattr(STDIN_FILENO, &was) != 0)
		return false;
	quiet = was;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fputs(prompt, stderr);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	bool ok = fgets(out, (int)len, stdin) != NULL;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &was);
	fputs("\n", stderr);
	if (ok)
		out[strcspn(out, "\r\n")] = '\0';
	return ok;
}

/* The new PIN from a person at the terminal: typed twice, unseen. NULL after a message. */
static const char *pin_from_tty(void)
{
	static char first[128];
	char again[128];
	if (!read_hidden("new technician PIN: ", first, sizeof(first)) ||
	    !read_hidden("the same again: ", again, sizeof(again)))
		return NULL;
	if (strcmp(first, again) != 0) {
		fprintf(stderr, "chairctl: the two PINs differ; nothing was changed\n");
		return NULL;
	}
	return first;
}

/* tech set-pin [--pin PIN|-]: without --pin the PIN is typed twice at the terminal without
 * echo, or is the first line of standard input when that is not a terminal, so it shows
 * neither on the screen nor in the process list. */
int chairctl_cmd_tech(struct chairctl *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "set-pin") != 0) {
		fprintf(stderr, "chairctl: tech set-pin [--pin PIN|-]\n");
		return CHAIRCTL_USAGE;
	}
	const char *pin = NULL;
	if (argc == 4 && !strcmp(argv[2], "--pin"))
		pin = chairctl_pin(argv[3]);
	else if (argc == 2)
		pin = isatty(STDIN_FILENO) ? pin_from_tty() : chairctl_pin("-");
	else {
		fprintf(stderr, "chairctl: tech set-pin [--pin PIN|-]\n");
		return CHAIRCTL_USAGE;
	}
	if (!pin)
		return CHAIRCTL_USAGE;
	if (!pin[0]) {
		fprintf(stderr, "chairctl: an empty PIN; nothing was changed\n");
		return CHAIRCTL_USAGE;
	}
	int rc = chairctl_call(c, "tech.set_pin", json_pack("{s:s}", "pin", pin), NULL,
			       CHAIRCTL_CALL_MS);
	if (rc == CHAIRCTL_OK)
		printf("technician PIN set\n");
	return rc;
}

/* The whole of a program file (at most PROGRAM_TEXT_MAX bytes), or NULL after a message. */
static char *read_text(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "chairctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *text = malloc(PROGRAM_TEXT_MAX + 1);
	size_t n = text ? fread(text, 1, PROGRAM_TEXT_MAX + 1, f) : 0;
	int failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!text || failed || n > PROGRAM_TEXT_MAX) {
		fprintf(stderr, "chairctl: %s: %s\n", path,
			!text ? "out of memory" : failed ? "cannot be read" : "longer than 60 KiB");
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

/* The name a file installs as: its base name without ".prog". */
static void name_of_file(const char *path, char *name, size_t len)
{
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(name, len, "%s", basename(copy));
	size_t n = strlen(name);
	if (n > 5 && !strcmp(name + n - 5, ".prog"))
		name[n - 5] = '\0';
}

static int program_install(struct chairctl *c, int argc, char **argv)
{
	const char *file = NULL, *name = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else if (!file && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			file = argv[i];
		else {
			fprintf(stderr, "chairctl: program install FILE|- [--name NAME]\n");
			return CHAIRCTL_USAGE;
		}
	}
	if (!file || (!strcmp(file, "-") && !name)) {
		fprintf(stderr, "chairctl: program install FILE [--name NAME]  (from stdin: - --name NAME)\n");
		return CHAIRCTL_USAGE;
	}
	char derived[128];
	if (!name) {
		name_of_file(file, derived, sizeof(derived));
		name = derived;
	}
	char *text = read_text(file);
	if (!text)
		return CHAIRCTL_USAGE;
	json_t *res;
	int rc = chairctl_call(c, "programs.install", json_pack("{s:s, s:s}", "name", name, "text", text),
			       &res, CHAIRCTL_CALL_MS);
	free(text);
	if (rc != CHAIRCTL_OK)
		return rc;
	if (c->json)
		chairctl_print_result(c, res);
	else
		printf("installed %s\n", name);
	json_decref(res);
	return CHAIRCTL_OK;
}

static int program_list(struct chairctl *c)
{
	json_t *res;
	int rc = chairctl_call(c, "programs.list", NULL, &res, CHAIRCTL_CALL_MS);
	if (rc != CHAIRCTL_OK)
		return rc;
	if (c->json) {
		chairctl_print_result(c, res);
	} else {
		size_t i;
		const json_t *p;
		json_array_foreach(json_object_get(res, "programs"), i, p)
			printf("%-32s %.12s\n", chairctl_str(p, "name"), chairctl_str(p, "checksum"));
	}
	json_decref(res);
	return CHAIRCTL_OK;
}

/* program install FILE [--name NAME] | remove NAME | list */
int chairctl_cmd_program(struct chairctl *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "install"))
		return program_install(c, argc, argv);
	if (argc == 2 && !strcmp(argv[1], "list"))
		return program_list(c);
	if (argc == 3 && !strcmp(argv[1], "remove")) {
		int rc = chairctl_call(c, "programs.remove", json_pack("{s:s}", "name", argv[2]),
				       NULL, CHAIRCTL_CALL_MS);
		if (rc == CHAIRCTL_OK)
			printf("removed %s\n", argv[2]);
		return rc;
	}
	fprintf(stderr, "chairctl: program install FILE [--name NAME] | remove NAME | list\n");
	return CHAIRCTL_USAGE;
}
