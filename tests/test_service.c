/* chaird under systemd, on a notify socket this suite binds itself (a unix datagram
 * socket named in NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID set as systemd sets them)
 * and a fake tick counter on a fake clock: READY=1 comes once, and only after the chair has
 * been at rest for SERVICE_REST_TICKS (not while it homes by itself at power-up; with a
 * fault latched it does); WATCHDOG=1 comes every half period while the tick counter
 * advances and stops when it stands still (a wedged rt thread), which is logged; STATUS=
 * follows the chair's state and its fault's code; without NOTIFY_SOCKET nothing is sent.
 * And the log lines: "<3>" and the like only when stderr is the stream JOURNAL_STREAM
 * names, the old lines anywhere else, an overlong line cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../controller/fault.h"
#include "../controller/log.h"
#include "../controller/service.h"
#include "../controller/tick.h"

#define NS_PER_MS 1000000LL
#define TURN_MS 5 /* the daemon's turn */
#define MSG_MAX 256

/* The fake systemd: a bound datagram socket, and the messages received so far. */
struct fake_systemd {
	char dir[64];
	char path[108];
	int fd;
	char msg[MSG_MAX][256];
	int count;
};

/* The chair as the fake rt thread and clock see it. */
struct fake_chair {
	struct service svc;
	struct service_view v;
	int64_t now_ns;
	bool ticking; /* the rt thread's tick counter advances with the clock */
};

static int setup(void **state)
{
	struct fake_systemd *sd = calloc(1, sizeof(*sd));
	if (!sd)
		return -1;
	snprintf(sd->dir, sizeof(sd->dir), "/tmp/test_service.XXXXXX");
	if (!mkdtemp(sd->dir))
		return -1;
	snprintf(sd->path, sizeof(sd->path), "%s/notify", sd->dir);
	sd->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sd->path);
	if (sd->fd < 0 || bind(sd->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("NOTIFY_SOCKET", sd->path, 1);
	setenv("WATCHDOG_USEC", "200000", 1); /* 200 ms: a ping due every 100 ms */
	setenv("WATCHDOG_PID", pid, 1);
	*state = sd;
	return 0;
}

static int teardown(void **state)
{
	struct fake_systemd *sd = *state;
	close(sd->fd);
	unlink(sd->path);
	rmdir(sd->dir);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	free(sd);
	return 0;
}

/* Take every datagram waiting, one message each. */
static void receive(struct fake_systemd *sd)
{
	char buf[256];
	ssize_t n;
	while ((n = recv(sd->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[n] = '\0';
		assert_true(sd->count < MSG_MAX);
		snprintf(sd->msg[sd->count++], sizeof(sd->msg[0]), "%s", buf);
	}
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* How many messages received so far contain text. */
static int count_of(const struct fake_systemd *sd, const char *text)
{
	int n = 0;
	for (int i = 0; i < sd->count; i++)
		n += strstr(sd->msg[i], text) != NULL;
	return n;
}

/* The newest STATUS= received, or "". */
static const char *last_status(const struct fake_systemd *sd)
{
	for (int i = sd->count - 1; i >= 0; i--) {
		const char *s = strstr(sd->msg[i], "STATUS=");
		if (s)
			return s + strlen("STATUS=");
	}
	return "";
}

static void chair_open(struct fake_chair *c)
{
	memset(c, 0, sizeof(*c));
	c->now_ns = 1000 * NS_PER_MS;
	c->ticking = true;
	c->v.state = ST_IDLE;
	char err[160];
	assert_int_equal(service_open(&c->svc, c->now_ns, err, sizeof(err)), 0);
}

/* ms of the daemon's turns: the clock advances, the tick counter with it while ticking. */
static void run_ms(struct fake_chair *c, struct fake_systemd *sd, int ms)
{
	for (int t = 0; t < ms; t += TURN_MS) {
		c->now_ns += TURN_MS * NS_PER_MS;
		if (c->ticking)
			c->v.tick += TURN_MS;
		service_turn(&c->svc, c->now_ns, &c->v);
		receive(sd); /* every turn: a full queue would block the sender, as systemd's */
	}
}

static void test_watchdog_period_is_half_of_what_systemd_gives(void **state)
{
	(void)state;
	struct fake_chair c;
	chair_open(&c);
	assert_true(c.svc.notify);
	assert_int_equal(c.svc.watchdog_interval_ns, 100 * NS_PER_MS);
}

static void test_ready_comes_once_after_the_chair_has_rested(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	run_ms(&c, sd, SERVICE_REST_TICKS - 2 * TURN_MS);
	assert_int_equal(count_of(sd, "READY=1"), 0);
	assert_string_equal(last_status(sd), "idle");
	run_ms(&c, sd, 5000);
	assert_int_equal(count_of(sd, "READY=1"), 1);
}

static void test_ready_waits_for_homing_at_power_up_to_end(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	run_ms(&c, sd, 20); /* the first ticks idle, then the roller is found pressing */
	c.v.state = ST_HOMING;
	run_ms(&c, sd, 3000);
	assert_int_equal(count_of(sd, "READY=1"), 0);
	assert_string_equal(last_status(sd), "homing");
	c.v.state = ST_IDLE;
	c.v.homed = true;
	run_ms(&c, sd, SERVICE_REST_TICKS - TURN_MS);
	assert_int_equal(count_of(sd, "READY=1"), 0);
	run_ms(&c, sd, 2 * TURN_MS);
	assert_int_equal(count_of(sd, "READY=1"), 1);
	assert_string_equal(last_status(sd), "idle, homed");
}

static void test_ready_with_a_fault_latched_at_start_names_it(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	c.v.state = ST_FAULT;
	c.v.fault = FAULT_DRIVE;
	run_ms(&c, sd, 500);
	assert_int_equal(count_of(sd, "READY=1"), 1);
	assert_string_equal(last_status(sd), "fault drive_fault");
}

static void test_pings_come_every_half_period_while_the_tick_counter_advances(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	run_ms(&c, sd, 1000);
	assert_int_equal(count_of(sd, "WATCHDOG=1"), 10);
	run_ms(&c, sd, 1000);
	assert_int_equal(count_of(sd, "WATCHDOG=1"), 20);
}

static void test_pings_stop_when_the_rt_thread_is_wedged_and_resume_after(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	run_ms(&c, sd, 1000);
	int before = count_of(sd, "WATCHDOG=1");
	assert_int_equal(before, 10);
	/* The rt thread stops; the main loop turns on. At most the ping due within the stall
	 * bound still goes, none after. */
	c.ticking = false;
	run_ms(&c, sd, SERVICE_RT_STALL_MS);
	assert_true(c.svc.stalled);
	int at_stall = count_of(sd, "WATCHDOG=1");
	assert_in_range(at_stall, before, before + 1);
	run_ms(&c, sd, 3000);
	assert_int_equal(count_of(sd, "WATCHDOG=1"), at_stall);
	assert_string_equal(last_status(sd), "rt thread stalled at tick 1000");
	/* It ticks again: fed again, the state back in STATUS. */
	c.ticking = true;
	run_ms(&c, sd, 500);
	assert_false(c.svc.stalled);
	assert_in_range(count_of(sd, "WATCHDOG=1"), at_stall + 4, at_stall + 5);
	assert_string_equal(last_status(sd), "idle");
}

static void test_a_wedge_before_ready_withholds_it(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	c.ticking = false; /* the rt thread never publishes a tick */
	run_ms(&c, sd, 2000);
	assert_int_equal(count_of(sd, "READY=1"), 0);
	assert_int_equal(count_of(sd, "WATCHDOG=1"), 0);
}

static void test_status_follows_the_state_and_the_fault_code(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	static const struct {
		int state, fault;
		bool homed;
		const char *status;
	} steps[] = {
		{ST_IDLE, 0, false, "idle"},
		{ST_HOMING, 0, false, "homing"},
		{ST_IDLE, 0, true, "idle, homed"},
		{ST_RUNNING, 0, true, "running"},
		{ST_PAUSED, 0, true, "paused"},
		{ST_FAULT, FAULT_UNIT_STALE, false, "fault unit_stale"},
		{ST_IDLE, 0, false, "idle"},
		{ST_ESTOP, FAULT_ESTOP, false, "estop"},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		c.v.state = steps[i].state;
		c.v.fault = steps[i].fault;
		c.v.homed = steps[i].homed;
		int before = count_of(sd, "STATUS=");
		run_ms(&c, sd, 200);
		assert_string_equal(last_status(sd), steps[i].status);
		/* Told once per change, not every turn. */
		assert_int_equal(count_of(sd, "STATUS=") - before,
				 1 + (count_of(sd, "READY=1") && i == 0 ? 1 : 0));
	}
}

static void test_stopping_is_said(void **state)
{
	struct fake_systemd *sd = *state;
	struct fake_chair c;
	chair_open(&c);
	service_stopping(&c.svc);
	receive(sd);
	assert_int_equal(count_of(sd, "STOPPING=1"), 1);
}

static void test_without_notify_socket_nothing_is_sent_but_a_stall_is_seen(void **state)
{
	struct fake_systemd *sd = *state;
	unsetenv("NOTIFY_SOCKET");
	struct fake_chair c;
	chair_open(&c);
	assert_false(c.svc.notify);
	assert_int_equal(c.svc.watchdog_interval_ns, 0);
	run_ms(&c, sd, 1000);
	c.ticking = false;
	run_ms(&c, sd, 1000);
	service_stopping(&c.svc);
	receive(sd);
	assert_int_equal(sd->count, 0);
	assert_true(c.svc.stalled);
}

static void test_watchdog_pid_of_another_process_means_no_watchdog(void **state)
{
	struct fake_systemd *sd = *state;
	setenv("WATCHDOG_PID", "1", 1);
	struct fake_chair c;
	chair_open(&c);
	assert_int_equal(c.svc.watchdog_interval_ns, 0);
	run_ms(&c, sd, 1000);
	assert_int_equal(count_of(sd, "WATCHDOG=1"), 0);
	assert_int_equal(count_of(sd, "READY=1"), 1);
}

static void test_an_unreadable_watchdog_period_is_an_error_naming_it(void **state)
{
	(void)state;
	setenv("WATCHDOG_USEC", "soon", 1);
	struct service svc;
	char err[160];
	assert_true(service_open(&svc, 0, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "WATCHDOG_USEC=soon"));
	assert_int_equal(svc.watchdog_interval_ns, 0);
}

/* ---- log lines ---- */

/* What log_msg writes to stderr with JOURNAL_STREAM as journal says: "match" (the stream of
 * stderr), "other" (another file's) or NULL (unset); the text in out. */
static void logged(const char *journal, int priority, const char *text, char *out, size_t len)
{
	char path[] = "/tmp/test_service_log.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	struct stat st;
	assert_int_equal(fstat(journal && !strcmp(journal, "other") ? saved : fd, &st), 0);
	char env[64];
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (journal)
		setenv("JOURNAL_STREAM", env, 1);
	else
		unsetenv("JOURNAL_STREAM");
	log_open("chaird");
	log_msg(priority, "%s", text);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	log_open("chaird");
	ssize_t n = pread(fd, out, len - 1, 0);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
}

static void test_log_lines_are_unchanged_when_stderr_is_no_journal(void **state)
{
	(void)state;
	char out[2048];
	logged(NULL, LOG_ERR, "fault unit_stale: bus unit stopped answering", out, sizeof(out));
	assert_string_equal(out, "chaird: fault unit_stale: bus unit stopped answering\n");
	logged("other", LOG_ERR, "x", out, sizeof(out));
	assert_string_equal(out, "chaird: x\n");
}

static void test_log_lines_carry_their_priority_for_the_journal(void **state)
{
	(void)state;
	char out[2048];
	logged("match", LOG_ERR, "fault io", out, sizeof(out));
	assert_string_equal(out, "<3>chaird: fault io\n");
	logged("match", LOG_WARNING, "warning: no SCHED_FIFO", out, sizeof(out));
	assert_string_equal(out, "<4>chaird: warning: no SCHED_FIFO\n");
	logged("match", LOG_INFO, "serving", out, sizeof(out));
	assert_string_equal(out, "<6>chaird: serving\n");
}

static void test_an_overlong_log_line_is_cut_and_still_one_line(void **state)
{
	(void)state;
	char text[3000], out[4096];
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	logged("match", LOG_ERR, text, out, sizeof(out));
	size_t len = strlen(out);
	assert_int_equal(len, LOG_LINE_MAX_BYTES - 1);
	assert_memory_equal(out, "<3>chaird: xxx", 14);
	assert_memory_equal(out + len - 4, "...\n", 4);
	assert_ptr_equal(strchr(out, '\n'), out + len - 1);
}

/* Each with a fake systemd of its own. */
#define WITH_SOCKET(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WITH_SOCKET(test_watchdog_period_is_half_of_what_systemd_gives),
		WITH_SOCKET(test_ready_comes_once_after_the_chair_has_rested),
		WITH_SOCKET(test_ready_waits_for_homing_at_power_up_to_end),
		WITH_SOCKET(test_ready_with_a_fault_latched_at_start_names_it),
		WITH_SOCKET(test_pings_come_every_half_period_while_the_tick_counter_advances),
		WITH_SOCKET(test_pings_stop_when_the_rt_thread_is_wedged_and_resume_after),
		WITH_SOCKET(test_a_wedge_before_ready_withholds_it),
		WITH_SOCKET(test_status_follows_the_state_and_the_fault_code),
		WITH_SOCKET(test_stopping_is_said),
		WITH_SOCKET(test_without_notify_socket_nothing_is_sent_but_a_stall_is_seen),
		WITH_SOCKET(test_watchdog_pid_of_another_process_means_no_watchdog),
		WITH_SOCKET(test_an_unreadable_watchdog_period_is_an_error_naming_it),
		cmocka_unit_test(test_log_lines_are_unchanged_when_stderr_is_no_journal),
		cmocka_unit_test(test_log_lines_carry_their_priority_for_the_journal),
		cmocka_unit_test(test_an_overlong_log_line_is_cut_and_still_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
