/* The body scan (DESIGN.md's SCANNING state): the carriage travels up the back with a light,
 * force-controlled roller and finds the shoulder line where the roller leaves the body (the
 * neck lies further forward than the back); the landmarks then follow from the shoulder
 * line and the seat (interp/body.h).
 *
 * Incremental and driven by telemetry, in the main thread: scan_begin, then every telemetry
 * record goes to scan_on_telem, which says when a command must be sent (CMD_SCAN with new
 * targets, CMD_MANUAL_OFF at the end); once it says SCAN_DONE, scan_result tells what it
 * found. The same code runs over a runner in lockstep (tests, `program run`) and in the
 * daemon. Nothing here allocates; the samples live in struct scan.
 *
 * The sequence, on a homed chair (docs/scan.md has the figures):
 *   1. the occupancy switch: nobody seated ends it at once (SCAN_NOBODY), nothing moves;
 *   2. the carriage goes, roller retracted, to a place on every supported back (below the
 *      shoulder line of the tallest person, above the waist of the smallest);
 *   3. the roller comes out under force control (SCAN_FORCE_N) until it rests on the back;
 *   4. the carriage travels up at SCAN_SPEED_MM_S, the roller following the back at the
 *      same force; a sample (y, depth, force) every millimetre of travel;
 *   5. once the roller has been off the body for SCAN_GONE_MM, or at the top of the range,
 *      CMD_MANUAL_OFF: the roller retracts (FINISHING), the chair comes back to IDLE;
 *   6. scan_analyse reads the profile. */
#ifndef SESSION_SCAN_H
#define SESSION_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "../config.h"
#include "../interp/body.h"
#include "../runner.h"
#include "../tick.h"

/* The roller's force while scanning: light enough for anyone (a tender back included),
 * enough for the load cell to tell contact from none. */
#define SCAN_FORCE_N 4.0
/* Carriage speed up the back while sampling. */
#define SCAN_SPEED_MM_S 40.0
/* A force at or above this counts as touching the body. */
#define SCAN_CONTACT_N 1.5
/* Off the body for this much travel: the roller has left the back for the neck. */
#define SCAN_GONE_MM 40.0
#define SCAN_SAMPLES_MAX 1024
/* The roller leaves the body a little above where the back gives way to the neck: the
 * force loop follows the first millimetres of the recess before contact goes. The shoulder
 * line is the last contact plus this, the mean over the simulator's people (docs/scan.md). */
#define SCAN_EDGE_OFFSET_MM 2.5

enum scan_status {
	SCAN_RUNNING,     /* not finished yet */
	SCAN_OK,
	SCAN_NOBODY,      /* the seat is empty or nothing touched the roller */
	SCAN_IMPLAUSIBLE, /* something was felt, but not a back with a shoulder line */
	SCAN_FAULT,       /* the chair faulted, refused the scan, or did not move in time */
};

enum scan_step {
	SCAN_WAIT, /* nothing to send this time */
	SCAN_SEND, /* send *cmd now */
	SCAN_DONE, /* finished (scan_result says how); nothing more to send */
};

struct scan_sample {
	float y_mm;    /* carriage on the track */
	float z_mm;    /* roller protrusion */
	float force_n; /* contact force, as the load cell reads it */
};

struct scan_result {
	enum scan_status status;
	double shoulder_y_mm;  /* the shoulder line on the track (SCAN_OK) */
	double height_mm;      /* the height that shoulder line means (body.h's proportion) */
	double skin_gap_mm;    /* protrusion at which the roller touches the back */
	double duration_s;     /* from scan_begin's first telemetry to the chair idle again */
	double peak_force_n;   /* the highest force the load cell read during the scan */
	int sample_count;
	char reason[200];      /* for the person, when not SCAN_OK; "" when it is */
};

enum scan_phase { SCAN_PH_CHECK, SCAN_PH_TO_START, SCAN_PH_APPROACH, SCAN_PH_SWEEP,
		  SCAN_PH_ENDING, SCAN_PH_DONE };

struct scan {
	const struct chair_config *cfg;
	enum scan_phase phase;
	double period_s;
	double y_start_mm;       /* where the sweep starts (low on the back) */
	double y_end_mm;         /* where it stops at the latest (above every neck) */
	uint64_t first_tick;
	uint64_t phase_tick;     /* the tick the current phase began */
	uint64_t contact_tick;   /* approach: since when the force has held */
	bool contact_held;
	bool gone;               /* sweep: the roller has left the body long enough */
	double last_contact_y_mm;
	double last_y_mm;        /* of the last sample */
	double fraction;
	struct scan_result res;  /* status and reason decided before the end, if any */
	int n;
	struct scan_sample samples[SCAN_SAMPLES_MAX];
};

/* Prepare a scan for a chair (cfg must outlive it); the first telemetry record starts it. */
void scan_begin(struct scan *sc, const struct chair_config *cfg);
/* Take one telemetry record. SCAN_SEND: send *cmd (the runner numbers it) before the next
 * call; SCAN_WAIT: nothing to send; SCAN_DONE: finished, the chair idle or latched. */
enum scan_step scan_on_telem(struct scan *sc, const struct telem *t, struct ctl_cmd *cmd);
/* How far the scan has come, 0..1, for a progress bar. */
double scan_fraction(const struct scan *sc);
/* What the scan found: 0 once it is done (out->status says how), -EAGAIN before. */
int scan_result(const struct scan *sc, struct scan_result *out);

/* A whole scan over a runner, for callers that may wait (`program run`, tests): begin,
 * advance the runner feeding every record to the scan (and to each, which may be NULL),
 * send what it asks, until it is done; the chair must be homed and idle. 0 with *out
 * filled (out->status says how it went), -EIO when a command could not be queued,
 * -ETIMEDOUT when it ran past any scan's length (both after sending CMD_STOP). */
int scan_run(struct scan *sc, struct runner *r, void (*each)(void *arg, const struct telem *t),
	     void *arg, struct scan_result *out);

/* Read a profile: samples in the order taken (up the back), on the chair of cfg. Fills
 * every field of out but duration_s; returns out->status. Exposed so a test can feed a
 * profile no simulated person makes. */
enum scan_status scan_analyse(const struct scan_sample *samples, int n,
			      const struct chair_config *cfg, struct scan_result *out);

/* The body map for a scan result, the shoulder line moved by the person's own nudge
 * (adjust_mm, positive down the back, kept in their profile): the shoulder line, C7 and the
 * neck and shoulders zones move by exactly adjust_mm, the vertebrae between C7 and the
 * sacrum by their share of it, the seat and what lies on it not at all. -EINVAL when the
 * result is not SCAN_OK or the nudged line leaves no back (body_from_scan). */
int scan_body(const struct scan_result *res, double adjust_mm, const struct interp_limits *lim,
	      struct body_map *out);

#endif
