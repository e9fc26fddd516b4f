/* The soak and fault campaign (docs/soak.md): simulated visits in lockstep, each a random
 * person, consultation, plan and feedback through the session API, with faults of every
 * kind the in-process simulator has injected at random moments, checked on the
 * simulator's truth. Workers run the visits (soak_visit.c) and send one struct
 * soak_result per visit through a pipe; the parent (soak.c) collects, checks the stores
 * (soak_check.c) and prints the table. */
#ifndef TESTS_SOAK_H
#define TESTS_SOAK_H

#include <stdbool.h>
#include <stdint.h>

#include "../../controller/fault.h"
#include "../../controller/store/store.h"
#include "../../sim/sim.h"

#define SOAK_FAULTS_MAX 4       /* faults drawn for one visit, at most */
#define SOAK_WHY_MAX 480        /* a failed visit's reason */
#define SOAK_RELEASED_N 5.0     /* the safe state's true force (docs/safety.md) */
#define SOAK_CAP_EPSILON_N 0.01 /* float noise of a comparison with a decimal cap */

/* The campaign's own fault kinds: the simulator's, and three that the campaign's backend
 * wrapper (soak_backend.c) makes in the image as the Modbus driver would report them. */
enum soak_kind {
	SK_ESTOP,
	SK_UNIT_SILENT,
	SK_UNIT_DEAF,
	SK_DRIVE_FAULT,
	SK_STUCK_SWITCH,
	SK_ENCODER_LOSS,
	SK_HEATER_OVER_TEMP,
	SK_UNOCCUPIED,
	SK_SUPPLY,
	SK_TRAPPED,
	SK_RECLINE_STUCK,
	SK_DRIVE_OVER_TEMP,
	SK_EXCEPTION,      /* a unit answers with a Modbus exception (wrapper) */
	SK_IO_FAILURE,     /* the backend's read fails (wrapper) */
	SK_LOAD_CELL_HIGH, /* the Z load cell reads far too high (wrapper) */
	SK_COUNT
};

/* What became of one injected fault. */
enum soak_outcome {
	SO_NOT_INJECTED, /* its moment came when the chair was latched or the run over */
	SO_DETECTED,     /* latched with its code, safe within its bound */
	SO_UNSEEN,       /* not detected, where nothing promises it is (docs/soak.md) */
	SO_OVERLAPPED,   /* active when another fault latched the chair */
	SO_MISSED,       /* should have latched and did not: a failure */
	SO_WRONG_CODE,   /* latched with a code it does not explain: a failure */
	SO_LATE,         /* the safe state after its bound: a failure */
	SO_COUNT
};

/* One fault of a visit, as drawn and as it went. */
struct soak_fault {
	uint8_t kind;          /* enum soak_kind */
	uint8_t outcome;       /* enum soak_outcome */
	uint8_t code;          /* enum fault_code latched, 0 = none */
	bool must_detect;      /* decided when it was injected, from the chair's state */
	int16_t target;
	int32_t value;
	uint32_t run_ms;       /* when, from the run's start */
	uint32_t for_ms;
	uint64_t at_ms;        /* the simulator's time it was injected at */
	int32_t detect_ms;     /* from at_ms to the latch, -1 never */
	int32_t release_ms;    /* to latched and a true force under 5 N, -1 never */
	int32_t safe_ms;       /* to every output safe on the truth as well, -1 never */
	int32_t latch_release_ms; /* from the latch to a true force under 5 N, -1 never */
	int32_t bound_ms;      /* its bound on the release from the fault; one that need not
	                          latch when it strikes (its detection waits on what the chair
	                          does next) has the release bound from its latch instead */
	int32_t outputs_bound_ms; /* its bound on every output safe */
	double force_n;        /* the true force when it was injected */
};

/* One visit, sent from a worker to the parent. */
struct soak_result {
	uint32_t index;
	uint32_t worker;
	uint64_t seed;
	int64_t sid;              /* its session in the worker's store, 0 = none */
	int8_t ended;             /* enum store_ended the visit should be stored with */
	uint8_t latched;          /* enum fault_code that ended it, 0 = none */
	int8_t pain_after;        /* the lower back's score given after, checked in the store */
	bool passed;
	int fault_count;
	struct soak_fault fault[SOAK_FAULTS_MAX];
	double cap_n;
	double peak_n;            /* the largest true force of the run */
	double most_over_cap_n;   /* the largest true force above the cap (<= 0: never) */
	uint64_t run_ms;          /* simulated ms the visit took, homing and all */
	bool encoder_hang;        /* the finish waited for ever on a roller truly home whose
	                             count is off after an encoder loss (docs/soak.md): ended
	                             by the campaign, stored as interrupted */
	bool ack_refused;         /* the acknowledge refused for an encoder whose count is off
	                             (a switch mismatch after an encoder loss): the cause stays
	                             until the chair homes, which the latch forbids */
	uint64_t overruns;        /* the controller's overrun count, must stay 0 */
	uint32_t trips_dropped;
	uint64_t ticks;              /* lockstep periods run, and those whose wall time (tick,
	                                physics, session) was longer than the 1 ms period: a
	                                figure, not a check (a shared host preempts) */
	uint64_t ticks_over_period;
	int64_t worst_tick_ns;
	int64_t heap_bytes;       /* the worker's heap in use after the visit, SQLite's own
	                             page cache and statements left out */
	int64_t rss_kb;
	char why[SOAK_WHY_MAX];   /* what failed, "" when it passed */
};

/* The campaign's options (soak.c). */
struct soak_options {
	uint64_t seed;
	uint32_t sessions;
	uint32_t workers;
	uint32_t session_s;    /* a run's length before the stop; the plan may end it first */
	uint32_t faults_max;   /* per visit, 0..SOAK_FAULTS_MAX */
	int64_t only;          /* >= 0: run this visit alone, in this process */
	uint32_t scan_every;   /* one visit in this many has a real body scan, 0 never */
	const char *dir;       /* where the stores go */
	const char *config;    /* an INI file over the defaults (chaird's --config), or NULL */
	uint32_t kinds;        /* bit (1u << enum soak_kind): the kinds drawn, 0 = every one */
	bool verbose;
};

/* ---- soak_faults.c: the catalogue ---- */

struct sim;
struct ctl;

/* A kind's name for the table ("unit_silent"). */
const char *soak_kind_name(enum soak_kind k);
const char *soak_outcome_name(enum soak_outcome o);
/* Draw a fault of a random kind: target, value, duration; when it strikes is the caller's. */
void soak_fault_draw(struct soak_fault *f, uint64_t *rng, uint32_t kinds);
/* The kind of a name, -1 when none. */
int soak_kind_lookup(const char *name);
/* At its moment: decide whether it must latch (from the chair's state now), its bounds,
 * and put it in the simulator (or the wrapper, through *wrapper). 0 or -errno. */
struct soak_backend;
int soak_fault_inject(struct soak_fault *f, struct sim *s, const struct ctl *c,
		      struct soak_backend *wrapper);
/* The chair latched on f: a silent or deaf unit's bound takes the press as it is now. */
struct chair_config;
void soak_fault_on_latch(struct soak_fault *f, const struct sim *s, const struct chair_config *cfg);
/* Whether a latched code is one this fault explains. */
bool soak_fault_explains(const struct soak_fault *f, enum fault_code code);
/* Whether the fault is active at the simulator's time t_ms. */
bool soak_fault_active(const struct soak_fault *f, uint64_t t_ms);
/* Describe it: "unit_silent drive_z 0 at 12345 ms for 300 ms". */
void soak_fault_describe(const struct soak_fault *f, char *buf, int len);

/* ---- soak_backend.c: the in-process backend with the wrapper's faults ---- */

struct hal_backend;

struct soak_backend_faults {
	uint64_t exception_from_ms, exception_to_ms; /* [from, to) on the simulator's clock */
	int exception_unit, exception_code;
	uint64_t io_from_ms, io_to_ms;
	uint64_t load_from_ms, load_to_ms;
	int load_raw;                                 /* 0.1 N */
};

/* The simulator's backend inner, wrapped; *outer is what the runner opens. */
struct soak_backend *soak_backend_new(struct hal_backend *inner, const struct sim *s,
				      struct hal_backend **outer);
void soak_backend_free(struct soak_backend *b);
struct soak_backend_faults *soak_backend_faults(struct soak_backend *b);

/* ---- soak_visit.c: one visit ---- */

struct soak_worker;
/* A worker's store at path; NULL with err on failure. */
struct soak_worker *soak_worker_open(const char *db_path, const struct soak_options *o,
				     char *err, int err_len);
void soak_worker_close(struct soak_worker *w);
/* Visit index of the campaign: always fills out (passed or why). */
void soak_visit_run(struct soak_worker *w, uint32_t index, struct soak_result *out);
/* The seed of visit index of a campaign seed. */
uint64_t soak_visit_seed(uint64_t campaign_seed, uint32_t index);

/* ---- soak_judge.c: the truth ---- */

/* What a visit follows while it runs. */
struct soak_follow {
	int next;             /* the next fault to strike */
	uint64_t run_t0_ms;   /* the simulator's time the run started */
	uint64_t stop_ms;     /* the run's length */
	bool stop_sent;
	uint64_t resume_ms;   /* paused: resume then, 0 = not paused */
	bool latched;
	uint64_t latch_ms;
	int blamed;           /* the fault the latch is blamed on, -1 none */
	bool released, safe;
	uint64_t hold_until_ms; /* latched: watch the chair stay safe until then */
};

/* The first failure of a visit, in its why (later ones are not kept). */
void soak_fail(struct soak_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every output safe as the chair has it (backing_off: a trapped actuator's relay allowed). */
bool soak_truth_safe(const struct sim *s, bool backing_off);
/* The chair latched this tick: blame it, and start watching it. */
void soak_on_latch(struct soak_follow *fl, const struct ctl *c, const struct sim *s,
		   struct soak_result *out);
/* Every tick of a latched chair: release and safe times, nothing moving again. */
void soak_watch_latched(struct soak_follow *fl, const struct ctl *c, const struct sim *s,
			struct soak_result *out);
/* Every tick: a fault that had to latch and is past its bound without. */
void soak_check_missed(const struct soak_follow *fl, uint64_t now_ms, struct soak_result *out);

/* ---- soak_check.c: after the campaign ---- */

/* Check a worker's store against its results: every visit stored, ended as it should,
 * the fault event and the pain score there. Returns how many failed; each failure is
 * written into its result's why (passed cleared). */
int soak_check_store(const char *db_path, struct soak_result *res, int n, char *err,
		     int err_len);
/* The heap's growth per worker from its warm-up to its end: 0 or the bytes it grew by
 * beyond the allowance, with the figures in text. */
int64_t soak_check_leak(const struct soak_result *res, int n, char *text, int len);

/* The heap in use now, without SQLite's own (bounded) caches. */
int64_t soak_heap_bytes(void);
int64_t soak_rss_kb(void);

#endif
