/* A thousand simulated sessions in lockstep (tests/sessions_sim.h): random people, random
 * consultations through the shipped rules and the planner, plans resolved for each body and
 * cap, random feedback with "too much" at random moments, each session 20-40 s and then a
 * stop. On the simulator's truth, with no tolerance: no fault and no planner failure; the
 * true force never exceeds the person's cap (SS_CAP_EPSILON_N, the float noise of a
 * comparison, is all); every "too much" is a 40 % lower true force within 50 ms; the true
 * force stays strictly below a level that was too much wherever the roller truly is in
 * that zone or within FEEDBACK_ZONE_PROMISE_MM of it, for the rest of the session; every
 * stop lets go of the body within 1 s; every plan is let go; under ASan nothing leaks.
 * The draws are the same whichever compiler built it. Sized to take some 20 s plain.
 * SS_SESSIONS_ENV (make test sets it for the ASan and clang runs) runs the first N of the
 * same sessions: the plain run makes the claim over a thousand, the others check the same
 * code paths for memory and compiler faults without repeating the whole campaign. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "sessions_sim.h"

#define SS_SESSIONS_DEFAULT 1000
#define SS_SESSIONS_ENV "SESSIONS_SIM_COUNT"

static int ss_sessions(void)
{
	const char *v = getenv(SS_SESSIONS_ENV);
	int n = v ? atoi(v) : 0;
	return n >= 20 && n <= SS_SESSIONS_DEFAULT ? n : SS_SESSIONS_DEFAULT;
}
/* A double compared with a cap given as a decimal: rounding, not force. */
#define SS_CAP_EPSILON_N 0.01

static void test_thousand_sessions_keep_the_cap_too_much_and_its_ceiling_on_the_truth(void **state)
{
	(void)state;
	struct ss_world *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	char err[1024];
	if (ss_open(w, 8, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	int faults = 0, planner = 0, over_cap = 0, returned = 0, disagreed = 0;
	int too_much = 0, late = 0, returns = 0, stops = 0, there = 0, commands = 0;
	uint32_t drop_max_ms = 0;
	int stop_max_ms = 0;
	double over_n = -1e9, peak_n = 0, margin_n = INFINITY, margin_of_n = 0;
	uint64_t ticks0 = rig_ctl(w->r)->tick;
	const int sessions = ss_sessions();
	for (int i = 0; i < sessions; i++) {
		struct ss_session s;
		int rc = ss_session_run(w, 1000u + (uint64_t)i, &s, err, sizeof(err));
		if (rc == -EPROTO) { /* a plan the planner could not make: a failure, shown */
			fprintf(stderr, "session %d: %s\n", i, err);
			planner++;
			continue;
		}
		if (rc == -EIO) {
			fprintf(stderr, "session %d: %s\n", i, err);
			faults++;
			continue;
		}
		if (rc != 0)
			fail_msg("session %d: %s", i, err);
		over_n = fmax(over_n, s.most_over_cap_n);
		peak_n = fmax(peak_n, s.peak_n);
		if (s.most_over_cap_n > SS_CAP_EPSILON_N) {
			over_cap++;
			fprintf(stderr, "session %d (seed %llu): %.3f N over its %.1f N cap\n", i,
				(unsigned long long)s.seed, s.most_over_cap_n, s.cap_n);
		}
		for (int k = 0; k < s.too_much; k++) {
			too_much++;
			if (s.drop_ms[k] > SS_TOO_MUCH_MS) {
				late++;
				fprintf(stderr, "session %d (seed %llu): too much took %u ms\n", i,
					(unsigned long long)s.seed, s.drop_ms[k]);
			} else if (s.drop_ms[k] > drop_max_ms) {
				drop_max_ms = s.drop_ms[k];
			}
		}
		if (s.returns) {
			returned++;
			fprintf(stderr, "session %d (seed %llu): %d ms back at a too-much level, at most %.2f N above %.2f N in zone %d\n",
				i, (unsigned long long)s.seed, s.returns, s.return_excess_n,
				s.return_level_n, s.return_zone);
		}
		if (s.level_margin_n < margin_n) {
			margin_n = s.level_margin_n;
			margin_of_n = s.level_margin_of_n;
		}
		returns += s.returns;
		disagreed += s.zone_disagreed;
		if (s.stop_release_ms >= 0) {
			stops++;
			stop_max_ms = s.stop_release_ms > stop_max_ms ? s.stop_release_ms : stop_max_ms;
		}
		there += s.guided_there;
		commands += s.commands;
	}
	double sim_s = (double)(rig_ctl(w->r)->tick - ticks0) / 1000.0;
	fprintf(stderr, "%d sessions, %.0f s simulated: peak %.1f N, closest to a cap %.3f N (negative: under); %d too much, slowest %u ms, %d late; %d ms back at a too-much level, closest under one %.3f N (of %.2f N); %d stops released in %d ms at most; %d other commands, %d guided there\n",
		sessions, sim_s, peak_n, over_n, too_much, drop_max_ms, late, returns, margin_n,
		margin_of_n, stops, stop_max_ms, commands, there);
	fprintf(stderr, "faults %d, planner failures %d, sessions over their cap %d, sessions back at a too-much level %d; too much said where the chair's zone was not the truth's: %d\n",
		faults, planner, over_cap, returned, disagreed);
	assert_int_equal(faults, 0);
	assert_int_equal(planner, 0);
	assert_int_equal(over_cap, 0);
	assert_int_equal(late, 0);
	assert_int_equal(returns, 0);
	assert_true(too_much > sessions / 2); /* the mix did say it, often */
	assert_true(stops > sessions / 2 && stop_max_ms <= 1000);
	ss_close(w);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousand_sessions_keep_the_cap_too_much_and_its_ceiling_on_the_truth),
	};
	return cmocka_run_group_tests_name("sessions_sim", tests, NULL, NULL);
}
