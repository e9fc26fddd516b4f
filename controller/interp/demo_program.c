/* The built-in demonstration program, for the foundation demo and smoke tests: short,
 * and it shows a sweep, a held pressure and kneading. About 80 s on the default body. */
#include "interp.h"

const char *const interp_demo_program =
	"# Built-in demo: along the back, a held point on L4, kneading, let go.\n"
	"program \"Demo\"\n"
	"description \"Roll along the back, press and hold on L4, knead the lower back, release.\"\n"
	"tags demo, back-pain\n"
	"level normal\n"
	"\n"
	"phase \"Along the back\"\n"
	"  roll shoulders..lower-back speed 5 pressure 3 times 1\n"
	"phase \"Press and hold\"\n"
	"  trigger-point L4 pressure 5 ramp 5s hold 12s release 5s\n"
	"phase \"Knead\"\n"
	"  knead lower-back width medium speed 4 pressure 4 for 20s\n"
	"phase \"Release\"\n"
	"  pause 3s\n";
