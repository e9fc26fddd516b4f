/* Motion generators: what each technique asks of the chair at a time t into its work.
 * Every generator is a pure function of the resolved step and t, so a step's motion is
 * reproducible, its end position is known in advance (for the next step's move), and its
 * frequencies are exactly those of the plan however the carriage lags behind.
 * Worst case a few hundred ns a call; nothing allocates, locks or calls the system. */
#ifndef INTERP_GEN_H
#define INTERP_GEN_H

#include "plan.h"

#define GEN_CRAWL_MM_S 10.0          /* knead and tap work slowly through their zone */
#define GEN_SHIATSU_SPACING_MM 40.0  /* between shiatsu points */
#define GEN_SHIATSU_STEP_MM_S 20.0   /* carriage speed from one point to the next */
#define GEN_SHIATSU_PRESS_MS 1500u
#define GEN_SHIATSU_RELEASE_MS 1000u
#define GEN_SHIATSU_HOLD_MS 5000u    /* default `hold` */
#define GEN_TRIGGER_RAMP_MS 5000u    /* default `ramp` */
#define GEN_TRIGGER_RELEASE_MS 5000u /* default `release` */
#define GEN_SETTLE_SHARE 0.8         /* ramps end at 80 % of their time; the rest lets the
				      * force controller catch up, so the force is there when
				      * the ramp's time is up */
/* Guided trigger point (`trigger-point POINT guided`): from a light touch (or ramped over
 * GEN_TRIGGER_RAMP_MS to its `from` level) the force rises GEN_GUIDED_RISE_N_S until the
 * person says "there", holds while they breathe (at most `hold`), rises again on "eased",
 * at most GEN_GUIDED_RISES_MAX rises; never "there": it stops at its level and holds
 * once. Then it releases over `release`. Its time on the timeline is the worst case. */
#define GEN_GUIDED_RISE_N_S 2.0
#define GEN_GUIDED_RISES_MAX 3
#define GEN_GUIDED_HOLD_MS 30000u     /* default bound of each hold */
#define GEN_GUIDED_HOLD_MIN_MS 5000u
#define GEN_GUIDED_HOLD_MAX_MS 90000u
#define GEN_GUIDED_SLACK_MS 100u      /* a tick lost at each change of phase, with room */
#define GEN_TOUCH_N 3.0              /* light contact while the roller meets the skin */
#define GEN_APPROACH_EXTRA_MS 200u   /* beyond skin gap / Z speed */
/* Stretch: the four limb zones squeeze together, then let go; the squeeze lasts long
 * enough for the pump to fill all four to the level's pressure, plus a hold. */
#define GEN_STRETCH_ZONES 4           /* shoulders, arms, calves, feet */
#define GEN_STRETCH_SQUEEZE_MIN_MS 8000u
#define GEN_STRETCH_HOLD_MS 4000u     /* at pressure; it also covers a first squeeze that
				       * waits for other zones (an air pattern) to vent */
#define GEN_STRETCH_LETGO_MS 4000u    /* at least; longer if the vent needs it */
#define GEN_FOLLOW_MARGIN 1.25       /* carriage may go this much faster than a moving
				      * target, to catch up with it after a lag */

/* Shiatsu: points and the time spent at each (press, hold, release, step on). */
int gen_shiatsu_points(const struct plan_step *s);
uint32_t gen_shiatsu_cycle_ms(const struct plan_step *s);

/* A triangle wave between a and b at speed v: position at t_s, and the pass number. */
double gen_sweep_y(double a_mm, double b_mm, double v_mm_s, double t_s, long *pass);

/* A guided trigger point's worst case (resolved): the ramp to `from`, the rise from there
 * to its level, GEN_GUIDED_RISES_MAX holds, the release, and GEN_GUIDED_SLACK_MS. */
uint32_t gen_guided_work_ms(const struct plan_step *s);
/* Where a guided trigger point's rise starts (resolved): its `from` force, or the touch. */
double gen_guided_start_n(const struct plan_step *s);

/* Targets for a working step (knead..trigger-point) t_s into its work. Fills carriage,
 * Z, knead, tap and width; leaves airbags, heat and recline alone. */
void gen_work(const struct plan_step *s, double t_s, struct motion_targets *t);

/* Airbag pressures of an air pattern t_s after it started. */
void gen_air(const struct plan_modal *m, double t_s, double kpa[HAL_AIRBAG_COUNT]);
/* Airbag pressures of a stretch t_s into it (resolved: stretch_kpa, stretch_squeeze_ms
 * and stretch_cycle_ms). */
void gen_stretch(const struct plan_step *s, double t_s, double kpa[HAL_AIRBAG_COUNT]);
/* A stretch's squeeze at kpa: max(GEN_STRETCH_SQUEEZE_MIN_MS, the pump's time to fill
 * the GEN_STRETCH_ZONES zones together + GEN_STRETCH_HOLD_MS); and its whole cycle, the
 * squeeze + max(GEN_STRETCH_LETGO_MS, the vent's time to empty a zone at kpa). */
uint32_t gen_stretch_squeeze_ms(const struct interp_limits *lim, double kpa);
uint32_t gen_stretch_cycle_ms(const struct interp_limits *lim, double kpa);

#endif
