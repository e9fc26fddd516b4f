/* chairsim: the simulated chair as a Modbus server, stepping its physics in real time.
 *
 *   chairsim [--modbus tcp:127.0.0.1:1502 | --modbus rtu:/dev/pts/N,115200,8N2]
 *            [--seed N] [--fault "KIND TARGET VALUE AT_MS [FOR_MS]"]... [--scenario FILE]
 *            [--late UNIT:MS]... [--exception UNIT:CODE]... [--bad-crc PERCENT]
 *            [--duration-s N] [--status-fd FD] [--wire-pace] [--trace FILE] [--trace-ms N]
 *            [--fault-on-usr1 "KIND TARGET VALUE AT_MS [FOR_MS]"]... [--rt-priority N]
 *            [--watchdog-floor UNIT:MS]...
 *
 * One thread: 1 ms physics steps against CLOCK_MONOTONIC (catching up when late), and
 * between steps the Modbus line is served; the trace has a writer thread of its own. Exits 0 on SIGTERM/SIGINT or after
 * --duration-s, 1 when the line cannot be served, 2 on a bad command line. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modbus_server.h"
#include "sim.h"
#include "trace_out.h"

#define CHAIRSIM_STEP_NS 1000000LL
#define CHAIRSIM_CATCH_UP_MAX 1000 /* steps in a row before giving the lost time up */
#define CHAIRSIM_LATE_NOTE_NS 20000000LL /* a stall this long is told on stderr */
#define CHAIRSIM_LATE_NOTES 20           /* the first so many of them */
#define CHAIRSIM_TRACE_RING (8u << 20)   /* a minute of 1 ms lines the disk may fall behind */
#define CHAIRSIM_TRACE_LINE_MAX 512
#define CHAIRSIM_LATE_MAX_MS 60000
/* The highest exception code libmodbus 3.1.6 passes on to a client: it reports 12..255
 * only as EMBBADEXC, without the code. */
#define CHAIRSIM_EXCEPTION_MAX MODBUS_EXCEPTION_GATEWAY_TARGET

struct chairsim_opts {
	const char *modbus;
	uint64_t seed;
	double duration_s;
	int status_fd;
	double bad_crc_percent;
	bool wire_pace;
	const char *trace_path;
	int trace_ms;
	int rt_priority; /* SCHED_FIFO for the simulated chair, 0 = normal */
	int late_ms[HAL_UNIT_COUNT];
	int watchdog_floor_ms[HAL_UNIT_COUNT]; /* a drive's comm watchdog at least this, 0 = as written */
	int exception[HAL_UNIT_COUNT];
	struct sim_fault fault[SIM_FAULT_MAX];
	int fault_count;
	struct sim_fault usr1_fault[SIM_FAULT_MAX]; /* armed by SIGUSR1, AT_MS from then */
	int usr1_fault_count;
};

static volatile sig_atomic_t chairsim_stop;
static volatile sig_atomic_t chairsim_usr1;

/* The truth the controller cannot see, for end-to-end tests: simulated time, the force of
 * the roller on the body, where carriage and roller are; the DIO module's coils as they
 * are (one digit a coil, in coil order) and the ms since a request last reached it; the
 * heaters' true temperatures, the recline angles, the airbags' pressures. */
static void chairsim_trace(struct trace_out *t, const struct sim *s)
{
	char coils[HAL_DIO_COIL_COUNT + 1];
	for (int i = 0; i < HAL_DIO_COIL_COUNT; i++)
		coils[i] = (char)('0' + ((s->gpio_out >> i) & 1u));
	coils[HAL_DIO_COIL_COUNT] = '\0';
	char line[CHAIRSIM_TRACE_LINE_MAX];
	int n = snprintf(line, sizeof(line), "%llu %.2f %.2f %.2f %s %u %.3f %.3f %.2f %.2f",
			 (unsigned long long)s->time_ms, s->contact_force_n,
			 s->drive[HAL_AXIS_Y].position, s->drive[HAL_AXIS_Z].position, coils,
			 s->dio.quiet_ms, s->heater_c[HAL_HEATER_LUMBAR],
			 s->heater_c[HAL_HEATER_CALVES], s->back_angle_deg, s->leg_angle_deg);
	for (int z = 0; z < HAL_AIRBAG_COUNT && n > 0 && n < (int)sizeof(line); z++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %.2f", s->airbag_kpa[z]);
	if (n <= 0 || n >= (int)sizeof(line) - 1)
		return; /* cannot happen with these fields: a line is some 120 bytes */
	line[n++] = '\n';
	trace_out_line(t, line, (size_t)n);
}

static void chairsim_on_signal(int sig)
{
	(void)sig;
	chairsim_stop = 1;
}

static void chairsim_on_usr1(int sig)
{
	(void)sig;
	chairsim_usr1 = 1;
}

static int64_t chairsim_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void chairsim_usage(FILE *f)
{
	fprintf(f,
		"usage: chairsim [options]\n"
		"  --modbus SPEC         tcp:HOST:PORT (default tcp:127.0.0.1:1502) or\n"
		"                        rtu:DEVICE,BAUD,8N2\n"
		"  --seed N              the simulated person and start positions (default 1)\n"
		"  --fault TEXT          \"KIND TARGET VALUE AT_MS [FOR_MS]\", repeatable, e.g.\n"
		"                        \"unit_silent drive_z 0 5000\", \"drive_fault Z 4660 3000\"\n"
		"                        (FOR_MS 0 or left out: until the end)\n"
		"  --scenario FILE       one fault per line, # starts a comment\n"
		"  --late UNIT:MS        the unit answers MS late (UNIT: drive_y..dio or its id)\n"
		"  --exception UNIT:CODE the unit answers with exception CODE (1..11, the codes\n"
		"                        libmodbus 3.1.6 knows)\n"
		"  --bad-crc PERCENT     that share of answers has a broken CRC\n"
		"  --duration-s N        exit after N seconds\n"
		"  --status-fd FD        write \"listening SPEC\" there once serving\n"
		"  --trace FILE          the truth: time_ms contact_force_n y_mm z_mm, the DIO\n"
		"                        coils (a digit each, coil 0 first), ms since unit 7\n"
		"                        last heard a request, heater_lumbar_c heater_calves_c,\n"
		"                        back_deg leg_deg, six airbag kPa\n"
		"  --trace-ms N          a trace line every N ms of simulated time (default 10)\n"
		"  --fault-on-usr1 TEXT  a fault as --fault whose AT_MS counts from the SIGUSR1\n"
		"                        chairsim receives (repeatable; the first signal arms\n"
		"                        them all, on stderr with the time)\n"
		"  --watchdog-floor UNIT:MS  that drive's comm watchdog waits at least MS, whatever\n"
		"                        is written (a test host's stalls, for a drive a test\n"
		"                        does not measure)\n"
		"  --rt-priority N       step the chair at SCHED_FIFO priority N (1..99): the\n"
		"                        simulated drives keep time while the host is busy\n"
		"  --wire-pace           RTU on a pty: answer only when a real line at the baud\n"
		"                        rate would have carried request and answer\n"
		"Wire faults on a schedule (--fault or scenario lines, kinds of sim_fault_parse);\n"
		"while one is on it replaces the whole-run option:\n"
		"  late UNIT MS          e.g. \"late drive_z 50 20000 3000\" (UNIT - : every unit)\n"
		"  exception UNIT CODE   e.g. \"exception drive_z 4 20000 3000\" (CODE 1..11)\n"
		"  bad_crc - PERCENT     e.g. \"bad_crc - 1 20000 3000\"\n");
}

/* The index of a unit named by its config name or its Modbus id, or -1. */
static int chairsim_unit(const char *text, const struct hal_config *cfg)
{
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		if (strcmp(text, hal_unit_name[u]) == 0)
			return u;
	char *end;
	long id = strtol(text, &end, 10);
	if (*end || end == text)
		return -1;
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		if (cfg->bus.unit_id[u] == id)
			return u;
	return -1;
}

/* "UNIT:N" with N in [lo, hi] into per-unit table[]; hint follows the range in a message.
 * The unit's index, or -EINVAL. */
static int chairsim_unit_value(const char *opt, const char *text, long lo, long hi,
			       const char *hint, const struct hal_config *cfg,
			       int table[HAL_UNIT_COUNT])
{
	char unit[HAL_NAME_MAX];
	const char *colon = strchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(unit)) {
		fprintf(stderr, "chairsim: %s '%s': expected UNIT:VALUE\n", opt, text);
		return -EINVAL;
	}
	memcpy(unit, text, (size_t)(colon - text));
	unit[colon - text] = '\0';
	int u = chairsim_unit(unit, cfg);
	if (u < 0) {
		fprintf(stderr, "chairsim: %s '%s': no unit '%s' (drive_y..dio or a unit id)\n",
			opt, text, unit);
		return -EINVAL;
	}
	char *end;
	long v = strtol(colon + 1, &end, 0);
	if (*end || end == colon + 1 || v < lo || v > hi) {
		fprintf(stderr, "chairsim: %s '%s': value must be %ld..%ld%s\n", opt, text, lo, hi,
			hint);
		return -EINVAL;
	}
	table[u] = (int)v;
	return u;
}

/* A --fault or scenario line, for the simulator's schedule (wire faults included), or with
 * on_usr1 one armed by SIGUSR1. Both share the simulator's table. */
static int chairsim_add_fault(struct chairsim_opts *o, const char *text, const char *where,
			      bool on_usr1)
{
	if (o->fault_count + o->usr1_fault_count == SIM_FAULT_MAX) {
		fprintf(stderr, "chairsim: %s: more than %d faults\n", where, SIM_FAULT_MAX);
		return -ENOSPC;
	}
	struct sim_fault *f = on_usr1 ? &o->usr1_fault[o->usr1_fault_count]
				      : &o->fault[o->fault_count];
	if (sim_fault_parse(text, f) < 0) {
		fprintf(stderr, "chairsim: %s: bad fault '%s' (KIND TARGET VALUE AT_MS [FOR_MS])\n",
			where, text);
		return -EINVAL;
	}
	if (on_usr1)
		o->usr1_fault_count++;
	else
		o->fault_count++;
	return 0;
}

/* One fault per line; blank lines and # comments are skipped. */
static int chairsim_scenario(struct chairsim_opts *o, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "chairsim: --scenario %s: %s\n", path, strerror(errno));
		return -errno;
	}
	char line[256], where[HAL_NAME_MAX + 300];
	int rc = 0;
	for (int n = 1; rc == 0 && fgets(line, sizeof(line), f); n++) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		if (strspn(line, " \t") == strlen(line))
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, n);
		rc = chairsim_add_fault(o, line, where, false);
	}
	fclose(f);
	return rc;
}

static int chairsim_number(const char *opt, const char *text, double lo, double hi, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(text, &end);
	if (errno || *end || end == text || !(x >= lo && x <= hi)) { /* NaN too */
		fprintf(stderr, "chairsim: %s '%s': expected a number in %g..%g\n", opt, text, lo,
			hi);
		return -EINVAL;
	}
	*v = x;
	return 0;
}

static int chairsim_parse(int argc, char **argv, struct chairsim_opts *o,
			  const struct hal_config *cfg)
{
	enum { O_MODBUS = 256, O_SEED, O_FAULT, O_SCENARIO, O_LATE, O_EXCEPTION, O_BAD_CRC,
	       O_DURATION, O_STATUS_FD, O_WIRE_PACE, O_TRACE, O_TRACE_MS, O_FAULT_ON_USR1,
	       O_RT_PRIORITY, O_WATCHDOG_FLOOR, O_HELP };
	static const struct option longopts[] = {
		{"modbus", required_argument, NULL, O_MODBUS},
		{"seed", required_argument, NULL, O_SEED},
		{"fault", required_argument, NULL, O_FAULT},
		{"scenario", required_argument, NULL, O_SCENARIO},
		{"late", required_argument, NULL, O_LATE},
		{"exception", required_argument, NULL, O_EXCEPTION},
		{"bad-crc", required_argument, NULL, O_BAD_CRC},
		{"duration-s", required_argument, NULL, O_DURATION},
		{"status-fd", required_argument, NULL, O_STATUS_FD},
		{"wire-pace", no_argument, NULL, O_WIRE_PACE},
		{"trace", required_argument, NULL, O_TRACE},
		{"trace-ms", required_argument, NULL, O_TRACE_MS},
		{"fault-on-usr1", required_argument, NULL, O_FAULT_ON_USR1},
		{"rt-priority", required_argument, NULL, O_RT_PRIORITY},
		{"watchdog-floor", required_argument, NULL, O_WATCHDOG_FLOOR},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->modbus = "tcp:127.0.0.1:1502";
	o->seed = 1;
	o->status_fd = -1;
	o->trace_ms = 10;
	opterr = 0;
	int c;
	double v;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case O_MODBUS:
			o->modbus = optarg;
			break;
		case O_SEED: {
			char *end;
			errno = 0;
			unsigned long long seed = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg || optarg[0] == '-') {
				fprintf(stderr, "chairsim: --seed '%s': expected a number\n", optarg);
				rc = -EINVAL;
			}
			o->seed = seed;
			break;
		}
		case O_FAULT:
			rc = chairsim_add_fault(o, optarg, "--fault", false);
			break;
		case O_FAULT_ON_USR1:
			rc = chairsim_add_fault(o, optarg, "--fault-on-usr1", true);
			break;
		case O_SCENARIO:
			rc = chairsim_scenario(o, optarg);
			break;
		case O_LATE:
			rc = chairsim_unit_value("--late", optarg, 0, CHAIRSIM_LATE_MAX_MS, "", cfg,
						 o->late_ms);
			break;
		case O_EXCEPTION:
			rc = chairsim_unit_value("--exception", optarg, 1, CHAIRSIM_EXCEPTION_MAX,
						 ", the codes libmodbus 3.1.6 knows (it reports "
						 "others as a bad exception frame)",
						 cfg, o->exception);
			break;
		case O_BAD_CRC:
			rc = chairsim_number("--bad-crc", optarg, 0, 100, &o->bad_crc_percent);
			break;
		case O_DURATION:
			rc = chairsim_number("--duration-s", optarg, 0, 1e9, &o->duration_s);
			break;
		case O_STATUS_FD:
			rc = chairsim_number("--status-fd", optarg, 0, 1 << 20, &v);
			o->status_fd = (int)v;
			if (rc == 0 && v != (int)v) {
				fprintf(stderr, "chairsim: --status-fd '%s': not a descriptor\n", optarg);
				rc = -EINVAL;
			}
			break;
		case O_WIRE_PACE:
			o->wire_pace = true;
			break;
		case O_TRACE:
			o->trace_path = optarg;
			break;
		case O_TRACE_MS:
			rc = chairsim_number("--trace-ms", optarg, 1, 60000, &v);
			if (rc == 0)
				o->trace_ms = (int)v;
			if (rc == 0 && v != (int)v) {
				fprintf(stderr, "chairsim: --trace-ms '%s': whole milliseconds\n",
					optarg);
				rc = -EINVAL;
			}
			break;
		case O_WATCHDOG_FLOOR:
			rc = chairsim_unit_value("--watchdog-floor", optarg, 0, UINT16_MAX, "", cfg,
						 o->watchdog_floor_ms);
			if (rc > HAL_UNIT_DRIVE_W) {
				fprintf(stderr, "chairsim: --watchdog-floor '%s': drives only "
					"(drive_y..drive_w)\n", optarg);
				rc = -EINVAL;
			}
			break;
		case O_RT_PRIORITY:
			rc = chairsim_number("--rt-priority", optarg, 1, 99, &v);
			o->rt_priority = (int)v;
			if (rc == 0 && v != (int)v) {
				fprintf(stderr, "chairsim: --rt-priority '%s': a whole priority\n",
					optarg);
				rc = -EINVAL;
			}
			break;
		case O_HELP:
			chairsim_usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "chairsim: unknown option or missing value: %s\n",
				argv[optind - 1]);
			chairsim_usage(stderr);
			return -EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "chairsim: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* A scheduled wire fault's value for unit u now, or the whole-run option's when none is on. */
static int chairsim_wire_value(const struct sim *s, enum sim_fault_kind kind, int u,
			       int whole_run)
{
	int value;
	return sim_fault_active(s, kind, u, s->time_ms, &value) ? value : whole_run;
}

/* The wire faults of every unit now: the whole-run options, replaced by a scheduled wire
 * fault while one is on, plus the sim's silent/deaf units. */
static void chairsim_wire_faults(struct simsrv *srv, const struct sim *s,
				 const struct chairsim_opts *o)
{
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		struct simsrv_unit_faults f = {
			.silent = sim_fault_active(s, SIM_FAULT_UNIT_SILENT, u, s->time_ms, NULL),
			.deaf = sim_fault_active(s, SIM_FAULT_UNIT_DEAF, u, s->time_ms, NULL),
			.late_ms = chairsim_wire_value(s, SIM_FAULT_LATE, u, o->late_ms[u]),
			.exception = chairsim_wire_value(s, SIM_FAULT_EXCEPTION, u, o->exception[u]),
		};
		simsrv_set_unit_faults(srv, (enum hal_unit)u, &f);
	}
	int percent;
	bool crc = sim_fault_active(s, SIM_FAULT_BAD_CRC, -1, s->time_ms, &percent);
	simsrv_set_bad_crc_percent(srv, crc ? percent : o->bad_crc_percent);
}

/* The SIGUSR1 faults into the schedule, their AT_MS counted from now (once). */
static void chairsim_arm_usr1_faults(struct sim *s, const struct chairsim_opts *o)
{
	for (int i = 0; i < o->usr1_fault_count; i++) {
		struct sim_fault f = o->usr1_fault[i];
		f.at_ms += s->time_ms;
		sim_fault_add(s, &f); /* room was checked when the options were read */
	}
	fprintf(stderr, "chairsim: SIGUSR1 at %" PRIu64 " ms: %d faults armed\n", s->time_ms,
		o->usr1_fault_count);
}

static void chairsim_report(const struct simsrv *srv, const struct sim *s)
{
	const struct simsrv_counters *c = &srv->count;
	fprintf(stderr, "chairsim: stopped at %" PRIu64 " ms, %u clients, %u requests for "
		"other ids, %u dropped for bad CRC, %u DIO watchdog trips\n",
		s->time_ms, c->clients, c->other_units, c->rx_crc_errors, s->dio.trips);
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		fprintf(stderr, "chairsim: unit %s: requests %u replies %u unanswered %u late %u "
			"bad_crc %u exceptions %u\n",
			hal_unit_name[u], c->requests[u], c->replies[u], c->unanswered[u],
			c->late[u], c->bad_crc[u], c->exceptions[u]);
}

/* The chair while it runs: the line, the simulator, and how late its steps came. */
struct chairsim_run {
	struct simsrv *srv;
	struct sim *sim;
	const struct chairsim_opts *o;
	struct trace_out *trace; /* NULL without --trace */
	struct hal_inputs in;
	struct hal_outputs out;
	uint64_t steps_lost;
	int64_t worst_late_ns;
	unsigned stalls; /* steps CHAIRSIM_LATE_NOTE_NS late or more */
};

/* One ms of the chair, and what the line reads of it from now on. */
static void chairsim_step(struct chairsim_run *r)
{
	sim_advance_1ms(r->sim);
	if (r->trace && r->sim->time_ms % (uint64_t)r->o->trace_ms == 0)
		chairsim_trace(r->trace, r->sim);
	chairsim_wire_faults(r->srv, r->sim, r->o);
	sim_read(r->sim, &r->in);
	simsrv_set_inputs(r->srv, &r->in);
	simsrv_set_coils(r->srv, r->sim->gpio_out); /* its watchdog may have moved them */
}

/* Serve the line for up to wait_us: answer what came in and hand the writes to the units.
 * 0, or -errno when the line failed. */
static int chairsim_serve(struct chairsim_run *r, int wait_us)
{
	int written = simsrv_poll(r->srv, wait_us);
	if (written < 0)
		return written;
	if (written) {
		simsrv_get_outputs(r->srv, &r->out);
		for (int a = 0; a < HAL_AXIS_COUNT; a++) {
			uint16_t *ms = &r->out.drive[a].comm_timeout_ms;
			int floor_ms = r->o->watchdog_floor_ms[HAL_UNIT_DRIVE_Y + a];
			if (*ms < floor_ms)
				*ms = (uint16_t)floor_ms;
		}
		for (int u = 0; u < HAL_UNIT_COUNT; u++)
			if (written & (1 << u))
				sim_write_unit(r->sim, (enum hal_unit)u, &r->out);
	}
	/* Reads feed the DIO module's watchdog too: any request that reached it. */
	if (simsrv_take_heard(r->srv) & 1u << HAL_UNIT_DIO)
		sim_dio_request(r->sim);
	return 0;
}

/* Note a step that came late_ns after its time: the host starved chairsim. */
static void chairsim_note_late(struct chairsim_run *r, int64_t late_ns)
{
	if (late_ns > r->worst_late_ns)
		r->worst_late_ns = late_ns;
	if (late_ns < CHAIRSIM_LATE_NOTE_NS)
		return;
	if (r->stalls++ < CHAIRSIM_LATE_NOTES)
		fprintf(stderr, "chairsim: starved %.1f ms before the step of %" PRIu64 " ms\n",
			(double)late_ns / 1e6, r->sim->time_ms + 1);
}

/* 1 ms steps against CLOCK_MONOTONIC, the line served between them, until a signal or the
 * end of --duration-s. Behind time (the host starved chairsim), the requests that came in
 * meanwhile are served between the catch-up steps: a real drive's clock does not stop
 * with the host, and every request that reached it in time fed its watchdog in time.
 * 0, or 1 when the line failed. */
static int chairsim_loop(struct chairsim_run *r)
{
	int64_t start_ns = chairsim_now_ns();
	int64_t next_step_ns = start_ns;
	int64_t end_ns = r->o->duration_s > 0 ? start_ns + (int64_t)(r->o->duration_s * 1e9) : 0;
	bool usr1_armed = false;
	chairsim_wire_faults(r->srv, r->sim, r->o);
	sim_read(r->sim, &r->in);
	simsrv_set_inputs(r->srv, &r->in);
	while (!chairsim_stop) {
		int64_t now = chairsim_now_ns();
		if (end_ns && now >= end_ns)
			break;
		if (chairsim_usr1 && !usr1_armed) {
			chairsim_arm_usr1_faults(r->sim, r->o);
			usr1_armed = true;
		}
		int rc = 0;
		for (int steps = 0; rc == 0 && next_step_ns <= now; steps++) {
			if (steps == CHAIRSIM_CATCH_UP_MAX) { /* stopped: give the lost time up */
				r->steps_lost += (uint64_t)((now - next_step_ns) / CHAIRSIM_STEP_NS);
				next_step_ns = now + CHAIRSIM_STEP_NS;
				break;
			}
			if (steps == 0)
				chairsim_note_late(r, now - next_step_ns);
			chairsim_step(r);
			next_step_ns += CHAIRSIM_STEP_NS;
			if (next_step_ns <= now)
				rc = chairsim_serve(r, 0);
		}
		now = chairsim_now_ns();
		int wait_us = next_step_ns > now ? (int)((next_step_ns - now) / 1000) : 0;
		if (rc == 0)
			rc = chairsim_serve(r, wait_us);
		if (rc < 0) {
			fprintf(stderr, "chairsim: %s: %s\n", simsrv_where(r->srv), strerror(-rc));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct hal_config cfg;
	static struct chairsim_opts opts;
	static struct sim sim;
	static struct simsrv srv;
	hal_config_defaults(&cfg);
	if (chairsim_parse(argc, argv, &opts, &cfg) < 0)
		return 2;
	struct simsrv_spec spec;
	char err[256];
	if (simsrv_parse_spec(opts.modbus, &spec, err, sizeof(err)) < 0) {
		fprintf(stderr, "chairsim: --modbus: %s\n", err);
		return 2;
	}

	struct sim_person person;
	sim_person_random(&person, opts.seed);
	sim_init(&sim, &person, opts.seed);
	for (int i = 0; i < opts.fault_count; i++)
		if (sim_fault_add(&sim, &opts.fault[i]) < 0) {
			fprintf(stderr, "chairsim: fault %d does not fit the simulator\n", i + 1);
			return 2;
		}

	struct sigaction sa = {.sa_handler = chairsim_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sigaction usr1 = {.sa_handler = chairsim_on_usr1};
	sigemptyset(&usr1.sa_mask);
	sigaction(SIGUSR1, &usr1, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (simsrv_open(&srv, &spec, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "chairsim: %s\n", err);
		return 1;
	}
	simsrv_set_bad_crc(&srv, opts.bad_crc_percent, opts.seed);
	simsrv_set_wire_pace(&srv, opts.wire_pace);
	fprintf(stderr, "chairsim: listening on %s (seed %" PRIu64 ", %d faults)\n",
		simsrv_where(&srv), opts.seed, opts.fault_count);
	if (opts.status_fd >= 0) {
		dprintf(opts.status_fd, "listening %s\n", simsrv_where(&srv));
		close(opts.status_fd);
	}

	struct chairsim_run run = {.srv = &srv, .sim = &sim, .o = &opts};
	if (opts.rt_priority > 0) {
		struct sched_param sp = {.sched_priority = opts.rt_priority};
		int e = sched_setscheduler(0, SCHED_FIFO, &sp);
		if (e != 0) {
			fprintf(stderr, "chairsim: --rt-priority %d: SCHED_FIFO refused: %s\n",
				opts.rt_priority, strerror(errno));
			simsrv_close(&srv);
			return 2;
		}
	}
	static struct trace_out trace;
	if (opts.trace_path) {
		if (trace_out_open(&trace, opts.trace_path, CHAIRSIM_TRACE_RING, err,
				   sizeof(err)) < 0) {
			fprintf(stderr, "chairsim: --trace %s\n", err);
			simsrv_close(&srv);
			return 2;
		}
		run.trace = &trace;
	}
	int rc = chairsim_loop(&run);
	if (run.steps_lost)
		fprintf(stderr, "chairsim: %" PRIu64 " ms of simulated time given up while starved\n",
			run.steps_lost);
	chairsim_report(&srv, &sim);
	fprintf(stderr, "chairsim: a step %.1f ms late at worst, %u stalls of %lld ms or more\n",
		(double)run.worst_late_ns / 1e6, run.stalls, CHAIRSIM_LATE_NOTE_NS / 1000000LL);
	simsrv_close(&srv);
	if (run.trace) {
		int e = trace_out_close(run.trace);
		if (e < 0) {
			fprintf(stderr, "chairsim: --trace %s: %s\n", opts.trace_path, strerror(-e));
			rc = 1;
		}
		if (trace.waits)
			fprintf(stderr, "chairsim: the trace fell behind %" PRIu64 " times\n",
				trace.waits);
	}
	return rc;
}
