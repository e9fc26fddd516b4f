/* The person in the chair: where their body lies along the track, how hard it is, and
 * how much force they take. Everything is placed from the height, so a body scan that
 * finds the shoulder line can find the rest. */
#include "sim.h"

#include <math.h>
#include <string.h>

#include "rng.h"

/* Where the backrest meets the seat: the bend of the L-track. */
#define SEAT_Y_MM 760.0
/* Shoulder line above the seat as a share of height (0.30 of 1750 mm = 525 mm). */
#define SHOULDER_ABOVE_SEAT_PER_HEIGHT 0.30
#define C7_ABOVE_SHOULDER_MM 15.0
#define SACRUM_ABOVE_SEAT_MM 60.0
/* Shares of the C7-to-sacrum length (the rest lies between L5 and the sacrum). */
#define THORACIC_SHARE 0.60
#define LUMBAR_SHARE 0.33

#define NECK_ABOVE_SHOULDER_MM 130.0
#define SHOULDERS_ABOVE_SHOULDER_MM 20.0
#define SACRUM_ZONE_BELOW_L5_MM 15.0
#define GLUTES_LENGTH_MM 170.0

/* Stiffness changes from zone to zone over this span, centred on the boundary, so the
 * force under a moving roller never jumps. Shorter than the shortest zone (~84 mm). */
#define STIFFNESS_BLEND_MM 20.0
/* The back's shape. The shoulder blades stand out around T4 and the lumbar curve
 * hollows around L3, each over a half-width that is a share of the C7-to-sacrum length;
 * above the shoulder line the back gives way to the neck, which lies further forward.
 * The track is already shaped to an average back, so these are a person's departures
 * from it: a few mm, except the neck, which lies tens of mm further forward. A
 * real scan reads the line where the roller leaves the back; the blades' upper slope,
 * which ends just below the line, is what a naive threshold mistakes for it. */
#define BLADE_HALF_WIDTH_PER_SPINE 0.15
#define LUMBAR_HALF_WIDTH_PER_SPINE 0.20
/* At the top of the neck the head leaves the backrest: the gap grows past anything Z can
 * reach (103 mm) over HEAD_BLEND_MM, so force fades to zero instead of dropping. */
#define HEAD_EXTRA_GAP_MM 120.0
#define HEAD_BLEND_MM 20.0
/* Tissue stiffens as it compresses: k * d * (1 + d / PROGRESSIVE_MM). */
#define PROGRESSIVE_MM 40.0

struct range {
	double lo, hi;
};

static const struct range stiffness_range[SIM_ZONE_COUNT] = {
	[SIM_ZONE_NECK] = {1.0, 3.0},       [SIM_ZONE_SHOULDERS] = {2.0, 6.0},
	[SIM_ZONE_UPPER_BACK] = {3.0, 8.0}, [SIM_ZONE_MID_BACK] = {3.0, 8.0},
	[SIM_ZONE_LOWER_BACK] = {3.0, 8.0}, [SIM_ZONE_SACRUM] = {4.0, 9.0},
	[SIM_ZONE_GLUTES] = {2.0, 5.0},     [SIM_ZONE_THIGHS] = {2.0, 6.0},
};
static const struct range height_cm_range = {150.0, 200.0};
static const struct range skin_gap_range = {15.0, 25.0};
static const struct range tender_n_range = {25.0, 60.0};
static const struct range tender_radius_range = {20.0, 40.0};
static const struct range too_much_range = {60.0, 100.0};
static const struct range blade_range = {2.0, 6.0};
static const struct range lumbar_range = {1.0, 5.0};
static const struct range neck_recess_range = {20.0, 35.0};
static const struct range neck_rise_range = {20.0, 30.0};
#define TENDER_RANDOM_MAX 4

/* Keeps the person's draws apart from sim_init's, which take the same seed. */
#define PERSON_SEED_SALT 0x50455253304e2121u

static double mid(struct range r)
{
	return 0.5 * (r.lo + r.hi);
}

/* 0 below 0, 1 above 1, with zero slope at both ends. */
static double smoothstep(double x)
{
	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	return x * x * (3.0 - 2.0 * x);
}

/* Lay out the shoulder line, the spine landmarks and the zones from the height. */
static void person_place(struct sim_person *p, double height_cm)
{
	double *lm = p->landmark_y_mm;
	double *zone = p->zone_start_y_mm;

	p->height_cm = height_cm;
	p->seat_y_mm = SEAT_Y_MM;
	p->shoulder_y_mm = SEAT_Y_MM - SHOULDER_ABOVE_SEAT_PER_HEIGHT * height_cm * 10.0;

	double c7_mm = p->shoulder_y_mm - C7_ABOVE_SHOULDER_MM;
	double sacrum_mm = SEAT_Y_MM - SACRUM_ABOVE_SEAT_MM;
	double spine_mm = sacrum_mm - c7_mm;
	lm[SIM_LM_C7] = c7_mm;
	for (int i = 1; i <= 12; i++)
		lm[SIM_LM_T1 + i - 1] = c7_mm + spine_mm * THORACIC_SHARE * i / 12.0;
	for (int i = 1; i <= 5; i++)
		lm[SIM_LM_L1 + i - 1] = lm[SIM_LM_T12] + spine_mm * LUMBAR_SHARE * i / 5.0;
	lm[SIM_LM_SACRUM] = sacrum_mm;

	zone[SIM_ZONE_NECK] = p->shoulder_y_mm - NECK_ABOVE_SHOULDER_MM;
	zone[SIM_ZONE_SHOULDERS] = p->shoulder_y_mm - SHOULDERS_ABOVE_SHOULDER_MM;
	zone[SIM_ZONE_UPPER_BACK] = lm[SIM_LM_T3];
	zone[SIM_ZONE_MID_BACK] = lm[SIM_LM_T7];
	zone[SIM_ZONE_LOWER_BACK] = lm[SIM_LM_T12];
	zone[SIM_ZONE_SACRUM] = lm[SIM_LM_L5] + SACRUM_ZONE_BELOW_L5_MM;
	zone[SIM_ZONE_GLUTES] = SEAT_Y_MM;
	zone[SIM_ZONE_THIGHS] = SEAT_Y_MM + GLUTES_LENGTH_MM;
}

/* A person from seed's draws; height_cm < 0 keeps the drawn height, anything else replaces
 * it (the draw is still taken, so every other trait is the seed's own). */
static void person_build(struct sim_person *p, uint64_t seed, double height_cm)
{
	uint64_t rng = seed ^ PERSON_SEED_SALT;

	memset(p, 0, sizeof(*p));
	double drawn_cm = sim_rng_range(&rng, height_cm_range.lo, height_cm_range.hi);
	person_place(p, height_cm < 0.0 ? drawn_cm : height_cm);
	for (int z = 0; z < SIM_ZONE_COUNT; z++)
		p->stiffness_n_per_mm[z] =
			sim_rng_range(&rng, stiffness_range[z].lo, stiffness_range[z].hi);
	p->skin_gap_mm = sim_rng_range(&rng, skin_gap_range.lo, skin_gap_range.hi);
	p->too_much_n = sim_rng_range(&rng, too_much_range.lo, too_much_range.hi);
	p->tender_count = (int)(sim_rng_next(&rng) % (TENDER_RANDOM_MAX + 1));
	for (int i = 0; i < p->tender_count; i++) {
		struct sim_tender_point *t = &p->tender[i];
		t->y_mm = sim_rng_range(&rng, p->landmark_y_mm[SIM_LM_T1],
					p->landmark_y_mm[SIM_LM_L5]);
		t->radius_mm = sim_rng_range(&rng, tender_radius_range.lo, tender_radius_range.hi);
		t->too_much_n = sim_rng_range(&rng, tender_n_range.lo, tender_n_range.hi);
	}
	/* Drawn last, so every trait drawn before keeps its value for a seed. */
	p->blade_mm = sim_rng_range(&rng, blade_range.lo, blade_range.hi);
	p->lumbar_mm = sim_rng_range(&rng, lumbar_range.lo, lumbar_range.hi);
	p->neck_recess_mm = sim_rng_range(&rng, neck_recess_range.lo, neck_recess_range.hi);
	p->neck_rise_mm = sim_rng_range(&rng, neck_rise_range.lo, neck_rise_range.hi);
	p->seated = true;
}

void sim_person_random(struct sim_person *p, uint64_t seed)
{
	person_build(p, seed, -1.0);
}

void sim_person_of_height(struct sim_person *p, double height_cm, uint64_t seed)
{
	if (!(height_cm >= height_cm_range.lo))
		height_cm = height_cm_range.lo;
	if (height_cm > height_cm_range.hi)
		height_cm = height_cm_range.hi;
	person_build(p, seed, height_cm);
}

void sim_person_default(struct sim_person *p)
{
	memset(p, 0, sizeof(*p));
	person_place(p, 175.0);
	for (int z = 0; z < SIM_ZONE_COUNT; z++)
		p->stiffness_n_per_mm[z] = mid(stiffness_range[z]);
	p->skin_gap_mm = mid(skin_gap_range);
	p->too_much_n = mid(too_much_range);
	p->tender_count = 1;
	p->tender[0] = (struct sim_tender_point){
		.y_mm = p->landmark_y_mm[SIM_LM_L4],
		.radius_mm = mid(tender_radius_range),
		.too_much_n = 45.0,
	};
	p->blade_mm = mid(blade_range);
	p->lumbar_mm = mid(lumbar_range);
	p->neck_recess_mm = mid(neck_recess_range);
	p->neck_rise_mm = mid(neck_rise_range);
	p->seated = true;
}

enum sim_zone sim_person_zone_at(const struct sim_person *p, double y_mm)
{
	int z = SIM_ZONE_COUNT - 1;
	while (z > 0 && y_mm < p->zone_start_y_mm[z])
		z--;
	return (enum sim_zone)z;
}

/* smoothstep(d / span) for span > 0. The contact force is computed every step, over two
 * such blends and seven zone boundaries, and mostly far from them: at or below 0 and at or
 * above span the quotient rounds to <= 0 and >= 1 as well, so there the result is known
 * without the division. */
static double ramp(double d, double span)
{
	if (d <= 0.0)
		return 0.0;
	if (d >= span)
		return 1.0;
	return smoothstep(d / span);
}

/* Stiffness at y_mm, each zone boundary a smooth ramp between its two neighbours. */
static double stiffness_at(const struct sim_person *p, double y_mm)
{
	const double *k = p->stiffness_n_per_mm;
	double k_n_per_mm = k[0];
	for (int z = 1; z < SIM_ZONE_COUNT; z++) {
		/* As ramp: half a blend or more from the boundary, x rounds to <= 0 or >= 1. */
		double d = y_mm - p->zone_start_y_mm[z];
		double ramp_x = d <= -0.5 * STIFFNESS_BLEND_MM ? 0.0
				: d >= 0.5 * STIFFNESS_BLEND_MM
					? 1.0
					: smoothstep(d / STIFFNESS_BLEND_MM + 0.5);
		k_n_per_mm += (k[z] - k[z - 1]) * ramp_x;
	}
	return k_n_per_mm;
}

/* 1 at the centre, 0 from half_width away on, with zero slope at both: (1 - u^2)^2. */
static double bump(double d, double half_width)
{
	double u = d / half_width;
	if (!(u > -1.0 && u < 1.0))
		return 0.0;
	double v = 1.0 - u * u;
	return v * v;
}

/* Protrusion at which the roller first touches the body at y_mm. */
static double gap_at(const struct sim_person *p, double y_mm)
{
	const double *lm = p->landmark_y_mm;
	double spine_mm = lm[SIM_LM_SACRUM] - lm[SIM_LM_C7];
	double neck_top_mm = p->zone_start_y_mm[SIM_ZONE_NECK];
	double head_d = y_mm - neck_top_mm;
	double rise_mm = p->neck_rise_mm > 0.0 ? p->neck_rise_mm : 1.0;
	return p->skin_gap_mm -
	       p->blade_mm * bump(y_mm - lm[SIM_LM_T4], BLADE_HALF_WIDTH_PER_SPINE * spine_mm) +
	       p->lumbar_mm * bump(y_mm - lm[SIM_LM_L3], LUMBAR_HALF_WIDTH_PER_SPINE * spine_mm) +
	       p->neck_recess_mm * ramp(p->shoulder_y_mm - y_mm, rise_mm) +
	       HEAD_EXTRA_GAP_MM * (1.0 - ramp(head_d, HEAD_BLEND_MM));
}

double sim_person_contact_n(const struct sim_person *p, double y_mm, double z_mm)
{
	if (!p->seated || y_mm < p->zone_start_y_mm[SIM_ZONE_NECK])
		return 0.0;
	double indent_mm = z_mm - gap_at(p, y_mm);
	if (indent_mm <= 0.0)
		return 0.0;
	return stiffness_at(p, y_mm) * indent_mm * (1.0 + indent_mm / PROGRESSIVE_MM);
}

double sim_person_limit_n(const struct sim_person *p, double y_mm)
{
	double limit_n = p->too_much_n;
	for (int i = 0; i < p->tender_count && i < SIM_TENDER_MAX; i++) {
		const struct sim_tender_point *t = &p->tender[i];
		if (fabs(y_mm - t->y_mm) <= t->radius_mm && t->too_much_n < limit_n)
			limit_n = t->too_much_n;
	}
	return limit_n;
}

bool sim_person_too_much(const struct sim *s)
{
	double y_mm = s->drive[HAL_AXIS_Y].position;
	return s->contact_force_n > 0.0 &&
	       s->contact_force_n >= sim_person_limit_n(&s->person, y_mm);
}
