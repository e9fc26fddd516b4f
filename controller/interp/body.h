/* The body map: where a person's landmarks lie on the carriage track, placed from the
 * shoulder line (from the body scan, or from the height for a default body).
 *
 * Anatomy (the simulator uses the same): the seat is at seat_y_mm (760 on the reference
 * chair); without a scan the shoulder line is seat - 0.30 * height; C7 is 15 mm above the
 * shoulder line; the sacrum bone is 60 mm above the seat. Between C7 and the sacrum bone
 * (length S) the thoracic vertebrae take 60 % (T_i = C7 + 0.60 S i/12) and the lumbar 33 %
 * (L_j = T12 + 0.33 S j/5). Zones, as half-open spans [start, end) on the track:
 *   neck [shoulder-130, shoulder-20)  shoulders [shoulder-20, T3)  upper-back [T3, T7)
 *   mid-back [T7, T12)  lower-back [T12, L5+15)  sacrum [L5+15, seat)
 *   glutes [seat, seat+170)  thighs [seat+170, track end]
 * A zone's point is the middle of its span; a vertebra's span reaches half way to its
 * neighbours. Positive offsets point down the back (larger track positions). */
#ifndef INTERP_BODY_H
#define INTERP_BODY_H

#include <stddef.h>

#include "limits.h"

enum body_landmark {
	BODY_NECK,
	BODY_SHOULDERS,
	BODY_UPPER_BACK,
	BODY_MID_BACK,
	BODY_LOWER_BACK,
	BODY_SACRUM,
	BODY_GLUTES,
	BODY_THIGHS,
	BODY_C7,
	BODY_T1, BODY_T2, BODY_T3, BODY_T4, BODY_T5, BODY_T6,
	BODY_T7, BODY_T8, BODY_T9, BODY_T10, BODY_T11, BODY_T12,
	BODY_L1, BODY_L2, BODY_L3, BODY_L4, BODY_L5,
	BODY_LANDMARK_COUNT
};

#define BODY_ZONE_COUNT (BODY_THIGHS + 1) /* landmarks that are zones come first */

#define BODY_NECK_ABOVE_SHOULDER_MM 130.0
#define BODY_SHOULDERS_ABOVE_SHOULDER_MM 20.0
#define BODY_C7_ABOVE_SHOULDER_MM 15.0
#define BODY_SACRUM_ABOVE_SEAT_MM 60.0
#define BODY_LOWER_BACK_BELOW_L5_MM 15.0
#define BODY_GLUTES_LENGTH_MM 170.0
#define BODY_SHOULDER_PER_HEIGHT 0.30
#define BODY_THORACIC_SHARE 0.60
#define BODY_LUMBAR_SHARE 0.33
#define BODY_DEFAULT_HEIGHT_MM 1750.0

struct body_map {
	double height_mm;
	double shoulder_y_mm;
	double seat_y_mm;
	double skin_gap_mm;      /* protrusion at which the roller touches the back */
	double sacrum_bone_y_mm;
	double y_mm[BODY_LANDMARK_COUNT];          /* a landmark as a point */
	double span_start_mm[BODY_LANDMARK_COUNT]; /* a landmark as a zone */
	double span_end_mm[BODY_LANDMARK_COUNT];
};

/* A person of the given height without a scan. -ERANGE outside the supported heights. */
int body_from_height(struct body_map *b, double height_mm, const struct interp_limits *lim);
/* A person as the scan found them. -EINVAL when the shoulder line leaves no back between it
 * and the seat or lies off the track, or the skin gap is outside the roller's range. */
int body_from_scan(struct body_map *b, double shoulder_y_mm, double height_mm, double skin_gap_mm,
		   const struct interp_limits *lim);
/* The 175 cm default person. */
void body_default(struct body_map *b, const struct interp_limits *lim);

/* The landmark's name as programs spell it ("lower-back", "T7"). */
const char *body_landmark_name(enum body_landmark lm);
/* The landmark spelled by name[0..len), or -1. Exact, case-sensitive. */
int body_landmark_lookup(const char *name, size_t len);
/* The zone (BODY_NECK..BODY_THIGHS) that holds track position y_mm, or -1 above the neck. */
int body_zone_at(const struct body_map *b, double y_mm);

#endif
