/* The console: parse a line into a command, send it, report what the chair says back.
 *
 *   home | start | pause | resume | stop | ack | stronger | softer | faster | slower
 *   too-much | cap N | status | faults | quit
 *
 * Events: "state NAME", "fault TEXT", "ok COMMAND", "refused COMMAND: WHY",
 * "status ...", "error: ..." for lines that are not commands. A line is read whole (at most
 * CONSOLE_LINE_MAX bytes, however the reads split it) and parsed whole before anything is
 * sent: a line too long, a word too many or a number that is not plain decimal sends
 * nothing. */
#include "console.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct console {
	struct runner *r;
	const struct chair_config *cfg;
	const struct plan *plan;
	FILE *out;
	int last_state;
	int last_fault;
	uint32_t pending_seq;
	bool pending_ack;   /* answered when its window closes, not when it is taken */
	char pending_name[32];
	struct console_lines lines;
	char in_buf[256];   /* the last read, handed to lines from in_pos on */
	size_t in_len;
	size_t in_pos;
	bool quit;
};

static const char *const result_text[] = {
	[CMD_OK] = "ok",
	[CMD_E_STATE] = "not allowed in this state",
	[CMD_E_NOT_HOMED] = "not homed: home first",
	[CMD_E_FAULT] = "a fault is latched: acknowledge it first",
	[CMD_E_ARG] = "bad value",
	[CMD_E_CAUSE] = "the cause of the fault is still present",
	[CMD_E_RAISE] = "the cap may only go down while a program runs",
};

/* The answer to the pending acknowledge, once its window has closed. */
static void answer_ack(struct console *c, const struct telem *t)
{
	if (t->ack_result == CMD_OK) {
		fprintf(c->out, "ok ack\n");
		return;
	}
	if (t->ack_result != CMD_E_CAUSE) {
		int res = t->ack_result;
		fprintf(c->out, "refused ack: %s\n",
			res > 0 && res <= CMD_E_RAISE ? result_text[res] : "refused");
		return;
	}
	struct fault_record rec = {.code = (enum fault_code)t->ack_cause,
				   .where = t->ack_cause_where};
	char text[200] = "";
	if (rec.code > FAULT_NONE && rec.code < FAULT_COUNT)
		fault_describe(&rec, text, sizeof(text));
	fprintf(c->out, "refused ack: %s%s%s\n", result_text[CMD_E_CAUSE], text[0] ? ": " : "",
		text);
}

static void take(void *arg, const struct telem *t)
{
	struct console *c = arg;
	if (t->fault != c->last_fault && t->fault) {
		struct fault_record rec = {.code = (enum fault_code)t->fault,
					   .where = t->fault_where,
					   .bus_id = t->fault_bus_id,
					   .value = t->fault_value,
					   .reg = t->fault_reg};
		char text[200];
		fault_describe(&rec, text, sizeof(text));
		fprintf(c->out, "fault %s\n", text);
	}
	c->last_fault = t->fault;
	if (t->state != c->last_state) {
		fprintf(c->out, "state %s%s\n", chair_state_name[t->state < ST_COUNT ? t->state : 0],
			t->state == ST_IDLE && t->homed ? " homed" : "");
		c->last_state = t->state;
	}
	if (c->pending_seq && c->pending_ack && t->ack_seq >= c->pending_seq) {
		answer_ack(c, t);
		c->pending_seq = 0;
	} else if (c->pending_seq && !c->pending_ack && t->cmd_seq >= c->pending_seq) {
		int res = t->cmd_result;
		if (res == CMD_OK)
			fprintf(c->out, "ok %s\n", c->pending_name);
		else
			fprintf(c->out, "refused %s: %s\n", c->pending_name,
				res > 0 && res <= CMD_E_RAISE ? result_text[res] : "refused");
		c->pending_seq = 0;
	}
	fflush(c->out);
}

static void console_send(struct console *c, const char *name, struct ctl_cmd cmd)
{
	uint32_t seq = runner_send(c->r, &cmd);
	if (!seq) {
		fprintf(c->out, "refused %s: command queue full\n", name);
		return;
	}
	c->pending_seq = seq;
	c->pending_ack = cmd.kind == CMD_ACK;
	snprintf(c->pending_name, sizeof(c->pending_name), "%s", name);
}

/* The fault log as the main thread received it, oldest first. */
static void faults(struct console *c)
{
	const struct fault_log *log = &c->r->faults;
	uint32_t kept = log->count < FAULT_LOG_LEN ? log->count : FAULT_LOG_LEN;
	fprintf(c->out, "faults %u logged, %u trips dropped\n", (unsigned)log->count,
		(unsigned)c->r->last.trips_dropped);
	for (uint32_t i = kept; i-- > 0;)
		fault_print(c->out, "faults ", fault_log_get(log, i));
}

static void status(struct console *c)
{
	const struct telem *t = &c->r->last;
	fprintf(c->out,
		"status state %s homed %d y_mm %.1f z_mm %.1f force_n %.1f cap_n %.1f "
		"run_ms %u of %u\n",
		chair_state_name[t->state < ST_COUNT ? t->state : 0], t->homed, t->y_mm, t->z_mm,
		t->force_n, t->cap_n, t->exec_elapsed_ms, t->exec_total_ms);
}

/* Every command: its word, what it does, and whether it takes a value (only cap does). */
static const struct console_word {
	const char *word;
	enum console_op op;
	enum cmd_kind kind;
	int32_t value;
	bool takes_value;
} console_words[] = {
	{"home", CONSOLE_SEND, CMD_HOME, 0, false},
	{"start", CONSOLE_START, CMD_START, 0, false},
	{"pause", CONSOLE_SEND, CMD_PAUSE, 0, false},
	{"resume", CONSOLE_SEND, CMD_RESUME, 0, false},
	{"stop", CONSOLE_SEND, CMD_STOP, 0, false},
	{"ack", CONSOLE_SEND, CMD_ACK, 0, false},
	{"stronger", CONSOLE_SEND, CMD_INTENSITY, 1, false},
	{"softer", CONSOLE_SEND, CMD_INTENSITY, -1, false},
	{"faster", CONSOLE_SEND, CMD_SPEED, 1, false},
	{"slower", CONSOLE_SEND, CMD_SPEED, -1, false},
	{"too-much", CONSOLE_SEND, CMD_TOO_MUCH, 0, false},
	{"cap", CONSOLE_SEND, CMD_SET_CAP, 0, true},
	{"status", CONSOLE_STATUS, CMD_COUNT, 0, false},
	{"faults", CONSOLE_FAULTS, CMD_COUNT, 0, false},
	{"quit", CONSOLE_QUIT, CMD_COUNT, 0, false},
};

/* Digits with an optional fraction and nothing else, so strtod never sees the hex, inf,
 * nan or exponent it would otherwise take. */
static bool decimal(const char *s, size_t len, double *v)
{
	size_t i = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return false;
	if (i < len && s[i] == '.') {
		size_t frac = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == frac)
			return false;
	}
	char text[CONSOLE_LINE_MAX + 1];
	if (i != len || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	*v = strtod(text, NULL);
	return isfinite(*v);
}

int console_parse(const char *line, const struct chair_config *cfg, struct console_cmd *out,
		  char *err, int err_len)
{
	/* Every word first: the command, its value, and whether anything follows. */
	const char *word[3];
	size_t word_len[3];
	int words = 0;
	for (size_t i = 0; line[i];) {
		unsigned char ch = (unsigned char)line[i];
		if (ch == ' ' || ch == '\t') {
			i++;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(err, err_len, "control character 0x%02x at column %zu", ch, i + 1);
			return -EINVAL;
		}
		size_t len = 0;
		while (line[i + len] && line[i + len] != ' ' && line[i + len] != '\t' &&
		       (unsigned char)line[i + len] >= 0x20 && line[i + len] != 0x7f)
			len++;
		if (words < 3) { /* a third word is only ever "one too many" */
			word[words] = line + i;
			word_len[words] = len;
			words++;
		}
		i += len;
	}
	if (words == 0) {
		*out = (struct console_cmd){.op = CONSOLE_EMPTY};
		return 0;
	}
	const struct console_word *w = NULL;
	for (size_t i = 0; i < sizeof(console_words) / sizeof(console_words[0]); i++)
		if (strlen(console_words[i].word) == word_len[0] &&
		    !memcmp(console_words[i].word, word[0], word_len[0]))
			w = &console_words[i];
	if (!w) {
		snprintf(err, err_len, "unknown command '%.*s'", (int)(word_len[0] > 40 ? 40 : word_len[0]),
			 word[0]);
		return -EINVAL;
	}
	if (!w->takes_value && words > 1) {
		snprintf(err, err_len, "'%s' takes no value", w->word);
		return -EINVAL;
	}
	if (w->takes_value && words != 2) {
		snprintf(err, err_len, "'%s' takes one value", w->word);
		return -EINVAL;
	}
	struct console_cmd cmd = {.op = w->op, .name = w->word, .kind = w->kind, .value = w->value};
	if (w->kind == CMD_SET_CAP) {
		double cap_n = 0;
		if (!decimal(word[1], word_len[1], &cap_n) || !(cap_n > 0 && cap_n <= cfg->force.max_n)) {
			snprintf(err, err_len,
				 "'cap' takes newtons, a decimal number above 0 and at most %g, not '%.*s'",
				 cfg->force.max_n, (int)(word_len[1] > 40 ? 40 : word_len[1]), word[1]);
			return -EINVAL;
		}
		cmd.value_f = cap_n;
	}
	*out = cmd;
	return 0;
}

void console_lines_reset(struct console_lines *l)
{
	memset(l, 0, sizeof(*l));
}

size_t console_lines_feed(struct console_lines *l, const char *buf, size_t n,
			  enum console_line *event)
{
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];
		if (l->discarding) {
			if (ch == '\n')
				l->discarding = false;
			continue;
		}
		if (ch == '\n') {
			if (l->len > 0 && l->text[l->len - 1] == '\r')
				l->len--;
			l->text[l->len] = '\0';
			bool nul = l->nul;
			size_t len = l->len;
			l->len = 0;
			l->nul = false;
			if (len > CONSOLE_LINE_MAX)
				*event = CONSOLE_LINE_TOO_LONG;
			else if (nul)
				*event = CONSOLE_LINE_NUL;
			else
				*event = CONSOLE_LINE_READY;
			return i + 1;
		}
		if (l->len == CONSOLE_LINE_MAX + 1) {
			/* Past the limit even if the last byte was a CR: refuse it now, drop the rest. */
			l->len = 0;
			l->nul = false;
			l->discarding = true;
			*event = CONSOLE_LINE_TOO_LONG;
			return i + 1;
		}
		l->nul |= ch == '\0';
		l->text[l->len++] = ch;
	}
	*event = CONSOLE_LINE_NONE;
	return n;
}

/* A line, checked whole before anything is sent: a refused line changes nothing. */
static void handle(struct console *c, const char *line)
{
	struct console_cmd cmd;
	char err[160];
	if (console_parse(line, c->cfg, &cmd, err, sizeof(err))) {
		fprintf(c->out, "error: %s\n", err);
	} else if (cmd.op == CONSOLE_SEND) {
		console_send(c, cmd.name,
			     (struct ctl_cmd){.kind = cmd.kind, .value = cmd.value, .value_f = cmd.value_f});
	} else if (cmd.op == CONSOLE_START) {
		if (!c->plan)
			fprintf(c->out, "refused start: no program loaded (chaird --program FILE)\n");
		else
			console_send(c, cmd.name, (struct ctl_cmd){.kind = CMD_START, .plan = c->plan});
	} else if (cmd.op == CONSOLE_STATUS) {
		status(c);
	} else if (cmd.op == CONSOLE_FAULTS) {
		faults(c);
	} else if (cmd.op == CONSOLE_QUIT) {
		c->quit = true;
	}
	fflush(c->out);
}

/* Take what input is there without waiting, a line at a time, and no further while a
 * command waits for its answer: every command gets its own reply, in order. False once
 * input has ended (a last line without its newline is dropped). */
static bool read_input(struct console *c, int fd)
{
	while (!c->pending_seq && !c->quit) {
		if (c->in_pos == c->in_len) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 0) <= 0)
				return true;
			ssize_t n = read(fd, c->in_buf, sizeof(c->in_buf));
			if (n <= 0)
				return n < 0 && (errno == EINTR || errno == EAGAIN);
			c->in_len = (size_t)n;
			c->in_pos = 0;
		}
		enum console_line event;
		c->in_pos += console_lines_feed(&c->lines, c->in_buf + c->in_pos, c->in_len - c->in_pos,
						&event);
		if (event == CONSOLE_LINE_READY) {
			handle(c, c->lines.text);
		} else if (event == CONSOLE_LINE_TOO_LONG) {
			fprintf(c->out, "error: line too long (max %d bytes)\n", CONSOLE_LINE_MAX);
			fflush(c->out);
		} else if (event == CONSOLE_LINE_NUL) {
			fprintf(c->out, "error: line holds a NUL byte\n");
			fflush(c->out);
		}
	}
	return true;
}

int console_run(struct runner *r, const struct chair_config *cfg, const struct plan *plan,
		int in_fd, FILE *out, volatile sig_atomic_t *stop)
{
	static struct console c;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.cfg = cfg;
	c.plan = plan;
	c.out = out;
	c.last_state = -1;
	bool open = true;
	while (!c.quit && !*stop) {
		if (open)
			open = read_input(&c, in_fd);
		else if (c.last_state == ST_IDLE || c.last_state == ST_FAULT || c.last_state == ST_ESTOP)
			break; /* input closed: leave once the chair is at rest */
		else if (c.last_state == ST_RUNNING || c.last_state == ST_PAUSED)
			if (!c.pending_seq)
				console_send(&c, "stop", (struct ctl_cmd){.kind = CMD_STOP});
		runner_advance(r, take, &c);
	}
	return r->last.state == ST_FAULT || r->last.state == ST_ESTOP;
}
