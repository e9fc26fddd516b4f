/* The console: a line is parsed whole before anything is sent (trailing words, hex, inf,
 * nan and exponents refused), over-long lines are refused whole however the reads split
 * them, and through console_run a refused line sends nothing to the chair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../controller/config.h"
#include "../controller/console.h"
#include "../controller/runner.h"
#include "../drivers/hal_sim.h"

static struct chair_config cfg;

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	/* A person whose roller is off the body at power-up: with a roller found pressing
	 * (seed 1) the chair homes by itself, and these tests prove that nothing moves
	 * unless a command says so. */
	cfg.hal.sim_seed = 2;
	return 0;
}

/* --- console_parse --------------------------------------------------------------------- */

static int parse(const char *line, struct console_cmd *cmd, char *err, int err_len)
{
	return console_parse(line, &cfg, cmd, err, err_len);
}

static void assert_refused(const char *line, const char *why)
{
	struct console_cmd cmd = {.op = CONSOLE_QUIT, .name = "untouched"};
	char err[200] = "";
	if (parse(line, &cmd, err, sizeof(err)) != -EINVAL)
		fail_msg("'%s' was taken", line);
	if (!strstr(err, why))
		fail_msg("'%s': error '%s' does not say '%s'", line, err, why);
	/* A refused line leaves the command as it was. */
	assert_int_equal(cmd.op, CONSOLE_QUIT);
	assert_string_equal(cmd.name, "untouched");
}

static struct console_cmd assert_taken(const char *line)
{
	struct console_cmd cmd;
	char err[200] = "";
	if (parse(line, &cmd, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", line, err);
	return cmd;
}

static void test_parse_cap_with_a_trailing_word_is_refused(void **state)
{
	(void)state;
	assert_refused("cap 50 extra", "'cap' takes one value");
	assert_refused("cap 50 50", "'cap' takes one value");
	assert_refused("cap\t50\tx", "'cap' takes one value");
}

static void test_parse_cap_without_a_value_is_refused(void **state)
{
	(void)state;
	assert_refused("cap", "'cap' takes one value");
	assert_refused("cap   ", "'cap' takes one value");
}

static void test_parse_cap_in_hex_is_refused_though_in_range(void **state)
{
	(void)state;
	assert_refused("cap 0x78", "decimal"); /* 120 N, the hard limit: strtod would take it */
	assert_refused("cap 0X1E", "decimal");
	assert_refused("cap 0x1p4", "decimal");
}

static void test_parse_cap_inf_and_nan_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {"cap inf", "cap INF", "cap infinity", "cap nan", "cap NaN",
			     "cap nan(1)", "cap -inf"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i], "decimal");
}

static void test_parse_cap_with_an_exponent_is_refused(void **state)
{
	(void)state;
	assert_refused("cap 1e400", "decimal"); /* overflows to inf in strtod */
	assert_refused("cap 5e1", "decimal");   /* 50 N, but not a plain decimal */
	assert_refused("cap 5E1", "decimal");
	assert_refused("cap 1e-400", "decimal");
}

static void test_parse_cap_with_a_fraction_is_taken(void **state)
{
	(void)state;
	struct console_cmd cmd = assert_taken("cap 50.5");
	assert_int_equal(cmd.op, CONSOLE_SEND);
	assert_int_equal(cmd.kind, CMD_SET_CAP);
	assert_string_equal(cmd.name, "cap");
	assert_true(cmd.value_f == 50.5);
	assert_true(assert_taken("cap 120").value_f == 120);
	assert_true(assert_taken("cap 0.1").value_f == 0.1);
	assert_true(assert_taken("  cap   050  ").value_f == 50);
}

static void test_parse_cap_outside_0_to_the_hard_limit_or_malformed_is_refused(void **state)
{
	(void)state;
	const char *bad[] = {"cap 0",   "cap 0.0",  "cap 120.001", "cap 121", "cap -5",
			     "cap +50", "cap 50.",  "cap .5",      "cap 5..0", "cap 5.0.1",
			     "cap 50N", "cap 5,0",  "cap ''"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i], "above 0 and at most 120");
}

static void test_parse_commands_without_values_refuse_a_trailing_word(void **state)
{
	(void)state;
	assert_refused("home x", "'home' takes no value");
	assert_refused("home 1", "'home' takes no value");
	const char *words[] = {"start", "pause", "resume", "stop", "ack", "stronger", "softer",
			       "faster", "slower", "too-much", "status", "faults", "quit"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char line[64], why[64];
		snprintf(line, sizeof(line), "%s now", words[i]);
		snprintf(why, sizeof(why), "'%s' takes no value", words[i]);
		assert_refused(line, why);
	}
}

static void test_parse_each_command_gives_its_kind_and_value(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		enum console_op op;
		enum cmd_kind kind;
		int32_t value;
	} want[] = {
		{"home", CONSOLE_SEND, CMD_HOME, 0},          {"pause", CONSOLE_SEND, CMD_PAUSE, 0},
		{"resume", CONSOLE_SEND, CMD_RESUME, 0},      {"stop", CONSOLE_SEND, CMD_STOP, 0},
		{"ack", CONSOLE_SEND, CMD_ACK, 0},            {"stronger", CONSOLE_SEND, CMD_INTENSITY, 1},
		{"softer", CONSOLE_SEND, CMD_INTENSITY, -1},  {"faster", CONSOLE_SEND, CMD_SPEED, 1},
		{"slower", CONSOLE_SEND, CMD_SPEED, -1},      {"too-much", CONSOLE_SEND, CMD_TOO_MUCH, 0},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct console_cmd cmd = assert_taken(want[i].line);
		assert_int_equal(cmd.op, want[i].op);
		assert_int_equal(cmd.kind, want[i].kind);
		assert_int_equal(cmd.value, want[i].value);
		assert_string_equal(cmd.name, want[i].line);
	}
	assert_int_equal(assert_taken("start").op, CONSOLE_START);
	assert_int_equal(assert_taken("status").op, CONSOLE_STATUS);
	assert_int_equal(assert_taken("faults").op, CONSOLE_FAULTS);
	assert_int_equal(assert_taken("quit").op, CONSOLE_QUIT);
	assert_int_equal(assert_taken("\thome ").kind, CMD_HOME);
}

static void test_parse_empty_and_blank_lines_are_nothing_to_do(void **state)
{
	(void)state;
	assert_int_equal(assert_taken("").op, CONSOLE_EMPTY);
	assert_int_equal(assert_taken("   ").op, CONSOLE_EMPTY);
	assert_int_equal(assert_taken(" \t ").op, CONSOLE_EMPTY);
}

static void test_parse_unknown_words_and_prefixes_are_refused(void **state)
{
	(void)state;
	assert_refused("hom", "unknown command 'hom'");
	assert_refused("homex", "unknown command 'homex'");
	assert_refused("HOME", "unknown command 'HOME'");
	assert_refused("xhome", "unknown command 'xhome'");
}

static void test_parse_control_characters_are_refused_with_their_column(void **state)
{
	(void)state;
	assert_refused("home\r", "control character 0x0d at column 5"); /* a CR not at the end */
	assert_refused("ho\x1b[Ame", "control character 0x1b at column 3");
	assert_refused("cap 5\x7f", "control character 0x7f at column 6");
}

static void test_parse_long_unknown_word_fits_the_error_buffer(void **state)
{
	(void)state;
	char line[CONSOLE_LINE_MAX + 1];
	memset(line, 'x', CONSOLE_LINE_MAX);
	line[CONSOLE_LINE_MAX] = '\0';
	struct console_cmd cmd;
	char err[32];
	assert_int_equal(parse(line, &cmd, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1); /* truncated, terminated */
}

/* --- the line assembler ------------------------------------------------------------------ */

struct events {
	int ready, too_long, nul;
	char last[CONSOLE_LINE_MAX + 2];
	char all[1024]; /* every READY line, each followed by '|' */
};

/* Feed one read, taking every event in it as console.c does. */
static void feed(struct console_lines *l, const char *buf, size_t n, struct events *ev)
{
	size_t pos = 0;
	while (pos < n) {
		enum console_line what;
		size_t took = console_lines_feed(l, buf + pos, n - pos, &what);
		assert_true(took > 0 && took <= n - pos);
		pos += took;
		if (what == CONSOLE_LINE_READY) {
			ev->ready++;
			snprintf(ev->last, sizeof(ev->last), "%s", l->text);
			strncat(ev->all, l->text, sizeof(ev->all) - strlen(ev->all) - 2);
			strcat(ev->all, "|");
		} else if (what == CONSOLE_LINE_TOO_LONG) {
			ev->too_long++;
		} else if (what == CONSOLE_LINE_NUL) {
			ev->nul++;
		} else {
			assert_int_equal(pos, n); /* NONE only once the read is used up */
		}
	}
}

static void feed_str(struct console_lines *l, const char *s, struct events *ev)
{
	feed(l, s, strlen(s), ev);
}

static void test_lines_255_junk_bytes_then_home_in_one_read_is_one_error_no_line(void **state)
{
	(void)state;
	char buf[300];
	memset(buf, 'x', 255);
	memcpy(buf + 255, "home\n", 5);
	struct console_lines l;
	console_lines_reset(&l);
	struct events ev = {0};
	feed(&l, buf, 260, &ev);
	assert_int_equal(ev.too_long, 1);
	assert_int_equal(ev.ready, 0);
	/* The next line is a line of its own again. */
	feed_str(&l, "status\n", &ev);
	assert_int_equal(ev.ready, 1);
	assert_string_equal(ev.last, "status");
	assert_int_equal(ev.too_long, 1);
}

static void test_lines_300_byte_line_split_over_three_reads_is_one_error(void **state)
{
	(void)state;
	char buf[301];
	memset(buf, 'y', 300);
	memcpy(buf + 296, "home", 4);
	buf[300] = '\n';
	struct console_lines l;
	console_lines_reset(&l);
	struct events ev = {0};
	feed(&l, buf, 100, &ev);
	assert_int_equal(ev.too_long, 0);
	feed(&l, buf + 100, 180, &ev); /* the limit passes in this read */
	assert_int_equal(ev.too_long, 1);
	feed(&l, buf + 280, 21, &ev);
	assert_int_equal(ev.too_long, 1);
	assert_int_equal(ev.ready, 0);
	feed_str(&l, "ack\n", &ev);
	assert_string_equal(ev.all, "ack|");
}

static void test_lines_a_long_line_byte_by_byte_is_one_error(void **state)
{
	(void)state;
	struct console_lines l;
	console_lines_reset(&l);
	struct events ev = {0};
	for (int i = 0; i < 1000; i++)
		feed(&l, "z", 1, &ev);
	feed(&l, "\n", 1, &ev);
	assert_int_equal(ev.too_long, 1);
	assert_int_equal(ev.ready, 0);
}

static void test_lines_exactly_the_limit_is_taken_one_more_is_refused(void **state)
{
	(void)state;
	char buf[CONSOLE_LINE_MAX + 3];
	struct console_lines l;
	console_lines_reset(&l);
	struct events ev = {0};

	memset(buf, 'a', CONSOLE_LINE_MAX);
	buf[CONSOLE_LINE_MAX] = '\n';
	feed(&l, buf, CONSOLE_LINE_MAX + 1, &ev);
	assert_int_equal(ev.ready, 1);
	assert_int_equal(strlen(ev.last), CONSOLE_LINE_MAX);

	buf[CONSOLE_LINE_MAX] = '\r'; /* the CR of a CR LF is not part of the line */
	buf[CONSOLE_LINE_MAX + 1] = '\n';
	feed(&l, buf, CONSOLE_LINE_MAX + 2, &ev);
	assert_int_equal(ev.ready, 2);
	assert_int_equal(strlen(ev.last), CONSOLE_LINE_MAX);
	assert_int_equal(ev.too_long, 0);

	buf[CONSOLE_LINE_MAX] = 'a';
	buf[CONSOLE_LINE_MAX + 1] = '\n';
	feed(&l, buf, CONSOLE_LINE_MAX + 2, &ev);
	assert_int_equal(ev.ready, 2);
	assert_int_equal(ev.too_long, 1);

	buf[CONSOLE_LINE_MAX + 1] = '\r';
	buf[CONSOLE_LINE_MAX + 2] = '\n';
	feed(&l, buf, CONSOLE_LINE_MAX + 3, &ev);
	assert_int_equal(ev.ready, 2);
	assert_int_equal(ev.too_long, 2);
}

static void test_lines_crlf_ends_are_taken_as_line_ends(void **state)
{
	(void)state;
	struct console_lines l;
	console_lines_reset(&l);
	struct events ev = {0};
	feed_str(&l, "home\r\ncap 50.5\r\n\r\n", &ev);
	assert_string_equal(ev.all, "home|cap 50.5||");
	/* The CR and LF in different reads. */
	feed_str(&l, "stop\r", &ev);
	feed_str(&l, "\n", &ev);
	assert_string_equal(ev.last, "stop");
}

static void test_lines_split_across_reads_are_joined(void **state)
{
	(void)state;
	struct console_lines l;
	console_lines_reset(&l);
	struct events ev = {0};
	feed_str(&l, "ca", &ev);
	feed_str(&l, "p 4", &ev);
	assert_int_equal(ev.ready, 0);
	feed_str(&l, "0\nho", &ev);
	assert_string_equal(ev.all, "cap 40|");
	feed_str(&l, "me\n", &ev);
	assert_string_equal(ev.all, "cap 40|home|");
}

static void test_lines_several_in_one_read_come_one_event_each(void **state)
{
	(void)state;
	struct console_lines l;
	console_lines_reset(&l);
	const char *buf = "home\nstatus\n";
	enum console_line what;
	size_t took = console_lines_feed(&l, buf, strlen(buf), &what);
	assert_int_equal(what, CONSOLE_LINE_READY);
	assert_int_equal(took, 5);
	assert_string_equal(l.text, "home");
	took = console_lines_feed(&l, buf + 5, strlen(buf) - 5, &what);
	assert_int_equal(what, CONSOLE_LINE_READY);
	assert_string_equal(l.text, "status");
}

static void test_lines_with_a_nul_byte_are_refused_whole(void **state)
{
	(void)state;
	struct console_lines l;
	console_lines_reset(&l);
	struct events ev = {0};
	feed(&l, "home\0 junk\nack\n", 15, &ev); /* "home" before the NUL is not taken */
	assert_int_equal(ev.nul, 1);
	assert_string_equal(ev.all, "ack|");
}

/* --- console_run: lines in, replies out, commands to a lockstep chair ------------------------ */

struct session {
	char *out;
	uint32_t commands_sent;
	struct telem last;
};

/* Run the console on a lockstep simulated chair with input as its whole standard input. */
static struct session run_console(const char *input, size_t len)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_true(len < 65536); /* fits in the pipe: written before the console reads */
	assert_int_equal(write(fds[1], input, len), (ssize_t)len);
	close(fds[1]);

	struct hal_sim *hs = calloc(1, sizeof(*hs));
	struct hal_backend be;
	struct runner *r = calloc(1, sizeof(*r));
	assert_non_null(hs);
	assert_non_null(r);
	hal_sim_bind(hs, &be);
	char err[256];
	assert_int_equal(runner_open(r, RUNNER_LOCKSTEP, &cfg, &be, err, sizeof(err)), 0);

	struct session s = {0};
	size_t out_len = 0;
	FILE *out = open_memstream(&s.out, &out_len);
	assert_non_null(out);
	volatile sig_atomic_t stop = 0;
	console_run(r, &cfg, NULL, fds[0], out, &stop);
	fclose(out);
	s.commands_sent = r->next_seq - 1;
	s.last = r->last;
	runner_close(r);
	close(fds[0]);
	free(r);
	free(hs);
	return s;
}

static int count(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void test_run_255_junk_bytes_then_home_sends_nothing_and_one_error(void **state)
{
	(void)state;
	char in[300];
	memset(in, 'x', 255);
	memcpy(in + 255, "home\n", 5);
	struct session s = run_console(in, 260);
	assert_int_equal(s.commands_sent, 0);
	assert_int_equal(count(s.out, "error: line too long (max 255 bytes)\n"), 1);
	assert_int_equal(count(s.out, "error"), 1);
	assert_int_equal(count(s.out, "state homing"), 0);
	assert_false(s.last.homed);
	free(s.out);
}

static void test_run_300_byte_line_over_two_reads_sends_nothing(void **state)
{
	(void)state;
	char in[301];
	memset(in, ' ', 300);
	memcpy(in + 280, "home", 4); /* in the second read of 256 bytes */
	in[300] = '\n';
	struct session s = run_console(in, sizeof(in));
	assert_int_equal(s.commands_sent, 0);
	assert_int_equal(count(s.out, "error: line too long"), 1);
	free(s.out);
}

static void test_run_refused_caps_send_nothing_and_a_decimal_cap_is_sent(void **state)
{
	(void)state;
	const char *in = "cap 50 extra\ncap 0x78\ncap inf\ncap nan\ncap 1e400\nhome x\n\n  \r\n"
			 "cap 50.5\r\n";
	struct session s = run_console(in, strlen(in));
	assert_int_equal(s.commands_sent, 1);
	assert_int_equal(count(s.out, "error: 'cap' takes one value\n"), 1);
	assert_int_equal(count(s.out, "error: 'cap' takes newtons"), 4);
	assert_int_equal(count(s.out, "error: 'home' takes no value\n"), 1);
	assert_int_equal(count(s.out, "error"), 6); /* nothing for the blank lines */
	assert_int_equal(count(s.out, "ok cap\n"), 1);
	assert_true(s.last.cap_n == 50.5);
	assert_int_equal(count(s.out, "state homing"), 0);
	free(s.out);
}

static void test_run_each_command_of_one_read_gets_its_own_reply_in_order(void **state)
{
	(void)state;
	const char *in = "cap 40\ncap 30\nstatus\n";
	struct session s = run_console(in, strlen(in));
	assert_int_equal(s.commands_sent, 2);
	assert_int_equal(count(s.out, "ok cap\n"), 2);
	/* status comes after both answers, and sees the second cap. */
	const char *status = strstr(s.out, "status state");
	assert_non_null(status);
	assert_null(strstr(status, "ok cap"));
	assert_non_null(strstr(status, "cap_n 30.0"));
	free(s.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cap_with_a_trailing_word_is_refused),
		cmocka_unit_test(test_parse_cap_without_a_value_is_refused),
		cmocka_unit_test(test_parse_cap_in_hex_is_refused_though_in_range),
		cmocka_unit_test(test_parse_cap_inf_and_nan_are_refused),
		cmocka_unit_test(test_parse_cap_with_an_exponent_is_refused),
		cmocka_unit_test(test_parse_cap_with_a_fraction_is_taken),
		cmocka_unit_test(test_parse_cap_outside_0_to_the_hard_limit_or_malformed_is_refused),
		cmocka_unit_test(test_parse_commands_without_values_refuse_a_trailing_word),
		cmocka_unit_test(test_parse_each_command_gives_its_kind_and_value),
		cmocka_unit_test(test_parse_empty_and_blank_lines_are_nothing_to_do),
		cmocka_unit_test(test_parse_unknown_words_and_prefixes_are_refused),
		cmocka_unit_test(test_parse_control_characters_are_refused_with_their_column),
		cmocka_unit_test(test_parse_long_unknown_word_fits_the_error_buffer),
		cmocka_unit_test(test_lines_255_junk_bytes_then_home_in_one_read_is_one_error_no_line),
		cmocka_unit_test(test_lines_300_byte_line_split_over_three_reads_is_one_error),
		cmocka_unit_test(test_lines_a_long_line_byte_by_byte_is_one_error),
		cmocka_unit_test(test_lines_exactly_the_limit_is_taken_one_more_is_refused),
		cmocka_unit_test(test_lines_crlf_ends_are_taken_as_line_ends),
		cmocka_unit_test(test_lines_split_across_reads_are_joined),
		cmocka_unit_test(test_lines_several_in_one_read_come_one_event_each),
		cmocka_unit_test(test_lines_with_a_nul_byte_are_refused_whole),
		cmocka_unit_test(test_run_255_junk_bytes_then_home_sends_nothing_and_one_error),
		cmocka_unit_test(test_run_300_byte_line_over_two_reads_sends_nothing),
		cmocka_unit_test(test_run_refused_caps_send_nothing_and_a_decimal_cap_is_sent),
		cmocka_unit_test(test_run_each_command_of_one_read_gets_its_own_reply_in_order),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
