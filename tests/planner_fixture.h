/* What the planner's suites share: the default chair's limits, the shipped consultation
 * rules, and a reproducible stream of draws (xorshift64*, the same consultations on every
 * run). Each suite keeps its own seed in its own fixture. */
#ifndef TESTS_PLANNER_FIXTURE_H
#define TESTS_PLANNER_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

#include "../controller/config.h"
#include "../controller/program_load.h"
#include "../controller/session/rules.h"

struct planner_fixture {
	struct chair_config cfg;
	struct interp_limits il;
	struct rules_table *rules;
	uint64_t rng;
};

/* A draw in 0..n-1. */
static inline uint32_t fixture_rnd(struct planner_fixture *f, uint32_t n)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (uint32_t)((f->rng * 0x2545F4914F6CDD1Dull) >> 32) % n;
}

/* The defaults and the shipped rules (run from the repository root); 0 or the loader's
 * error, printed. */
static inline int fixture_open(struct planner_fixture *f, uint64_t seed)
{
	config_defaults(&f->cfg);
	program_limits(&f->cfg, &f->il);
	f->rng = seed;
	char err[256];
	int rc = rules_load("controller/data/consultation.rules", &f->rules, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

static inline void fixture_close(struct planner_fixture *f)
{
	rules_free(f->rules);
	f->rules = NULL;
}

#endif
