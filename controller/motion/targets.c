/* The do-nothing target set, the starting point of every tick's executor stage. */
#include "targets.h"

#include <string.h>

void targets_rest(struct motion_targets *t, double y_now_mm)
{
	memset(t, 0, sizeof(*t));
	t->y_mm = y_now_mm;
	t->z_mode = Z_RETRACT;
	t->recline = RECLINE_HOLD;
}
