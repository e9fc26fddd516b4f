/* Summaries of a run, from telemetry. */
#include "report.h"

#include <math.h>
#include <string.h>

void report_init(struct report *r, const struct body_map *body, double period_s,
		 double contact_n, bool tty)
{
	memset(r, 0, sizeof(*r));
	r->body = body;
	r->period_s = period_s;
	r->contact_n = contact_n;
	r->tty = tty;
	r->progress_pct = -1;
}

void report_take(struct report *r, const struct telem *t)
{
	if (t->fault && t->fault != r->last_fault) {
		if (r->faults < (int)sizeof(r->fault_codes)) {
			r->fault_codes[r->faults] = t->fault;
			r->fault_where[r->faults] = t->fault_where;
			r->fault_bus_id[r->faults] = t->fault_bus_id;
			r->fault_value[r->faults] = t->fault_value;
			r->fault_reg[r->faults] = t->fault_reg;
		}
		r->faults++;
	}
	r->last_fault = t->fault;
	r->last_state = t->state;
	r->last = *t;
	if (t->state != ST_RUNNING && t->state != ST_PAUSED)
		return;
	r->ticks_running++;
	if (t->force_n > r->peak_force_n) {
		r->peak_force_n = t->force_n;
		r->peak_force_y_mm = t->y_mm;
	}
	if (t->force_n > r->contact_n) {
		r->contact_ticks++;
		int zone = r->body ? body_zone_at(r->body, t->y_mm) : -1;
		if (zone >= 0 && zone < BODY_ZONE_COUNT)
			r->zone_ticks[zone]++;
	}
}

void report_progress(struct report *r, FILE *out, const char *phase_name)
{
	const struct telem *t = &r->last;
	int pct = t->exec_total_ms ? (int)(100.0 * t->exec_elapsed_ms / t->exec_total_ms) : 0;
	if (pct > 100)
		pct = 100;
	if (!r->tty) {
		if (pct / 10 == r->progress_pct / 10)
			return;
		fprintf(out, "  %3d%%  %-16s y %6.1f mm  force %5.1f N\n", pct, phase_name,
			t->y_mm, t->force_n);
		r->progress_pct = pct;
		return;
	}
	char bar[31];
	int fill = pct * 30 / 100;
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[30] = '\0';
	fprintf(out, "\r  [%s] %3d%%  %-14.14s y %6.1f mm  force %5.1f N  ", bar, pct, phase_name,
		t->y_mm, t->force_n);
	fflush(out);
	r->progress_pct = pct;
}

void report_summary(const struct report *r, FILE *out)
{
	if (r->tty)
		fputc('\n', out);
	double run_s = (double)r->ticks_running * r->period_s;
	fprintf(out, "summary:\n");
	fprintf(out, "  duration:      %d min %04.1f s\n", (int)(run_s / 60), fmod(run_s, 60));
	fprintf(out, "  rollers on the body: %.1f s\n", (double)r->contact_ticks * r->period_s);
	if (r->body) {
		for (int z = 0; z < BODY_ZONE_COUNT; z++)
			if (r->zone_ticks[z])
				fprintf(out, "    %-12s %6.1f s\n",
					body_landmark_name((enum body_landmark)z),
					(double)r->zone_ticks[z] * r->period_s);
	}
	fprintf(out, "  peak force:    %.1f N at y %.0f mm\n", r->peak_force_n, r->peak_force_y_mm);
	fprintf(out, "  faults:        %d\n", r->faults);
	for (int i = 0; i < r->faults && i < (int)sizeof(r->fault_codes); i++) {
		struct fault_record rec = {.code = (enum fault_code)r->fault_codes[i],
					   .where = r->fault_where[i],
					   .bus_id = r->fault_bus_id[i],
					   .value = r->fault_value[i],
					   .reg = r->fault_reg[i]};
		char text[160];
		fault_describe(&rec, text, sizeof(text));
		fprintf(out, "    %s\n", text);
	}
	fprintf(out, "  ended:         %s\n",
		chair_state_name[r->last_state < ST_COUNT ? r->last_state : 0]);
}
