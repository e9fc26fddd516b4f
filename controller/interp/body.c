/* Landmarks and zones of one person on the track (the anatomy is described in body.h). */
#include "body.h"

#include <errno.h>
#include <string.h>

static const char *const landmark_name[BODY_LANDMARK_COUNT] = {
	"neck", "shoulders", "upper-back", "mid-back", "lower-back", "sacrum", "glutes", "thighs",
	"C7", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12",
	"L1", "L2", "L3", "L4", "L5",
};

const char *body_landmark_name(enum body_landmark lm)
{
	if ((int)lm < 0 || lm >= BODY_LANDMARK_COUNT)
		return "?";
	return landmark_name[lm];
}

int body_landmark_lookup(const char *name, size_t len)
{
	for (int i = 0; i < BODY_LANDMARK_COUNT; i++)
		if (strlen(landmark_name[i]) == len && memcmp(landmark_name[i], name, len) == 0)
			return i;
	return -1;
}

/* Place everything from the shoulder line; the caller has validated the inputs. */
static void place(struct body_map *b, double height_mm, double shoulder_y_mm, double skin_gap_mm,
		  const struct interp_limits *lim)
{
	memset(b, 0, sizeof(*b));
	b->height_mm = height_mm;
	b->shoulder_y_mm = shoulder_y_mm;
	b->seat_y_mm = lim->seat_y_mm;
	b->skin_gap_mm = skin_gap_mm;
	b->sacrum_bone_y_mm = b->seat_y_mm - BODY_SACRUM_ABOVE_SEAT_MM;

	double c7_mm = shoulder_y_mm - BODY_C7_ABOVE_SHOULDER_MM;
	double spine_mm = b->sacrum_bone_y_mm - c7_mm;
	double *y = b->y_mm;
	y[BODY_C7] = c7_mm;
	for (int i = 1; i <= 12; i++)
		y[BODY_C7 + i] = c7_mm + BODY_THORACIC_SHARE * spine_mm * i / 12.0;
	for (int j = 1; j <= 5; j++)
		y[BODY_T12 + j] = y[BODY_T12] + BODY_LUMBAR_SHARE * spine_mm * j / 5.0;

	/* A vertebra's span reaches half way to each neighbour. */
	for (int v = BODY_C7; v <= BODY_L5; v++) {
		double above = v == BODY_C7 ? y[v] - (y[BODY_T1] - y[v]) : y[v - 1];
		double below = v == BODY_L5 ? b->sacrum_bone_y_mm : y[v + 1];
		b->span_start_mm[v] = (above + y[v]) / 2.0;
		b->span_end_mm[v] = (y[v] + below) / 2.0;
	}

	double edge[BODY_ZONE_COUNT + 1] = {
		shoulder_y_mm - BODY_NECK_ABOVE_SHOULDER_MM,
		shoulder_y_mm - BODY_SHOULDERS_ABOVE_SHOULDER_MM,
		y[BODY_T3],
		y[BODY_T7],
		y[BODY_T12],
		y[BODY_L5] + BODY_LOWER_BACK_BELOW_L5_MM,
		b->seat_y_mm,
		b->seat_y_mm + BODY_GLUTES_LENGTH_MM,
		lim->track_max_mm,
	};
	for (int z = 0; z < BODY_ZONE_COUNT; z++) {
		b->span_start_mm[z] = edge[z];
		b->span_end_mm[z] = edge[z + 1];
		y[z] = (edge[z] + edge[z + 1]) / 2.0;
	}
}

int body_from_height(struct body_map *b, double height_mm, const struct interp_limits *lim)
{
	if (!(height_mm >= lim->body_height_min_mm && height_mm <= lim->body_height_max_mm))
		return -ERANGE;
	place(b, height_mm, lim->seat_y_mm - BODY_SHOULDER_PER_HEIGHT * height_mm, lim->skin_gap_mm,
	      lim);
	return 0;
}

int body_from_scan(struct body_map *b, double shoulder_y_mm, double height_mm, double skin_gap_mm,
		   const struct interp_limits *lim)
{
	/* The spine needs room: at least 200 mm from C7 to the sacrum bone. */
	double lowest_mm = lim->seat_y_mm - BODY_SACRUM_ABOVE_SEAT_MM - 200.0;
	if (!(shoulder_y_mm >= lim->track_min_mm && shoulder_y_mm <= lowest_mm))
		return -EINVAL;
	if (!(skin_gap_mm >= 0.0 && skin_gap_mm < lim->z_max_mm))
		return -EINVAL;
	if (!(height_mm > 0.0))
		height_mm = (lim->seat_y_mm - shoulder_y_mm) / BODY_SHOULDER_PER_HEIGHT;
	place(b, height_mm, shoulder_y_mm, skin_gap_mm, lim);
	return 0;
}

void body_default(struct body_map *b, const struct interp_limits *lim)
{
	place(b, BODY_DEFAULT_HEIGHT_MM, lim->seat_y_mm - BODY_SHOULDER_PER_HEIGHT * BODY_DEFAULT_HEIGHT_MM,
	      lim->skin_gap_mm, lim);
}

int body_zone_at(const struct body_map *b, double y_mm)
{
	for (int z = BODY_ZONE_COUNT - 1; z >= 0; z--)
		if (y_mm >= b->span_start_mm[z])
			return z;
	return -1;
}
