/* The compiled program: an immutable, flat step table. plan_compile (compile.c) makes it
 * from a checked program with points still symbolic (landmark + offset); plan_resolve
 * (resolve.c) copies it for one person, turning points into track millimetres and levels
 * into speeds and forces. Only a resolved plan may be given to exec_start.
 *
 * A plan is one heap block (the struct, its steps and its strings), made and freed outside
 * the tick; the tick only reads it. Repeats are bounded jumps: PLAN_REPEAT pushes a counter,
 * PLAN_END jumps back while it lasts. The compiler drops loops whose body takes no time and
 * merges neighbouring modal statements, so the executor meets a small, bounded number of
 * zero-time steps between two timed ones. */
#ifndef INTERP_PLAN_H
#define INTERP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../motion/targets.h"
#include "body.h"
#include "limits.h"

#define PLAN_NAME_MAX 64          /* bytes of a program name */
#define PLAN_STRING_MAX 200       /* bytes of any string */
#define PLAN_REPEAT_DEPTH_MAX 4
#define PLAN_REPEAT_COUNT_MAX 100
#define PLAN_FILE_MAX (256u * 1024u)
#define PLAN_ZERO_STEPS_MAX 64    /* zero-time steps the executor runs in one tick, at most */
#define PLAN_DURATION_MAX_MS 86400000u /* longest duration a program may write (a day) */

enum plan_op {
	/* timed, the rollers work */
	PLAN_KNEAD,
	PLAN_TAP,
	PLAN_KNEAD_TAP,
	PLAN_SHIATSU,
	PLAN_ROLL,
	PLAN_GLIDE,
	PLAN_TRIGGER_POINT,
	/* timed, the rollers rest */
	PLAN_STRETCH,
	PLAN_PAUSE,
	/* no time of their own */
	PLAN_MODAL,
	PLAN_REPEAT,
	PLAN_END,
	PLAN_OP_COUNT
};

enum plan_level { PLAN_LEVEL_GENTLE, PLAN_LEVEL_NORMAL, PLAN_LEVEL_DEEP };

enum plan_z { PLAN_Z_NONE, PLAN_Z_DEPTH, PLAN_Z_PRESSURE };

enum plan_width { PLAN_WIDTH_KEEP, PLAN_WIDTH_NARROW, PLAN_WIDTH_MEDIUM, PLAN_WIDTH_WIDE };

#define PLAN_TRACK_POINT (-1) /* plan_point.landmark of an absolute `track N` position */

/* A place as the program names it. */
struct plan_point {
	int16_t landmark;   /* enum body_landmark, or PLAN_TRACK_POINT */
	int32_t offset_mm;  /* down the back; for a track point, the position itself */
	uint32_t col;       /* where it is written, on its statement's line (for messages) */
};

/* A zone (its own span, or a range) or a single point. */
struct plan_where {
	struct plan_point a, b; /* b only for a range */
	bool is_range;
};

/* Modal changes (air, heat, recline) merged from neighbouring statements. */
#define PLAN_SET_AIR          (1u << 0)
#define PLAN_SET_HEAT_LUMBAR  (1u << 1)
#define PLAN_SET_HEAT_CALVES  (1u << 2)
#define PLAN_SET_RECLINE      (1u << 3)

struct plan_modal {
	uint8_t set;           /* PLAN_SET_* */
	uint8_t air_mask;      /* bit n = enum hal_airbag n; 0 = air off */
	uint8_t air_level;     /* 1..5 */
	uint32_t air_cycle_ms;
	int16_t heat_c[HAL_HEATER_COUNT]; /* 0 = off */
	uint8_t recline;       /* enum recline_preset */
	double air_kpa;        /* resolved */
};

struct plan_step {
	uint8_t op;            /* enum plan_op */
	uint8_t z_kind;        /* enum plan_z */
	uint8_t z_level;       /* 1..10 */
	uint8_t speed_level;   /* 1..10 */
	uint8_t rate_level;    /* 1..10 */
	uint8_t width;         /* enum plan_width */
	uint8_t stretch_level; /* 1..5 */
	uint8_t guided;        /* trigger-point POINT guided: z_level is the most it may reach */
	uint8_t from_level;    /* guided: the level its rise starts at, 0 = from a light touch */
	uint16_t phase;        /* index into the plan's phase names; 0 = before any phase */
	uint32_t line, col;    /* where the statement is in the source */
	struct plan_where where;
	uint32_t for_ms;       /* `for`, the trigger-point hold (guided: each hold's bound), or a
	                          pause */
	uint32_t hold_ms;      /* shiatsu hold at each point */
	uint32_t ramp_ms, release_ms;
	uint32_t times;        /* roll `times N` (0 = for a duration), or the repeat count */
	uint32_t jump;         /* REPEAT: its END; END: its REPEAT */
	struct plan_modal modal;

	/* Filled by plan_resolve for one person: */
	double y_from_mm, y_to_mm; /* work from, to (a point: both the same) */
	double speed_mm_s;     /* carriage speed of the work (roll, glide, the crawl of knead) */
	double knead_rpm, tap_rpm;
	double width_mm;       /* 0 = leave as is */
	double depth_mm, force_n;           /* by z_kind */
	double touch_depth_mm, touch_force_n; /* the roller meeting the skin */
	double from_force_n;   /* guided: from_level's force (0 when from a touch) */
	double stretch_kpa;
	uint32_t stretch_squeeze_ms, stretch_cycle_ms; /* gen_stretch_*_ms of stretch_kpa */
	uint32_t work_ms;      /* the technique itself, without moving there */
};

struct plan {
	char name[PLAN_NAME_MAX + 1];
	enum plan_level level;
	const char *description; /* "" when none */
	const char *tags;        /* comma-separated, "" when none */
	uint32_t step_count;
	struct plan_step *steps;
	uint32_t phase_count;    /* names, counting names[0] = "" (before any phase) */
	const char **phase_names;
	struct interp_limits lim;
	/* resolution */
	bool resolved;
	struct body_map body;
	double cap_n;
	double start_y_mm;       /* where the carriage is when the plan starts */
	uint64_t total_ms;       /* the whole run, moves included */
	uint32_t last_timed_step; /* index of the run's last timed step; step_count if none */
	/* owned storage follows the struct in the same block */
	size_t block_bytes;
	char *pool;
	size_t pool_used, pool_bytes;
};

/* One block for a plan of step_count steps, phase_count phase names (index 0 = "") and
 * pool_bytes of strings; NULL when out of memory. Strings are added with plan_intern. */
struct plan *plan_alloc(uint32_t step_count, uint32_t phase_count, size_t pool_bytes);
/* Copy s[0..len) into the plan's pool, NUL-terminated; NULL when the pool is full. */
const char *plan_intern(struct plan *p, const char *s, size_t len);
/* A deep copy (same single block); NULL when out of memory. */
struct plan *plan_clone(const struct plan *p);
void plan_free(struct plan *p);

/* Resolve a compiled plan for one person: points to track mm, levels to speeds and forces
 * (pressure level 10 = cap_n), durations of glides and counted rolls, and the total time
 * starting with the carriage at start_y_mm. Writes a resolved copy to *out. Errors:
 * -ERANGE when a point lies off the track for this person or the run exceeds the session
 * limit, -EINVAL for a cap of 0 N or less, -ENOMEM. err gets the reason (may be NULL): for
 * -ERANGE a diagnostic without its file name, "LINE:COL: error: MESSAGE", at the place
 * off the track (naming it, where it fell and the person's shoulder line) or at the
 * statement where the run passes the limit; so "FILE:" + err is a compiler-style line. */
int plan_resolve(const struct plan *compiled, const struct body_map *body, double cap_n,
		 double start_y_mm, struct plan **out, char *err, size_t err_len);

/* ---- timing shared by resolve, check and the executor (gen.c) ---- */

/* True for steps that move the carriage and press the rollers on the body. */
bool plan_op_works(enum plan_op op);
/* True for steps that take time. */
bool plan_op_timed(enum plan_op op);
/* Technique names as programs spell them. */
const char *plan_op_name(enum plan_op op);

/* Time to move the carriage from_mm -> to_mm with the rollers retracted, settling included. */
uint32_t plan_move_ms(const struct plan *p, double from_mm, double to_mm);
/* Time for the roller to come out and touch the skin before a working step. */
uint32_t plan_approach_ms(const struct plan *p);
/* Where a resolved step starts and ends, given where the previous one ended. */
double plan_step_start_y(const struct plan_step *s, double prev_end_y_mm);
double plan_step_end_y(const struct plan_step *s, double prev_end_y_mm);
/* A timed step's whole time from where the previous one ended: move + approach + work. */
uint64_t plan_step_ms(const struct plan *p, const struct plan_step *s, double prev_end_y_mm);
/* The plan's whole run time from start_y_mm, repeats included (resolved plans only). */
uint64_t plan_total_ms(const struct plan *p, double start_y_mm);

#endif

/* ---- places (resolve.c) ---- */

/* Where a zone, range or point lies on one body, unclamped: the work goes from *from_mm to
 * *to_mm (a point: both the same). as_point: a single landmark is a point (its middle for
 * a zone landmark), not its span. */
void plan_where_span(const struct body_map *b, const struct plan_where *w, bool as_point,
		     double *from_mm, double *to_mm);
/* A point as a program would write it: "L4", "L2+20mm", "track 420mm". */
void plan_point_format(const struct plan_point *pt, char *buf, size_t n);
/* "1m30s", "45s", "500ms", "2h5m" for messages and summaries. */
void plan_format_ms(uint64_t ms, char *buf, size_t n);

/* Resolve options (plan_resolve_ex): */
#define PLAN_RESOLVE_CLAMP 1u /* put off-track points at the track's end and allow any
			       * length of run: for estimates (the checker), never to run */
int plan_resolve_ex(const struct plan *compiled, const struct body_map *body, double cap_n,
		    double start_y_mm, unsigned flags, struct plan **out, char *err,
		    size_t err_len);

/* ---- walking a plan as the executor will (timing.c) ---- */

/* Called for every step the run goes through, in order, repeats unrolled: timed steps
 * with their start and duration (moves included), zero-time steps with dur_ms 0. Return
 * false to stop. */
typedef bool (*plan_visit_fn)(void *ctx, const struct plan_step *s, uint64_t start_ms,
			      uint64_t dur_ms, double start_y_mm, double end_y_mm);
/* Walk a resolved plan from start_y_mm until its end, until visit says stop, or until the
 * time passes max_ms; the work is bounded by max_ms / (shortest step) visits. */
void plan_walk(const struct plan *p, uint64_t max_ms, plan_visit_fn visit, void *ctx);
/* The step during which a resolved plan's run passes limit_ms, or NULL when it ends before. */
const struct plan_step *plan_step_past_ms(const struct plan *p, uint64_t limit_ms);
