/* The soak and fault campaign (docs/soak.md): N simulated visits in lockstep, shared among
 * worker processes (one per core by default), each sending its results through a pipe;
 * then every worker's store checked from its file, the heap of every worker judged flat,
 * and the table of what was injected and what happened. The last line is
 * `N passed, N failed`; a failed visit is printed with its seed and the command that runs
 * it alone. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "soak.h"

#define SOAK_WORKERS_MAX 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: soak [-n VISITS] [-j WORKERS] [-s SEED] [-l RUN_S] [-f FAULTS] [-c SCAN_EVERY]\n"
		"            [-d DIR] [-C CONFIG] [-K KIND,...] [-k] [-v] [--only INDEX]\n"
		"  -n  visits in all (10000)          -j  worker processes (2)\n"
		"  -s  the campaign's seed (1)        -l  a run's length before the stop, s (120)\n"
		"  -f  faults a visit, at most (3)    -c  a real body scan one visit in this many (10, 0 never)\n"
		"  -d  where the stores go (a new folder in /dev/shm, else under TMPDIR)\n"
		"  -C  the chair's INI file over the defaults (as chaird --config)\n"
		"  -K  draw only these fault kinds (names as in the table)\n"
		"  -k  keep the stores              -v  a line for every visit\n"
		"  --only INDEX  run that visit alone, in this process, and tell everything\n");
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "estop,unit_silent": the mask of those kinds. */
static int parse_kinds(const char *list, uint32_t *kinds)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", list);
	*kinds = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k = soak_kind_lookup(tok);
		if (k < 0) {
			fprintf(stderr, "soak: no fault kind %s\n", tok);
			return -1;
		}
		*kinds |= 1u << k;
	}
	return *kinds ? 0 : -1;
}

static int parse_options(int argc, char **argv, struct soak_options *o, bool *keep)
{
	*o = (struct soak_options){.seed = 1, .sessions = 10000, .workers = 2, .session_s = 120,
				   .faults_max = 3, .only = -1, .scan_every = 10};
	static const struct option longs[] = {{"only", required_argument, NULL, 'o'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	int ch;
	uint32_t v;
	while ((ch = getopt_long(argc, argv, "n:j:s:l:f:c:d:C:K:kvh", longs, NULL)) != -1) {
		switch (ch) {
		case 'n': if (parse_u32(optarg, 1, 10000000, &o->sessions)) goto bad; break;
		case 'j': if (parse_u32(optarg, 1, SOAK_WORKERS_MAX, &o->workers)) goto bad; break;
		case 's': if (parse_u32(optarg, 0, UINT32_MAX, &v)) goto bad; o->seed = v; break;
		case 'l': if (parse_u32(optarg, 2, 1800, &o->session_s)) goto bad; break;
		case 'f': if (parse_u32(optarg, 0, SOAK_FAULTS_MAX, &o->faults_max)) goto bad; break;
		case 'c': if (parse_u32(optarg, 0, 1000000, &o->scan_every)) goto bad; break;
		case 'o': if (parse_u32(optarg, 0, 10000000, &v)) goto bad; o->only = v; break;
		case 'd': o->dir = optarg; break;
		case 'C': o->config = optarg; break;
		case 'K': if (parse_kinds(optarg, &o->kinds)) goto bad; break;
		case 'k': *keep = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	usage(stderr);
	return -1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void db_path(const char *dir, uint32_t worker, char *buf, size_t len)
{
	snprintf(buf, len, "%s/soak-%u.db", dir, worker);
}

static void print_visit(FILE *f, const struct soak_result *r)
{
	fprintf(f, "visit %u (seed 0x%016" PRIx64 "): %s, cap %.1f N, peak %.1f N, %.1f s, heap %lld B, %s%s%s%s%s\n",
		r->index, r->seed, r->passed ? "ok" : "FAILED", r->cap_n, r->peak_n,
		r->run_ms / 1000.0, (long long)r->heap_bytes,
		r->ended >= 0 ? store_ended_name((enum store_ended)r->ended) : "-",
		r->latched ? " by " : "", r->latched ? fault_table[r->latched].name : "",
		r->ack_refused ? "; known: the acknowledge refused" : "",
		r->encoder_hang ? "; known: the finish waited for ever" : "");
	for (int i = 0; i < r->fault_count; i++) {
		const struct soak_fault *ft = &r->fault[i];
		char d[128];
		soak_fault_describe(ft, d, sizeof(d));
		fprintf(f, "  %s: %s%s, detected %d ms, released %d ms, safe %d ms (bound %d ms), %.1f N then\n",
			d, soak_outcome_name(ft->outcome), ft->must_detect ? " (must latch)" : "",
			ft->detect_ms, ft->release_ms, ft->safe_ms, ft->bound_ms, ft->force_n);
	}
	if (!r->passed)
		fprintf(f, "  why: %s\n", r->why);
}

/* A worker: its share of the visits, each result written whole to fd. */
static int worker_main(const struct soak_options *o, uint32_t id, int fd)
{
	char path[512], err[256];
	db_path(o->dir, id, path, sizeof(path));
	struct soak_worker *w = soak_worker_open(path, o, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "soak worker %u: %s\n", id, err);
		return 1;
	}
	for (uint32_t i = id; i < o->sessions; i += o->workers) {
		struct soak_result r;
		soak_visit_run(w, i, &r);
		r.worker = id;
		if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r)) { /* <= PIPE_BUF: whole */
			perror("soak worker: write");
			return 1;
		}
	}
	soak_worker_close(w);
	return 0;
}

/* What the parent gathers. */
struct tally {
	struct soak_result *res[SOAK_WORKERS_MAX]; /* per worker, in the order run */
	int count[SOAK_WORKERS_MAX];
};

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return got ? -1 : 0;
		got += (size_t)n;
	}
	return 1;
}

/* Fork the workers and collect every result until each pipe closes. */
static int run_workers(const struct soak_options *o, struct tally *t)
{
	pid_t pid[SOAK_WORKERS_MAX];
	struct pollfd pfd[SOAK_WORKERS_MAX];
	uint32_t per = o->sessions / o->workers + 1;
	fflush(NULL);
	for (uint32_t w = 0; w < o->workers; w++) {
		t->res[w] = calloc(per, sizeof(struct soak_result));
		int p[2];
		if (!t->res[w] || pipe(p) != 0)
			return -1;
		pid[w] = fork();
		if (pid[w] < 0)
			return -1;
		if (pid[w] == 0) {
			close(p[0]);
			_exit(worker_main(o, w, p[1]));
		}
		close(p[1]);
		pfd[w] = (struct pollfd){.fd = p[0], .events = POLLIN};
	}
	uint32_t open_pipes = o->workers, done = 0;
	while (open_pipes) {
		if (poll(pfd, o->workers, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (uint32_t w = 0; w < o->workers; w++) {
			if (pfd[w].fd < 0 || !(pfd[w].revents & (POLLIN | POLLHUP)))
				continue;
			struct soak_result r;
			int rc = t->count[w] < (int)per ? read_full(pfd[w].fd, &r, sizeof(r)) : 0;
			if (rc <= 0) {
				close(pfd[w].fd);
				pfd[w].fd = -1;
				open_pipes--;
				continue;
			}
			t->res[w][t->count[w]++] = r;
			if (o->verbose || !r.passed)
				print_visit(stdout, &r);
			if (++done % 1000 == 0)
				fprintf(stderr, "soak: %u of %u visits\n", done, o->sessions);
		}
	}
	int bad = 0;
	for (uint32_t w = 0; w < o->workers; w++) {
		int status;
		if (waitpid(pid[w], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "soak: worker %u did not end well\n", w);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

/* ---- the table ---- */

struct kind_row {
	int drawn, injected, must, detected, unseen, overlapped, failed;
	int past_150; /* released more than 150 ms after the fault (deep presses, docs/soak.md) */
	int32_t worst_detect_ms, worst_release_ms, worst_safe_ms, worst_latch_release_ms;
	int32_t bound_lo_ms, bound_hi_ms, outputs_bound_hi_ms;
	uint32_t worst_index;
};

static void add_fault(struct kind_row *k, const struct soak_fault *f, uint32_t index)
{
	k->drawn++;
	if (f->outcome == SO_NOT_INJECTED)
		return;
	k->injected++;
	k->must += f->must_detect;
	k->detected += f->outcome == SO_DETECTED;
	k->unseen += f->outcome == SO_UNSEEN;
	k->overlapped += f->outcome == SO_OVERLAPPED;
	k->failed += f->outcome == SO_MISSED || f->outcome == SO_WRONG_CODE || f->outcome == SO_LATE;
	if (f->detect_ms < 0 || (f->outcome != SO_DETECTED && f->outcome != SO_LATE))
		return;
	if (f->detect_ms > k->worst_detect_ms)
		k->worst_detect_ms = f->detect_ms;
	if (f->release_ms > k->worst_release_ms) {
		k->worst_release_ms = f->release_ms;
		k->worst_index = index;
	}
	if (f->safe_ms > k->worst_safe_ms)
		k->worst_safe_ms = f->safe_ms;
	k->past_150 += f->must_detect && f->release_ms > 150;
	if (f->latch_release_ms > k->worst_latch_release_ms)
		k->worst_latch_release_ms = f->latch_release_ms;
	if (!k->bound_lo_ms || f->bound_ms < k->bound_lo_ms)
		k->bound_lo_ms = f->bound_ms;
	if (f->bound_ms > k->bound_hi_ms)
		k->bound_hi_ms = f->bound_ms;
	if (f->outputs_bound_ms > k->outputs_bound_hi_ms)
		k->outputs_bound_hi_ms = f->outputs_bound_ms;
}

static void print_table(const struct soak_options *o, struct tally *t, int total, int failed,
			double wall_s)
{
	struct kind_row k[SK_COUNT];
	memset(k, 0, sizeof(k));
	int ended[STORE_ENDED_COUNT] = {0};
	int ack_refused = 0, encoder_hang = 0;
	double peak_n = 0, closest_n = -1e9;
	uint64_t sim_ms = 0, overruns = 0, ticks = 0, over_period = 0;
	int64_t worst_tick_ns = 0;
	for (uint32_t w = 0; w < o->workers; w++)
		for (int i = 0; i < t->count[w]; i++) {
			const struct soak_result *r = &t->res[w][i];
			for (int j = 0; j < r->fault_count; j++)
				add_fault(&k[r->fault[j].kind], &r->fault[j], r->index);
			if (r->ended >= 0)
				ended[r->ended]++;
			if (r->peak_n > peak_n)
				peak_n = r->peak_n;
			if (r->sid && r->most_over_cap_n > closest_n)
				closest_n = r->most_over_cap_n;
			sim_ms += r->run_ms;
			ack_refused += r->ack_refused;
			encoder_hang += r->encoder_hang;
			ticks += r->ticks;
			over_period += r->ticks_over_period;
			if (r->worst_tick_ns > worst_tick_ns)
				worst_tick_ns = r->worst_tick_ns;
			overruns += r->overruns;
		}
	printf("\n%-16s %6s %6s %6s %6s %6s %6s %6s %7s %8s %6s %10s %10s\n", "fault", "drawn",
	       "struck", "must", "latch", "unseen", "overlp", "FAILED", "detect", "release",
	       "safe", "latch>rel", "bound ms");
	for (int i = 0; i < SK_COUNT; i++) {
		const struct kind_row *r = &k[i];
		char bound[32];
		if (!r->detected)
			snprintf(bound, sizeof(bound), "-");
		else if (r->bound_lo_ms == r->bound_hi_ms && r->outputs_bound_hi_ms == r->bound_hi_ms)
			snprintf(bound, sizeof(bound), "%d", r->bound_hi_ms);
		else if (r->bound_lo_ms == r->bound_hi_ms)
			snprintf(bound, sizeof(bound), "%d/%d", r->bound_hi_ms, r->outputs_bound_hi_ms);
		else
			snprintf(bound, sizeof(bound), "%d-%d", r->bound_lo_ms, r->bound_hi_ms);
		printf("%-16s %6d %6d %6d %6d %6d %6d %6d %7d %8d %6d %10d %10s\n", soak_kind_name(i),
		       r->drawn, r->injected, r->must, r->detected, r->unseen, r->overlapped,
		       r->failed, r->worst_detect_ms, r->worst_release_ms, r->worst_safe_ms,
		       r->worst_latch_release_ms, bound);
	}
	printf("(worst times in ms from the fault: to the latch, to latched with the true force "
	       "under 5 N, to every output safe on the truth; and from the latch to the release. "
	       "The bound counts from the fault for a fault that must latch when it strikes, "
	       "from the latch for one whose detection waits on the chair's next move)\n\n");
	for (int i = 0; i < SK_COUNT; i++)
		if (k[i].past_150)
			printf("%s: %d of %d released more than 150 ms after the fault (a press deeper "
			       "than the release rule's 10 mm), %d ms at worst\n",
			       soak_kind_name(i), k[i].past_150, k[i].detected, k[i].worst_release_ms);
	printf("visits %d: stopped %d, completed %d, fault %d, interrupted %d; %.1f h simulated\n",
	       total, ended[STORE_ENDED_STOPPED], ended[STORE_ENDED_COMPLETED],
	       ended[STORE_ENDED_FAULT], ended[STORE_ENDED_INTERRUPTED], sim_ms / 3.6e6);
	printf("true force: peak %.1f N, closest to a cap %+.3f N (negative: under)\n", peak_n,
	       closest_n);
	printf("tick overruns in lockstep: %llu\n", (unsigned long long)overruns);
	printf("lockstep periods whose wall time passed 1 ms: %llu of %llu (worst %.0f us; a "
	       "figure: preemption on a shared host counts)\n",
	       (unsigned long long)over_period, (unsigned long long)ticks, worst_tick_ns / 1e3);
	printf("known (docs/soak.md), after an encoder loss: acknowledges refused for a count "
	       "off until homed %d; finishes waiting for ever on a roller truly home %d\n",
	       ack_refused, encoder_hang);
	printf("soak_wall_s: %.1f\n", wall_s);
	printf("soak_sim_speed_x: %.0f\n", sim_ms / 1000.0 / wall_s);
	printf("soak_sessions_per_min: %.0f\n", total / wall_s * 60.0);
	(void)failed;
}

/* Remove a worker's store files and the folder, unless kept. */
static void remove_stores(const struct soak_options *o)
{
	static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
	for (uint32_t w = 0; w < o->workers; w++)
		for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
			char path[512], full[540];
			db_path(o->dir, w, path, sizeof(path));
			snprintf(full, sizeof(full), "%s%s", path, tails[i]);
			unlink(full);
		}
	rmdir(o->dir);
}

static int run_only(const struct soak_options *o)
{
	char path[512], err[256];
	db_path(o->dir, 0, path, sizeof(path));
	struct soak_worker *w = soak_worker_open(path, o, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "soak: %s\n", err);
		return 1;
	}
	struct soak_result r;
	soak_visit_run(w, (uint32_t)o->only, &r);
	soak_worker_close(w);
	char ferr[256] = "";
	if (soak_check_store(path, &r, 1, ferr, sizeof(ferr)) && ferr[0])
		printf("store: %s\n", ferr);
	print_visit(stdout, &r);
	printf("%d passed, %d failed\n", r.passed, !r.passed);
	return r.passed ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct soak_options o;
	bool keep = false;
	if (parse_options(argc, argv, &o, &keep) != 0)
		return 2;
	if (o.workers > o.sessions)
		o.workers = o.sessions;
	char made[256];
	if (!o.dir) {
		/* In memory where there is a tmpfs for it: the visits' commits then cost no disk
		 * flush, which would measure the disk and not the chair. */
		struct stat sb;
		const char *tmp = getenv("TMPDIR");
		if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0)
			tmp = "/dev/shm";
		snprintf(made, sizeof(made), "%s/soak.XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
		if (!mkdtemp(made)) {
			perror("soak: mkdtemp");
			return 1;
		}
		o.dir = made;
	} else if (mkdir(o.dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "soak: %s: %s\n", o.dir, strerror(errno));
		return 1;
	}
	if (o.only >= 0) {
		o.workers = 1;
		int rc = run_only(&o);
		if (!keep)
			remove_stores(&o);
		return rc;
	}
	printf("soak: %u visits, %u workers, seed %" PRIu64 ", runs of %u s, up to %u faults a visit\n",
	       o.sessions, o.workers, o.seed, o.session_s, o.faults_max);
	double t0 = now_s();
	struct tally t;
	memset(&t, 0, sizeof(t));
	int rc = run_workers(&o, &t);
	double wall_s = now_s() - t0;
	int total = 0, failed = 0, extra = 0;
	for (uint32_t w = 0; w < o.workers; w++) {
		char path[512], err[256] = "", text[256];
		db_path(o.dir, w, path, sizeof(path));
		int before = 0;
		for (int i = 0; i < t.count[w]; i++)
			before += !t.res[w][i].passed;
		soak_check_store(path, t.res[w], t.count[w], err, sizeof(err));
		if (err[0]) {
			printf("FAILED store of worker %u: %s\n", w, err);
			extra++;
		}
		for (int i = 0; i < t.count[w]; i++) {
			const struct soak_result *r = &t.res[w][i];
			total++;
			failed += !r->passed;
		}
		int after = 0;
		for (int i = 0; i < t.count[w]; i++)
			after += !t.res[w][i].passed;
		if (after > before)
			for (int i = 0; i < t.count[w]; i++)
				if (!t.res[w][i].passed && strstr(t.res[w][i].why, "session "))
					print_visit(stdout, &t.res[w][i]);
		int64_t leak = soak_check_leak(t.res[w], t.count[w], text, sizeof(text));
		printf("worker %u: %d visits, %s%s\n", w, t.count[w], text, leak ? ": LEAK" : "");
		extra += leak != 0;
	}
	if (rc != 0) {
		printf("FAILED: a worker did not finish its visits\n");
		extra++;
	}
	print_table(&o, &t, total, failed, wall_s);
	for (uint32_t w = 0; w < o.workers; w++)
		for (int i = 0; i < t.count[w]; i++)
			if (!t.res[w][i].passed)
				printf("FAILED visit %u (seed 0x%016" PRIx64 "): again alone with: soak -s %" PRIu64
				       " -l %u -f %u -c %u --only %u\n",
				       t.res[w][i].index, t.res[w][i].seed, o.seed, o.session_s,
				       o.faults_max, o.scan_every, t.res[w][i].index);
	if (total != (int)o.sessions)
		extra++;
	if (!keep && failed == 0 && extra == 0)
		remove_stores(&o);
	else
		printf("stores kept in %s\n", o.dir);
	/* The campaign's own checks (stores, leaks, workers) count as failures beside the visits. */
	printf("%d passed, %d failed\n", total - failed, failed + extra);
	for (uint32_t w = 0; w < o.workers; w++)
		free(t.res[w]);
	return failed + extra ? 1 : 0;
}
