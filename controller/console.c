/* The console: parse a line into a command, send it, report what the chair says back.
 *
 *   home | start | pause | resume | stop | ack | stronger | softer | faster | slower
 *   too-much | cap N | status | quit
 *
 * Events: "state NAME", "fault TEXT", "ok COMMAND", "refused COMMAND: WHY",
 * "status ...", "error: ..." for lines that are not commands. */
#include "console.h"

#include <errno.h>
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
	char pending_name[32];
	char line[256];
	size_t line_len;
	bool quit;
};

static const char *const result_text[] = {
	[CMD_OK] = "ok",
	[CMD_E_STATE] = "not allowed in this state",
	[CMD_E_NOT_HOMED] = "not homed: home first",
	[CMD_E_FAULT] = "a fault is latched: acknowledge it first",
	[CMD_E_ARG] = "bad value",
	[CMD_E_CAUSE] = "the cause of the fault is still present",
};

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
	if (c->pending_seq && t->cmd_seq >= c->pending_seq) {
		int res = t->cmd_result;
		if (res == CMD_OK)
			fprintf(c->out, "ok %s\n", c->pending_name);
		else
			fprintf(c->out, "refused %s: %s\n", c->pending_name,
				res > 0 && res <= CMD_E_CAUSE ? result_text[res] : "refused");
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
	snprintf(c->pending_name, sizeof(c->pending_name), "%s", name);
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

static void handle(struct console *c, char *line)
{
	static const struct {
		const char *word;
		enum cmd_kind kind;
		int value;
	} simple[] = {
		{"home", CMD_HOME, 0},       {"pause", CMD_PAUSE, 0},
		{"resume", CMD_RESUME, 0},   {"stop", CMD_STOP, 0},
		{"ack", CMD_ACK, 0},         {"stronger", CMD_INTENSITY, 1},
		{"softer", CMD_INTENSITY, -1}, {"faster", CMD_SPEED, 1},
		{"slower", CMD_SPEED, -1},   {"too-much", CMD_TOO_MUCH, 0},
	};
	char *word = strtok(line, " \t\r\n");
	if (!word)
		return;
	char *arg = strtok(NULL, " \t\r\n");
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (!strcmp(word, simple[i].word)) {
			console_send(c, word, (struct ctl_cmd){.kind = simple[i].kind, .value = simple[i].value});
			return;
		}
	}
	if (!strcmp(word, "start")) {
		if (!c->plan)
			fprintf(c->out, "refused start: no program loaded (chaird --program FILE)\n");
		else
			console_send(c, word, (struct ctl_cmd){.kind = CMD_START, .plan = c->plan});
	} else if (!strcmp(word, "cap")) {
		char *end = NULL;
		double cap_n = arg ? strtod(arg, &end) : 0;
		if (!arg || *end || !(cap_n > 0 && cap_n <= c->cfg->force.max_n))
			fprintf(c->out, "error: cap takes newtons, above 0 and at most %g\n",
				c->cfg->force.max_n);
		else
			console_send(c, word, (struct ctl_cmd){.kind = CMD_SET_CAP, .value_f = cap_n});
	} else if (!strcmp(word, "status")) {
		status(c);
	} else if (!strcmp(word, "quit")) {
		c->quit = true;
	} else {
		fprintf(c->out, "error: unknown command '%s'\n", word);
	}
	fflush(c->out);
}

/* Take what input is there without waiting; false at end of input. */
static bool read_input(struct console *c, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 0) <= 0)
		return true;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || c->line_len == sizeof(c->line) - 1) {
			c->line[c->line_len] = '\0';
			handle(c, c->line);
			c->line_len = 0;
		} else {
			c->line[c->line_len++] = buf[i];
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
