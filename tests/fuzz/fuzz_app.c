/* The chair as chaird's daemon builds it (daemon.c), for the panel and web targets. */
#include "fuzz_app.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../sim/sim.h"

#define FUZZ_RULES "controller/data/consultation.rules"
#define FUZZ_ADVICE "controller/data/care-advice.rules"
#define FUZZ_WALL_START_S 1796000000.0

static struct fuzz_app *current;

double fuzz_app_wall_s(void)
{
	return FUZZ_WALL_START_S + (current ? runner_time_s(&current->r) : 0.0);
}

static void fuzz_app_die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz set-up: %s: %s\n", what, why);
	abort();
}

static void take(void *arg, const struct telem *t)
{
	session_on_telem(arg, t);
}

void fuzz_app_open(struct fuzz_app *a)
{
	char err[512];
	memset(a, 0, sizeof(*a));
	current = a;
	if (sodium_init() < 0)
		fuzz_app_die("libsodium", "cannot start");
	config_defaults(&a->cfg);
	a->cfg.hal.sim_seed = 1;
	hal_sim_bind(&a->hs, &a->be);
	if (runner_open(&a->r, RUNNER_LOCKSTEP, &a->cfg, &a->be, err, sizeof(err)))
		fuzz_app_die("runner", err);
	a->runner_open = true;
	struct sim_person p;
	sim_person_of_height(&p, 170, 1);
	sim_init(hal_sim_get(&a->hs), &p, 1);
	snprintf(a->dir, sizeof(a->dir), "%s/chair-fuzz.XXXXXX", P_tmpdir);
	if (!mkdtemp(a->dir))
		fuzz_app_die("mkdtemp", a->dir);
	snprintf(a->sock, sizeof(a->sock), "%s/panel.sock", a->dir);
	if (store_open(&a->st, ":memory:", err, sizeof(err)))
		fuzz_app_die("store", err);
	/* The tables are read once and kept: nothing changes them after loading. */
	static struct rules_table *rules;
	static struct advice_table *advice;
	if (!rules && rules_load(FUZZ_RULES, &rules, err, sizeof(err)))
		fuzz_app_die("rules", err);
	if (!advice && advice_load(FUZZ_ADVICE, &advice, err, sizeof(err)))
		fuzz_app_die("advice", err);
	a->rules = rules;
	a->advice = advice;
	session_init(&a->s, &a->r, &a->cfg, a->st, a->rules, a->advice);
	a->session_open = true;
	a->s.wall_s = fuzz_app_wall_s;
	a->m = (struct methods_ctx){.session = &a->s, .st = a->st, .r = &a->r, .cfg = &a->cfg,
				    .backend = "sim", .clock_s = fuzz_app_wall_s};
	session_set_notify(&a->s, methods_notify, &a->m);
	struct panel_config pc = {.socket_path = a->sock, .on_close = methods_on_close};
	if (panel_open(&a->panel, &pc, methods_table, &a->m, err, sizeof(err)))
		fuzz_app_die("panel", err);
	a->m.panel = a->panel;
}

void fuzz_app_turn(struct fuzz_app *a)
{
	for (int i = 0; i < FUZZ_APP_TICKS_PER_TURN; i++)
		runner_advance(&a->r, take, &a->s);
	methods_poll(&a->m);
	session_poll(&a->s, runner_time_s(&a->r));
	panel_poll(a->panel, 0);
}

void fuzz_app_close(struct fuzz_app *a)
{
	if (a->session_open)
		session_fini(&a->s, "the input ended");
	panel_close(a->panel);
	if (a->runner_open)
		runner_close(&a->r);
	if (a->session_open)
		session_release(&a->s);
	store_close(a->st);
	rmdir(a->dir);
	current = NULL;
}
