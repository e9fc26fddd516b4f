/* Log lines on standard error, one call a line, each with its syslog priority. When
 * standard error is the journal (systemd's JOURNAL_STREAM names its device and inode), a
 * line starts with the priority as journald reads it ("<3>" for an error: systemd's
 * SyslogLevelPrefix=, on by default); anywhere else the line is as it always was,
 * "chaird: text". Any thread but the rt thread, which never logs. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO */

#define LOG_LINE_MAX_BYTES 1024 /* longer lines are cut, ending in "..." */

/* Name the program for its lines ("chaird") and look again at where standard error goes.
 * Without a call the name is the program's own and stderr is looked at on the first line. */
void log_open(const char *name);
/* Whether standard error is the journal, as log_open found it. */
bool log_to_journal(void);
/* One line at priority (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO): "name: text". */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
