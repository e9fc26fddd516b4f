/* chaird: the controller daemon. Reads the chair's configuration, opens the backend,
 * starts the real-time loop (or lockstep in virtual time), and runs what it is asked to:
 * the built-in demo routine, a program file, the console, or by default the daemon that
 * serves the panel API (daemon.c) until it is stopped. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../drivers/backend.h"
#include "config.h"
#include "console.h"
#include "daemon.h"
#include "interp/plan.h"
#include "log.h"
#include "program_load.h"
#include "report.h"
#include "runner.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct options {
	const char *config_path;
	const char *hal;
	const char *program_path;
	bool demo;
	bool lockstep;
	long long seed;
	double duration_s;
	bool print_keys;
	bool console;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chaird [--config FILE] [--hal sim|modbus|gpiod+modbus] [--seed N]\n"
		"              [--demo | --program FILE] [--lockstep] [--duration-s S]\n"
		"              [--console] [--config-keys]\n"
		"  --config FILE     the chair's INI file (default: built-in reference chair)\n"
		"  --hal KIND        backend, overriding [hal] backend\n"
		"  --seed N          the simulated person (sim backend)\n"
		"  --demo            home, run the built-in demo routine, print a summary, exit\n"
		"  --program FILE    the same with a technique program\n"
		"  --lockstep        virtual time: tick as fast as the CPU allows (sim only)\n"
		"  --duration-s S    the daemon (without --demo/--program/--console): serve\n"
		"                    the panel API this long, then exit\n"
		"  --console         take commands on standard input (home, start, pause,\n"
		"                    resume, stop, ack, stronger, softer, too-much, cap N,\n"
		"                    status, faults, quit); --demo/--program choose what start runs\n"
		"  --config-keys     print every configuration key with its default and range\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"hal", required_argument, NULL, 'H'},
		{"seed", required_argument, NULL, 's'},
		{"demo", no_argument, NULL, 'd'},
		{"program", required_argument, NULL, 'p'},
		{"lockstep", no_argument, NULL, 'l'},
		{"duration-s", required_argument, NULL, 'D'},
		{"config-keys", no_argument, NULL, 'k'},
		{"console", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->seed = -1;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "c:H:s:dp:lD:kCh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'H':
			o->hal = optarg;
			break;
		case 's':
			errno = 0;
			o->seed = strtoll(optarg, &end, 10);
			if (errno || *end || o->seed < 0) {
				log_msg(LOG_ERR, "--seed %s: expected a whole number >= 0", optarg);
				return -EINVAL;
			}
			break;
		case 'd':
			o->demo = true;
			break;
		case 'p':
			o->program_path = optarg;
			break;
		case 'l':
			o->lockstep = true;
			break;
		case 'D':
			o->duration_s = strtod(optarg, &end);
			if (*end || !(o->duration_s > 0)) {
				log_msg(LOG_ERR, "--duration-s %s: expected seconds > 0", optarg);
				return -EINVAL;
			}
			break;
		case 'k':
			o->print_keys = true;
			break;
		case 'C':
			o->console = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_msg(LOG_ERR, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->demo && o->program_path) {
		log_msg(LOG_ERR, "--demo and --program exclude each other");
		return -EINVAL;
	}
	return 0;
}

static int load_config(const struct options *o, struct chair_config *cfg)
{
	config_defaults(cfg);
	char err[512];
	if (o->config_path && config_load(o->config_path, cfg, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		return -EINVAL;
	}
	if (o->hal) {
		char line[96];
		snprintf(line, sizeof(line), "[hal]\nbackend = %s\n", o->hal);
		if (config_load_string(line, "--hal", cfg, err, sizeof(err)) != 0) {
			log_msg(LOG_ERR, "--hal %s: expected sim, modbus or gpiod+modbus", o->hal);
			return -EINVAL;
		}
	}
	if (o->seed >= 0)
		cfg->hal.sim_seed = (uint64_t)o->seed;
	if (o->lockstep && cfg->hal.backend != HAL_BACKEND_SIM) {
		log_msg(LOG_ERR, "--lockstep needs the sim backend: real hardware keeps its own time");
		return -EINVAL;
	}
	return 0;
}

/* The demo routine or the program file to a plan. Every refusal ends with a message on
 * stderr, also one the loader had no diagnostic for. */
static int load_plan(const struct options *o, const struct chair_config *cfg,
		     struct plan **plan)
{
	char *diag_text = NULL;
	size_t diag_len = 0;
	FILE *diag = open_memstream(&diag_text, &diag_len);
	FILE *out = diag ? diag : stderr;
	int rc = o->demo ? program_load_demo(cfg, plan, out)
			 : program_load_file(o->program_path, cfg, plan, out);
	if (diag) {
		fclose(diag);
		fputs(diag_text, stderr);
	}
	if (rc != 0 && (!diag || diag_len == 0))
		log_msg(LOG_ERR, "%s: refused (%s), nothing started",
			o->demo ? "the demo routine" : o->program_path, strerror(-rc));
	free(diag_text);
	return rc;
}

/* Real time is optional only where nothing real moves: a hardware backend without what
 * [rt] asked for (SCHED_FIFO, locked memory, its CPU) is refused unless the configuration
 * says allow_soft_realtime. Lockstep keeps virtual time and the sim backend no deadline. */
static bool soft_realtime_refused(const struct options *o, const struct chair_config *cfg,
				  const struct runner *r)
{
	if (o->lockstep || !rt_is_soft(&r->rt, &cfg->rt))
		return false;
	return cfg->hal.backend != HAL_BACKEND_SIM && !cfg->rt.allow_soft_realtime;
}

/* What the rt setup did not get, from its flags: "SCHED_FIFO priority 80, locked memory". */
static void describe_missing_realtime(const struct rt_loop *rt, const struct rt_config *cfg,
				      char *buf, size_t len)
{
	int n = 0;
	buf[0] = '\0';
	if (!rt->realtime)
		n += snprintf(buf + n, len - (size_t)n, "SCHED_FIFO priority %d", cfg->priority);
	if (cfg->lock_memory && !rt->memory_locked && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%slocked memory", n ? ", " : "");
	if (!rt->affinity_ok && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%spinning to CPU %d", n ? ", " : "", cfg->cpu);
}

static int run_plan(struct runner *r, const struct chair_config *cfg, struct plan *plan)
{
	struct report rep;
	report_init(&rep, &plan->body, r->ctl.period_s, cfg->force.contact_n, isatty(1));
	int rc = runner_run_plan(r, plan, &rep, stdout, (volatile int *)&stop_requested);
	report_summary(&rep, stdout);
	switch (rc) {
	case 0:
		return 0;
	case -EIO:
		log_msg(LOG_ERR, "the run ended in a fault");
		return 1;
	case -ECANCELED:
		log_msg(LOG_NOTICE, "stopped");
		return 1;
	default:
		log_msg(LOG_ERR, "the run did not finish: %s", strerror(-rc));
		return 1;
	}
}

/* What the bus did, per unit: the counters the backend keeps in the image. */
static void print_bus_counters(const struct chair_config *cfg, const struct hal_inputs *in)
{
	if (cfg->hal.backend == HAL_BACKEND_SIM)
		return;
	printf("bus:\n");
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		if (!cfg->hal.bus.unit_present[u])
			continue;
		const struct hal_unit_status *s = &in->unit[u];
		printf("  unit %s: transactions %u timeouts %u crc_errors %u exceptions %u\n",
		       hal_unit_name[u], s->transactions, s->timeouts, s->crc_errors, s->exceptions);
	}
}


/* The daemon: the panel API on its socket and the web until SIGTERM (or duration_s). */
static int serve_panel(struct daemon *d, struct runner *r, const char *backend,
		       double duration_s)
{
	char err[512];
	if (daemon_open(d, r, backend, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		return 2;
	}
	log_msg(LOG_INFO, "serving the panel API on %s", d->cfg->panel.socket_path);
	if (d->web) {
		char url[96];
		web_url(d->web, url, sizeof(url));
		log_msg(LOG_INFO, "panel at %s", url); /* tests and make demo read it */
	}
	int rc = daemon_run(d, &stop_requested, duration_s);
	if (rc)
		log_msg(LOG_ERR, "the main loop ended: %s", strerror(-rc));
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	log_open("chaird"); /* under systemd its lines carry their priority for the journal */
	struct options o;
	if (parse_options(argc, argv, &o) != 0)
		return 2;
	if (o.print_keys) {
		config_describe(stdout);
		return 0;
	}
	static struct chair_config cfg;
	if (load_config(&o, &cfg) != 0)
		return 2;

	/* Everything that can be refused is checked before the chair is touched. */
	struct plan *plan = NULL;
	char err[512];
	if ((o.demo || o.program_path) && load_plan(&o, &cfg, &plan) != 0)
		return 2;

	/* The daemon's store and tables are refused before the chair is touched too. */
	static struct daemon d;
	bool serve = !o.console && !plan;
	if (serve && daemon_prepare(&d, &cfg, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		return 2;
	}

	static struct backend be;
	cfg.hal.bus.output_stale_ms = config_output_stale_ms(&cfg);
	if (backend_create(&cfg.hal, &be, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		plan_free(plan);
		daemon_free(&d);
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	static struct runner r;
	if (runner_open(&r, o.lockstep ? RUNNER_LOCKSTEP : RUNNER_REALTIME, &cfg, &be.ops, err,
			sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		backend_destroy(&be);
		plan_free(plan);
		daemon_free(&d);
		return 2;
	}
	if (r.warning[0])
		log_msg(LOG_WARNING, "warning: %s", r.warning);
	if (soft_realtime_refused(&o, &cfg, &r)) {
		char missing[160];
		describe_missing_realtime(&r.rt, &cfg.rt, missing, sizeof(missing));
		bool privileges = !r.rt.realtime || (cfg.rt.lock_memory && !r.rt.memory_locked);
		log_msg(LOG_ERR, "refusing to drive the %s backend without real time (missing: %s): "
			"%s%s%s, or set [rt] allow_soft_realtime = true to run without it",
			be.ops.name, missing, privileges ? "give chaird CAP_SYS_NICE and CAP_IPC_LOCK" : "",
			privileges && !r.rt.affinity_ok ? " and " : "",
			r.rt.affinity_ok ? "" : "set [rt] cpu to one this process may run on");
		runner_close(&r); /* stops the tick, writes the safe state, closes the backend */
		backend_destroy(&be);
		plan_free(plan);
		daemon_free(&d);
		return 2;
	}
	log_msg(LOG_INFO, "running on the %s backend, %s", be.ops.name,
		o.lockstep ? "lockstep (virtual time)"
			   : r.rt.realtime ? "SCHED_FIFO" : "normal priority");

	int status;
	if (o.console)
		status = console_run(&r, &cfg, plan, 0, stdout, &stop_requested);
	else if (plan)
		status = run_plan(&r, &cfg, plan);
	else
		status = serve_panel(&d, &r, be.ops.name, o.duration_s);
	if (serve)
		daemon_stop(&d); /* a session still running: stopped and stored first */
	runner_close(&r);
	print_bus_counters(&cfg, runner_last_inputs(&r));
	backend_destroy(&be);
	plan_free(plan);
	daemon_free(&d);
	return status;
}
