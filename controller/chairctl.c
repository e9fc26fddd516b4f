/* chairctl: the command-line client. As a client of chaird's panel API (PANEL.md) it runs
 * a visit: profiles, the consultation, the body scan, the plan, the session and its live
 * feedback, the history and the report (chairctl_visit.c, chairctl_session.c). Offline,
 * `program check|plot` work on program files and `program run` runs one on the simulated
 * chair in lockstep, for the person seated in it, and says what happened. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../drivers/backend.h"
#include "../drivers/hal_sim.h"
#include "chairctl_api.h"
#include "config.h"
#include "interp/program_cli.h"
#include "program_load.h"
#include "report.h"
#include "runner.h"
#include "session/scan.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: chairctl [--socket PATH | --config FILE] [--json] COMMAND ...\n"
		   "\n"
		   "Commands to chaird (the panel socket: --socket, else the config's [panel] socket,\n"
		   "else /run/chaird/panel.sock):\n");
	chairctl_usage_api(f);
	fprintf(f, "\n"
		   "Offline tools:\n"
		   "  chairctl program check FILE... [--json]\n"
		   "  chairctl program plot FILE -o OUT.svg [--height CM]\n"
		   "  chairctl program run FILE [--seed N] [--config FILE] [--cap N]\n"
		   "\n"
		   "Exit codes: 0 done, 1 refused by chaird (or see a professional first),\n"
		   "2 a mistake on the command line, 3 chaird cannot be reached.\n");
}

/* Home the chair in lockstep and wait for it: 0, or -EIO when it faulted or timed out. */
static int home_for_scan(struct runner *r)
{
	struct ctl_cmd home = {.kind = CMD_HOME};
	uint32_t seq = runner_send(r, &home);
	double until_s = runner_time_s(r) + 60.0;
	while (seq && runner_time_s(r) < until_s) {
		runner_advance(r, NULL, NULL);
		const struct telem *t = &r->last;
		if (t->state == ST_FAULT || t->state == ST_ESTOP)
			break;
		if (t->cmd_seq >= seq && t->state == ST_IDLE && t->homed)
			return 0;
	}
	return -EIO;
}

/* The body map of the person seated in the simulated chair, found as the chair finds
 * anyone's: homed, then a body scan through the runner (the simulator's person is known
 * only through the chair's sensors). Printed, so a run says whom it is for. */
static int scanned_body(const struct chair_config *cfg, struct runner *r, struct body_map *body)
{
	static struct scan sc;
	struct scan_result res = {.status = SCAN_FAULT};
	struct interp_limits lim;
	program_limits(cfg, &lim);
	if (home_for_scan(r) != 0 || scan_run(&sc, r, NULL, NULL, &res) != 0 ||
	    res.status == SCAN_FAULT) {
		fprintf(stderr, "chairctl: the chair could not scan: %s\n",
			res.reason[0] ? res.reason : "homing failed");
		return -EIO;
	}
	if (res.status != SCAN_OK || scan_body(&res, 0.0, &lim, body) != 0) {
		fprintf(stderr, "chairctl: scan: %s\n",
			res.reason[0] ? res.reason : "the shoulder line leaves no back");
		return -EINVAL;
	}
	printf("scan: shoulder line at %.0f mm (height \u2248 %.0f cm)\n", body->shoulder_y_mm,
	       body->height_mm / 10.0);
	fflush(stdout); /* before any refusal on stderr, so the two read in order */
	return 0;
}

/* `program run`: seat the simulated person of --seed, resolve the program for them (a
 * place off the track for them refuses it before anything moves), home the chair, run
 * the program in virtual time with a progress bar, print the summary. Exit 0 when it ran
 * to its end without a fault, 1 when refused or it did not, 2 for usage mistakes. */
static int program_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"seed", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"cap", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	static struct chair_config cfg;
	config_defaults(&cfg);
	const char *config_path = NULL;
	long long seed = 1;
	double cap_n = 0;
	char *end;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:c:C:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			seed = strtoll(optarg, &end, 10);
			if (*end || seed < 0) {
				fprintf(stderr, "chairctl: --seed %s: expected a whole number >= 0\n", optarg);
				return 2;
			}
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'C':
			cap_n = strtod(optarg, &end);
			if (*end || !(cap_n > 0)) {
				fprintf(stderr, "chairctl: --cap %s: expected newtons > 0\n", optarg);
				return 2;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	char err[512];
	if (config_path && config_load(config_path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "chairctl: %s\n", err);
		return 2;
	}
	cfg.hal.backend = HAL_BACKEND_SIM;
	cfg.hal.sim_seed = (uint64_t)seed;
	if (cap_n > cfg.force.max_n) {
		fprintf(stderr, "chairctl: --cap %g N is above the chair's limit of %g N\n", cap_n,
			cfg.force.max_n);
		return 2;
	}
	if (cap_n > 0)
		cfg.session.default_cap_n = cap_n;
	static struct backend be;
	static struct runner r;
	if (backend_create(&cfg.hal, &be, err, sizeof(err)) != 0 ||
	    runner_open(&r, RUNNER_LOCKSTEP, &cfg, &be.ops, err, sizeof(err)) != 0) {
		fprintf(stderr, "chairctl: %s\n", err);
		backend_destroy(&be);
		return 1;
	}
	/* Homed and scanned first: the program is resolved for the body the scan found. */
	struct body_map body;
	struct plan *plan = NULL;
	if (scanned_body(&cfg, &r, &body) != 0 ||
	    program_load_file_for(argv[optind], &cfg, &body, cfg.session.default_cap_n, &plan,
				  stderr) != 0) {
		runner_close(&r);
		backend_destroy(&be);
		return 1;
	}
	struct report rep;
	report_init(&rep, &plan->body, r.ctl.period_s, cfg.force.contact_n, isatty(1));
	int rc = runner_run_plan(&r, plan, &rep, stdout, NULL);
	report_summary(&rep, stdout);
	runner_close(&r);
	backend_destroy(&be);
	plan_free(plan);
	if (rc != 0)
		fprintf(stderr, "chairctl: %s: the run %s\n", argv[optind],
			rc == -EIO ? "ended in a fault" : "did not finish");
	return rc == 0 ? 0 : 1;
}

/* Takes the options every API command shares (--socket, --config, --json) out of argv,
 * wherever they are: CHAIRCTL_OK with *argc shortened, or CHAIRCTL_USAGE after a message. */
static int take_global_options(int *argc, char **argv, struct chairctl *c, const char **config)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char **dest = !strcmp(a, "--socket") ? &c->socket_path
				    : !strcmp(a, "--config") ? config
							     : NULL;
		if (dest) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "chairctl: %s: expected a path\n", a);
				return CHAIRCTL_USAGE;
			}
			*dest = argv[++i];
		} else if (!strncmp(a, "--socket=", 9)) {
			c->socket_path = a + 9;
		} else if (!strncmp(a, "--config=", 9)) {
			*config = a + 9;
		} else if (!strcmp(a, "--json")) {
			c->json = true;
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return CHAIRCTL_OK;
}

/* An API command: the socket from --socket or the configuration, then the command. */
static int api_main(int argc, char **argv)
{
	static const struct {
		const char *word;
		int (*fn)(struct chairctl *c, int argc, char **argv);
	} commands[] = {
		{"user", chairctl_cmd_user},	      {"consult", chairctl_cmd_consult},
		{"scan", chairctl_cmd_scan},	      {"plan", chairctl_cmd_plan},
		{"session", chairctl_cmd_session}, {"history", chairctl_cmd_history},
		{"report", chairctl_cmd_report},   {"info", chairctl_cmd_info},
		{"faults", chairctl_cmd_faults},   {"tech", chairctl_cmd_tech},
		{"program", chairctl_cmd_program},
	};
	static struct chair_config cfg;
	struct chairctl c = {0};
	const char *config_path = NULL;
	if (take_global_options(&argc, argv, &c, &config_path) != CHAIRCTL_OK)
		return CHAIRCTL_USAGE;
	if (argc < 2) {
		usage(stderr);
		return CHAIRCTL_USAGE;
	}
	if (!c.socket_path) {
		char err[512];
		config_defaults(&cfg);
		if (config_path && config_load(config_path, &cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "chairctl: %s\n", err);
			return CHAIRCTL_USAGE;
		}
		c.socket_path = cfg.panel.socket_path;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].word))
			continue;
		int rc = commands[i].fn(&c, argc - 1, argv + 1);
		chairctl_close(&c);
		return rc;
	}
	fprintf(stderr, "chairctl: unknown command '%s' (chairctl --help lists them)\n", argv[1]);
	return CHAIRCTL_USAGE;
}

/* chairctl [options] program install|remove|list: the chair's programs, over the socket
 * (the other program commands work on files, offline). */
static bool program_over_api(int argc, char **argv)
{
	return argc >= 3 && (!strcmp(argv[2], "install") || !strcmp(argv[2], "remove") ||
			     !strcmp(argv[2], "list"));
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "program") != 0 || program_over_api(argc, argv))
		return api_main(argc, argv);
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[2], "run"))
		return program_run(argc - 2, argv + 2);
	return program_cli_main(argc - 1, argv + 1);
}
