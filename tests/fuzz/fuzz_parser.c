/* libFuzzer target: any bytes as a program, through parse, check and compile in memory.
 * Every input must end in diagnostics or a plan, never a crash, a leak or a hang; what the
 * checker accepts must also resolve or be refused cleanly for the default body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../controller/interp/interp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct interp_diags d;
	struct interp_limits lim;
	interp_limits_default(&lim);
	interp_diags_init(&d, "fuzz.prog");
	struct plan *compiled = NULL;
	if (interp_load((const char *)data, size, "fuzz.prog", &lim, &d, &compiled) == 0) {
		struct body_map body;
		body_default(&body, &lim);
		struct plan *p = NULL;
		char err[256];
		if (plan_resolve(compiled, &body, 80.0, 0.0, &p, err, sizeof(err)) == 0) {
			/* a few seconds of the run, as the tick would do it */
			struct exec e;
			struct motion_targets t;
			struct exec_feedback fb = {0, 0, 0, 0.01};
			exec_start(&e, p);
			for (int i = 0; i < 500 && exec_step(&e, &fb, &t) == EXEC_RUNNING; i++)
				fb.y_mm = t.y_mm;
			plan_free(p);
		}
		plan_free(compiled);
	}
	return 0;
}
