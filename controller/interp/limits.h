/* The chair's numbers a program is checked against and the mapping of program levels
 * (speed, rate, depth, pressure, air) onto them. Defaults are CHAIR.md's reference chair;
 * the chair's configuration may override any field before check or resolve. */
#ifndef INTERP_LIMITS_H
#define INTERP_LIMITS_H

#include <stdint.h>

struct interp_limits {
	double track_min_mm;           /* carriage travel, 0 = top */
	double track_max_mm;
	double carriage_min_mm_s;      /* speed level 1 */
	double carriage_max_mm_s;      /* speed level 10 */
	double glide_min_mm_s;         /* glide speed level 1 */
	double glide_max_mm_s;         /* glide speed level 10 */
	double transit_mm_s;           /* moving between steps, rollers retracted */
	double transit_settle_ms;      /* added to every move: acceleration and settling */
	double z_max_mm;               /* roller protrusion range */
	double z_speed_mm_s;           /* how fast the roller reaches the skin */
	double depth_per_level_mm;     /* depth level n = skin gap + n * this */
	double force_max_n;            /* chair's roller force limit; a user's cap is below */
	double knead_max_rpm;          /* speed level 10; level n = n/10 of it */
	double tap_max_rpm;            /* rate level 10 */
	double width_narrow_mm;
	double width_medium_mm;
	double width_wide_mm;
	double airbag_max_kpa;         /* air level 5; level n = n/5 of it */
	double pump_kpa_s;             /* the one pump fills a lone zone this fast; zones
				        * filling at once share it (4 zones: a quarter each) */
	double vent_tau_s;             /* the one vent empties an open zone with this time
				        * constant; the pump waits while anything vents */
	double vent_empty_kpa;         /* a zone below this counts as empty (venting stops) */
	double heat_max_c;             /* above: an error */
	double heat_warn_c;            /* above: a warning */
	double heat_min_c;             /* a set point below this is an error */
	double heat_default_c;         /* `heat lumbar on` without a temperature */
	uint32_t session_max_ms;       /* longest program */
	double body_height_min_mm;     /* the bodies the chair supports */
	double body_height_max_mm;
	double seat_y_mm;              /* where back meets seat on the track */
	double skin_gap_mm;            /* default protrusion at which the roller touches */
	int gentle_max_level;          /* highest depth/pressure level in `level gentle` */
	int normal_max_level;          /* ... in `level normal`; above needs `level deep` */
};

/* Fill with the reference chair of CHAIR.md. */
void interp_limits_default(struct interp_limits *lim);

/* Level mappings (levels are checked before these are used; out-of-range levels clamp). */
double interp_carriage_mm_s(const struct interp_limits *lim, int speed_level);
double interp_glide_mm_s(const struct interp_limits *lim, int speed_level);
double interp_knead_rpm(const struct interp_limits *lim, int speed_level);
double interp_tap_rpm(const struct interp_limits *lim, int rate_level);
double interp_force_n(double cap_n, int pressure_level);
double interp_depth_mm(const struct interp_limits *lim, double skin_gap_mm, int depth_level);
double interp_air_kpa(const struct interp_limits *lim, int air_level);
double interp_stretch_kpa(const struct interp_limits *lim, int stretch_level);

/* Airbag timing on the chair's one pump and one vent (0 when pump_kpa_s or vent_tau_s is
 * not above 0: not modelled). Milliseconds, rounded up. */
/* Pumping `zones` zones at once from empty to kpa; they share the pump. */
uint32_t interp_fill_ms(const struct interp_limits *lim, int zones, double kpa);
/* Venting a zone at kpa until it counts as empty. */
uint32_t interp_vent_ms(const struct interp_limits *lim, double kpa);
/* The shortest share of an air pattern's cycle that fills one of its `zones` zones to
 * air_level from empty: the previous zone vents first (the vent is shared, and venting
 * comes first), then this one fills alone. A pattern of one zone only fills. */
uint32_t interp_air_slot_min_ms(const struct interp_limits *lim, int zones, int air_level);

#endif
