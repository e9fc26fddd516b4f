/* Log lines with their priority for the journal, unchanged anywhere else. systemd sets
 * JOURNAL_STREAM=DEVICE:INODE (decimal) for a service whose stdout or stderr it connected
 * to the journal; the prefix is used only when stderr is still that stream, so a chaird
 * started from a shell inside a service, or with stderr redirected, writes plain lines. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	bool opened;
	bool journal;
	const char *name;
} log_state;

/* Whether JOURNAL_STREAM names the file standard error is. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	if (!env || !*env)
		return false;
	char *end;
	errno = 0;
	unsigned long long dev = strtoull(env, &end, 10);
	if (errno || end == env || *end != ':')
		return false;
	const char *ino_text = end + 1;
	unsigned long long ino = strtoull(ino_text, &end, 10);
	if (errno || end == ino_text || *end)
		return false;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(const char *name)
{
	log_state.name = name;
	log_state.journal = stderr_is_journal();
	log_state.opened = true;
}

bool log_to_journal(void)
{
	if (!log_state.opened)
		log_open(program_invocation_short_name);
	return log_state.journal;
}

void log_msg(int priority, const char *fmt, ...)
{
	bool journal = log_to_journal();
	char line[LOG_LINE_MAX_BYTES];
	int n = journal ? snprintf(line, sizeof(line), "<%d>", priority & LOG_PRIMASK) : 0;
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s: ", log_state.name);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	va_list ap;
	va_start(ap, fmt);
	int text = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (text < 0)
		text = 0;
	size_t len = (size_t)n + (size_t)text;
	if (len > sizeof(line) - 2) { /* cut: room for "..." and the newline */
		len = sizeof(line) - 5;
		memcpy(line + len, "...", 3);
		len += 3;
	}
	line[len++] = '\n';
	/* One write a line, so lines of two threads never interleave. */
	fwrite(line, 1, len, stderr);
}
