/* The body scan: a small state machine over telemetry that sends the scan's targets, keeps
 * the profile, and reads the shoulder line from it. */
#include "scan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../program_load.h"

/* The sweep covers every supported back: it starts this far below the shoulder line of
 * the smallest person and ends this far above that of the tallest. */
#define START_BELOW_SHORTEST_MM 170.0
#define END_ABOVE_TALLEST_MM 110.0
/* The approach presses for less than the sweep: the force loop comes out at full speed
 * and overshoots on first contact, by less the lower its target. */
#define APPROACH_N 2.0
/* Moving to the start, roller retracted. */
#define TRANSIT_MM_S 80.0
/* Approach: the force must hold this long before the sweep starts. */
#define CONTACT_HOLD_S 0.3
#define APPROACH_TIMEOUT_S 6.0
/* Slack on top of the travel time before a phase counts as stuck. */
#define MOVE_SLACK_S 5.0
#define ENDING_TIMEOUT_S 5.0
/* The chair must show SCANNING this soon after the first CMD_SCAN. */
#define ACCEPT_TIMEOUT_S 0.5
/* A back: contact over at least this much travel below the edge, this share of it. */
#define BACK_MIN_MM 80.0
#define BACK_CONTACT_SHARE 0.85
/* The heights a shoulder line may mean, a little wider than the chair supports so a
 * person at the edge of the range is measured rather than refused. */
#define HEIGHT_SLACK_MM 50.0
/* Indentation of the back under SCAN_FORCE_N, taken off the depth for the skin gap. */
#define INDENT_AT_SCAN_FORCE_MM 0.5
/* Longer than any scan with all its timeouts. */
#define SCAN_LIMIT_S 120.0

static const char reason_nobody[] = "nobody seems to be seated";
static const char reason_no_back[] =
	"the profile does not look like a back: sit back against the backrest and try again, "
	"or enter your height";

static double seat_y_mm(const struct chair_config *cfg, struct interp_limits *lim)
{
	program_limits(cfg, lim);
	return lim->seat_y_mm;
}

void scan_begin(struct scan *sc, const struct chair_config *cfg)
{
	memset(sc, 0, sizeof(*sc));
	sc->cfg = cfg;
	sc->period_s = (double)cfg->rt.period_ns * 1e-9;
	struct interp_limits lim;
	double seat_mm = seat_y_mm(cfg, &lim);
	sc->y_start_mm = seat_mm - BODY_SHOULDER_PER_HEIGHT * lim.body_height_min_mm +
			 START_BELOW_SHORTEST_MM;
	sc->y_end_mm = seat_mm - BODY_SHOULDER_PER_HEIGHT * lim.body_height_max_mm -
		       END_ABOVE_TALLEST_MM;
	if (sc->y_end_mm < lim.track_min_mm + 10.0)
		sc->y_end_mm = lim.track_min_mm + 10.0;
	sc->phase = SCAN_PH_CHECK;
	sc->res.status = SCAN_RUNNING;
}

static double since_s(const struct scan *sc, const struct telem *t, uint64_t tick)
{
	return (double)(t->tick - tick) * sc->period_s;
}

static void enter(struct scan *sc, const struct telem *t, enum scan_phase ph)
{
	sc->phase = ph;
	sc->phase_tick = t->tick;
}

/* Targets of the scan: carriage to y_mm at speed, the roller retracted (force_n 0) or
 * pressing with force_n; nothing else moves. */
static void scan_cmd(struct ctl_cmd *cmd, double y_mm, double speed_mm_s, double force_n)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->kind = CMD_SCAN;
	targets_rest(&cmd->manual, y_mm);
	cmd->manual.y_speed_mm_s = speed_mm_s;
	if (force_n > 0) {
		cmd->manual.z_mode = Z_FORCE;
		cmd->manual.z_force_n = force_n;
	}
}

/* Decide the outcome before the end: the chair is still brought back to idle. */
static void decide(struct scan *sc, enum scan_status st, const char *reason)
{
	sc->res.status = st;
	snprintf(sc->res.reason, sizeof(sc->res.reason), "%s", reason);
}

/* End the scan's motion: the roller retracts and the chair returns to IDLE. */
static enum scan_step finish(struct scan *sc, const struct telem *t, struct ctl_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->kind = CMD_MANUAL_OFF;
	enter(sc, t, SCAN_PH_ENDING);
	return SCAN_SEND;
}

static void done(struct scan *sc, const struct telem *t)
{
	if (sc->res.status == SCAN_RUNNING) {
		double peak_n = sc->res.peak_force_n;
		scan_analyse(sc->samples, sc->n, sc->cfg, &sc->res);
		sc->res.peak_force_n = peak_n;
	}
	sc->res.sample_count = sc->n;
	sc->res.duration_s = since_s(sc, t, sc->first_tick);
	sc->phase = SCAN_PH_DONE;
	sc->fraction = 1.0;
}

static void take_sample(struct scan *sc, const struct telem *t)
{
	if (sc->n > 0 && fabs(t->y_mm - sc->last_y_mm) < 1.0)
		return;
	if (sc->n >= SCAN_SAMPLES_MAX)
		return;
	sc->samples[sc->n++] = (struct scan_sample){t->y_mm, t->z_mm, t->force_n};
	sc->last_y_mm = t->y_mm;
	if (t->force_n >= SCAN_CONTACT_N)
		sc->last_contact_y_mm = t->y_mm;
	else if (sc->last_contact_y_mm - t->y_mm >= SCAN_GONE_MM + 20.0)
		sc->gone = true; /* well past the edge: the rest of the track adds nothing */
}

static double travel_s(double from_mm, double to_mm, double speed_mm_s)
{
	return fabs(to_mm - from_mm) / speed_mm_s + MOVE_SLACK_S;
}

enum scan_step scan_on_telem(struct scan *sc, const struct telem *t, struct ctl_cmd *cmd)
{
	if (sc->phase == SCAN_PH_DONE)
		return SCAN_DONE;
	if (t->force_n > sc->res.peak_force_n)
		sc->res.peak_force_n = t->force_n;
	if (sc->phase != SCAN_PH_CHECK && (t->state == ST_FAULT || t->state == ST_ESTOP)) {
		decide(sc, SCAN_FAULT, "the chair stopped the scan with a fault");
		done(sc, t);
		return SCAN_DONE;
	}
	switch (sc->phase) {
	case SCAN_PH_CHECK:
		sc->first_tick = t->tick;
		if (t->state == ST_FAULT || t->state == ST_ESTOP || !t->homed ||
		    t->state != ST_IDLE) {
			decide(sc, SCAN_FAULT, t->homed ? "the chair is busy or faulted"
							: "the chair must be homed before a scan");
			done(sc, t);
			return SCAN_DONE;
		}
		if (!((t->gpio_in >> HAL_IN_OCCUPIED) & 1u)) {
			decide(sc, SCAN_NOBODY, reason_nobody);
			done(sc, t);
			return SCAN_DONE;
		}
		scan_cmd(cmd, sc->y_start_mm, TRANSIT_MM_S, 0.0);
		enter(sc, t, SCAN_PH_TO_START);
		return SCAN_SEND;
	case SCAN_PH_TO_START: {
		double s = since_s(sc, t, sc->phase_tick);
		if (t->state != ST_SCANNING) {
			if (s < ACCEPT_TIMEOUT_S)
				return SCAN_WAIT;
			decide(sc, SCAN_FAULT, "the chair refused the scan");
			return finish(sc, t, cmd);
		}
		sc->fraction = 0.25 * fmin(1.0, s / travel_s(0, sc->y_start_mm, TRANSIT_MM_S));
		if (fabs(t->y_mm - sc->y_start_mm) < 1.0 && t->z_mm < 1.0) {
			scan_cmd(cmd, sc->y_start_mm, TRANSIT_MM_S, APPROACH_N);
			enter(sc, t, SCAN_PH_APPROACH);
			sc->contact_held = false;
			return SCAN_SEND;
		}
		if (s > travel_s(0, sc->y_start_mm, TRANSIT_MM_S)) {
			decide(sc, SCAN_FAULT, "the carriage did not reach the start of the scan");
			return finish(sc, t, cmd);
		}
		return SCAN_WAIT;
	}
	case SCAN_PH_APPROACH: {
		double s = since_s(sc, t, sc->phase_tick);
		sc->fraction = 0.25 + 0.05 * fmin(1.0, s / APPROACH_TIMEOUT_S);
		bool touching = t->force_n >= SCAN_CONTACT_N;
		if (touching && !sc->contact_held) {
			sc->contact_held = true;
			sc->contact_tick = t->tick;
		} else if (!touching) {
			sc->contact_held = false;
		}
		if (sc->contact_held && since_s(sc, t, sc->contact_tick) >= CONTACT_HOLD_S) {
			scan_cmd(cmd, sc->y_end_mm, SCAN_SPEED_MM_S, SCAN_FORCE_N);
			enter(sc, t, SCAN_PH_SWEEP);
			sc->last_contact_y_mm = t->y_mm;
			return SCAN_SEND;
		}
		if (s > APPROACH_TIMEOUT_S || t->z_mm >= sc->cfg->z.max_mm - 0.5) {
			/* Occupied, yet nothing against the backrest: a person leaning forward. */
			decide(sc, SCAN_IMPLAUSIBLE, reason_no_back);
			return finish(sc, t, cmd);
		}
		return SCAN_WAIT;
	}
	case SCAN_PH_SWEEP: {
		take_sample(sc, t);
		double span_mm = sc->y_start_mm - sc->y_end_mm;
		sc->fraction = 0.30 + 0.65 * fmin(1.0, (sc->y_start_mm - t->y_mm) / span_mm);
		if (sc->gone || fabs(t->y_mm - sc->y_end_mm) < 1.0)
			return finish(sc, t, cmd);
		if (since_s(sc, t, sc->phase_tick) > travel_s(sc->y_start_mm, sc->y_end_mm,
							       SCAN_SPEED_MM_S)) {
			decide(sc, SCAN_FAULT, "the carriage did not travel the scan in time");
			return finish(sc, t, cmd);
		}
		return SCAN_WAIT;
	}
	case SCAN_PH_ENDING:
		sc->fraction = fmax(sc->fraction, 0.95);
		if (t->state == ST_IDLE) {
			done(sc, t);
			return SCAN_DONE;
		}
		if (since_s(sc, t, sc->phase_tick) > ENDING_TIMEOUT_S) {
			decide(sc, SCAN_FAULT, "the roller did not retract after the scan");
			done(sc, t);
			return SCAN_DONE;
		}
		return SCAN_WAIT;
	case SCAN_PH_DONE:
		break;
	}
	return SCAN_DONE;
}

double scan_fraction(const struct scan *sc)
{
	return sc->fraction;
}

int scan_result(const struct scan *sc, struct scan_result *out)
{
	if (sc->phase != SCAN_PH_DONE)
		return -EAGAIN;
	*out = sc->res;
	return 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static enum scan_status refuse(struct scan_result *out, enum scan_status st, const char *why)
{
	out->status = st;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
	return st;
}

enum scan_status scan_analyse(const struct scan_sample *s, int n, const struct chair_config *cfg,
			      struct scan_result *out)
{
	memset(out, 0, sizeof(*out));
	out->sample_count = n;
	for (int i = 0; i < n; i++)
		out->peak_force_n = fmax(out->peak_force_n, s[i].force_n);
	int first = -1;
	for (int i = 0; i < n && first < 0; i++)
		if (s[i].force_n >= SCAN_CONTACT_N)
			first = i;
	if (first < 0)
		return refuse(out, SCAN_NOBODY, reason_nobody);
	/* The edge: the last contact before the roller stays off the body for SCAN_GONE_MM.
	 * A dip where the shoulder blades give way loses contact for a few mm only: the
	 * roller searches a little deeper (force.search_mm) and finds the back again. */
	int last = first, edge = -1;
	for (int i = first; i < n && edge < 0; i++) {
		if (s[i].force_n >= SCAN_CONTACT_N)
			last = i;
		else if (s[last].y_mm - s[i].y_mm >= SCAN_GONE_MM)
			edge = last;
	}
	if (edge < 0)
		return refuse(out, SCAN_IMPLAUSIBLE, reason_no_back);
	double back_mm = s[first].y_mm - s[edge].y_mm;
	int touching = 0;
	for (int i = first; i <= edge; i++)
		touching += s[i].force_n >= SCAN_CONTACT_N;
	if (back_mm < BACK_MIN_MM || touching < BACK_CONTACT_SHARE * (edge - first + 1))
		return refuse(out, SCAN_IMPLAUSIBLE, reason_no_back);

	struct interp_limits lim;
	double seat_mm = seat_y_mm(cfg, &lim);
	double shoulder_mm = s[edge].y_mm + SCAN_EDGE_OFFSET_MM;
	double height_mm = (seat_mm - shoulder_mm) / BODY_SHOULDER_PER_HEIGHT;
	if (height_mm < lim.body_height_min_mm - HEIGHT_SLACK_MM ||
	    height_mm > lim.body_height_max_mm + HEIGHT_SLACK_MM)
		return refuse(out, SCAN_IMPLAUSIBLE, reason_no_back);

	/* The skin gap: the median depth over the back, less what the light force presses
	 * in; the median keeps the shoulder blades and the lumbar curve from pulling it. */
	float depth[SCAN_SAMPLES_MAX];
	int m = 0;
	for (int i = first; i <= edge && m < SCAN_SAMPLES_MAX; i++)
		if (s[i].force_n >= SCAN_CONTACT_N)
			depth[m++] = s[i].z_mm;
	qsort(depth, (size_t)m, sizeof(depth[0]), cmp_float);
	out->skin_gap_mm = fmax(0.0, depth[m / 2] - INDENT_AT_SCAN_FORCE_MM);
	out->shoulder_y_mm = shoulder_mm;
	out->height_mm = height_mm;
	out->status = SCAN_OK;
	return SCAN_OK;
}

/* What scan_run hands runner_advance. */
struct scan_follow {
	struct scan *sc;
	struct runner *r;
	void (*each)(void *arg, const struct telem *t);
	void *arg;
	bool lost; /* a command could not be queued */
};

static void follow_take(void *arg, const struct telem *t)
{
	struct scan_follow *f = arg;
	if (f->each)
		f->each(f->arg, t);
	struct ctl_cmd cmd;
	if (scan_on_telem(f->sc, t, &cmd) == SCAN_SEND && !runner_send(f->r, &cmd))
		f->lost = true;
}

int scan_run(struct scan *sc, struct runner *r, void (*each)(void *arg, const struct telem *t),
	     void *arg, struct scan_result *out)
{
	scan_begin(sc, r->cfg);
	struct scan_follow f = {sc, r, each, arg, false};
	/* The scan's own timeouts end it well before this; it only guards the loop. */
	double until_s = runner_time_s(r) + SCAN_LIMIT_S;
	follow_take(&f, &r->last);
	while (scan_result(sc, out) != 0) {
		if (f.lost || runner_time_s(r) > until_s) {
			/* Whatever the scan was doing, end it: a stop goes by the safer lane,
			 * which is never full. */
			struct ctl_cmd stop = {.kind = CMD_STOP};
			runner_send(r, &stop);
			return f.lost ? -EIO : -ETIMEDOUT;
		}
		runner_advance(r, follow_take, &f);
	}
	return 0;
}

int scan_body(const struct scan_result *res, double adjust_mm, const struct interp_limits *lim,
	      struct body_map *out)
{
	if (res->status != SCAN_OK || !isfinite(adjust_mm))
		return -EINVAL;
	/* Height 0: body_from_scan takes it from the nudged line, as the scan did. */
	return body_from_scan(out, res->shoulder_y_mm + adjust_mm, 0.0, res->skin_gap_mm, lim);
}
