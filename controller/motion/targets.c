/* The do-nothing target set, the starting point of every tick's executor stage. */
#include "targets.h"

#include <string.h>

/* Zeroed in parts of 64 bytes at most: GCC writes those with a few vector stores, where
 * one memset of the whole set (144 bytes) became a rep stos whose start-up cost more than
 * the stores, once or twice a tick. */
_Static_assert(sizeof(struct motion_targets) > 128 && sizeof(struct motion_targets) <= 192,
	       "targets_rest zeroes the set in three parts");

void targets_rest(struct motion_targets *t, double y_now_mm)
{
	char *p = (char *)t;
	memset(p, 0, 64);
	memset(p + 64, 0, 64);
	memset(p + 128, 0, sizeof(*t) - 128);
	t->y_mm = y_now_mm;
	t->z_mode = Z_RETRACT;
	t->recline = RECLINE_HOLD;
}
