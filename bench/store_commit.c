/* What keeping a finished session costs on this disk: begin (with the plan and the pain
 * before), 50 events in one batch, the end with its summary, the pain after: four
 * transactions, each synced (WAL, synchronous=FULL), on a file database in a temp dir.
 * 500 sessions; prints store_session_commit_ms p50 and p99 against the 20 ms goal, a batch
 * of 10 events (what a running session hands the store every few seconds), and a reference
 * measured in turn with the sessions in the same directory: a 4 KiB write and fsync of a
 * plain file, the least one durable commit can cost here, with the ratio of the two p99s
 * (a session is four syncs, so about 4 plus SQLite's own work). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../controller/store/store.h"

#define SESSIONS 500
#define EVENTS 50
#define BATCH 10
#define GOAL_MS 20.0

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The p-th percentile (0..100) of n samples, sorting them. */
static double percentile(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	int i = (int)ceil(p / 100.0 * n) - 1;
	return v[i < 0 ? 0 : i];
}

static void die(const char *what, const struct store *st)
{
	fprintf(stderr, "store_commit: %s: %s\n", what, st ? store_error(st) : "");
	exit(1);
}

/* One session from begin to pain after; its duration in ms. */
static double commit_session(struct store *st, int64_t uid, double t0_s, const char *plan)
{
	struct store_session_start b = {.user_id = uid, .program_name = "bench",
					.plan_text = plan, .start_s = t0_s};
	int after[AREA_COUNT];
	for (int a = 0; a < AREA_COUNT; a++)
		b.pain_before[a] = after[a] = -1;
	b.pain_before[AREA_LOWER_BACK] = 7;
	b.pain_before[AREA_NECK] = 4;
	after[AREA_LOWER_BACK] = 4;
	after[AREA_NECK] = 2;
	struct store_event ev[EVENTS];
	for (int i = 0; i < EVENTS; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].t_s = t0_s + 10.0 * i;
		ev[i].kind = i % 10 == 0 ? STORE_EVENT_PHASE : STORE_EVENT_FEEDBACK;
		snprintf(ev[i].action, sizeof(ev[i].action), "%s", i % 2 ? "softer" : "stay");
		ev[i].zone = i % AREA_COUNT;
		snprintf(ev[i].detail, sizeof(ev[i].detail), "level %d to %d", i % 7, i % 7 + 1);
	}
	double t = now_ms();
	int64_t sid;
	if (store_session_begin(st, &b, &sid))
		die("begin", st);
	if (store_session_events_append(st, sid, ev, EVENTS))
		die("events", st);
	if (store_session_end(st, sid, STORE_ENDED_COMPLETED, t0_s + 900.0,
			      "{\"minutes\":15,\"peak_n\":38.5,\"adjustments\":3}"))
		die("end", st);
	if (store_session_pain_after(st, sid, after))
		die("pain after", st);
	return now_ms() - t;
}

/* One 4 KiB overwrite and fsync of the plain file fd; its duration in ms. */
static double fsync_reference(int fd, int i)
{
	char buf[4096];
	memset(buf, 0x5a, sizeof(buf));
	buf[0] = (char)i;
	double t = now_ms();
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) || fsync(fd) != 0) {
		perror("store_commit: reference write");
		exit(1);
	}
	return now_ms() - t;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], path[300], err[512];
	snprintf(dir, sizeof(dir), "%s/store_commit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("store_commit: temp dir");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/chair.db", dir);
	struct store *st;
	if (store_open(&st, path, err, sizeof(err))) {
		fprintf(stderr, "store_commit: %s\n", err);
		return 1;
	}
	struct store_user u = {.height_cm = 175, .created_s = 1.0};
	snprintf(u.name, sizeof(u.name), "bench");
	if (store_user_create(st, &u))
		die("user", st);

	/* A plan of a realistic size (a 20-minute generated program is about 2 KB). */
	char plan[2048];
	size_t off = 0;
	while (off + 40 < sizeof(plan))
		off += (size_t)snprintf(plan + off, sizeof(plan) - off,
					"knead lower-back level 4 for 1 min\n");

	/* The reference in turn with the sessions, so both see the same disk and the same load. */
	char ref[300];
	snprintf(ref, sizeof(ref), "%s/fsync.ref", dir);
	int fd = open(ref, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("store_commit: reference file");
		return 1;
	}
	static double commit_ms[SESSIONS], batch_ms[SESSIONS], ref_ms[SESSIONS];
	for (int i = 0; i < SESSIONS; i++) {
		commit_ms[i] = commit_session(st, u.id, 1000.0 * i, plan);
		ref_ms[i] = fsync_reference(fd, i);
	}
	close(fd);
	unlink(ref);

	/* Batches of events while a session runs. */
	struct store_session_start b = {.user_id = u.id, .program_name = "bench",
					.plan_text = plan, .start_s = 1e6};
	for (int a = 0; a < AREA_COUNT; a++)
		b.pain_before[a] = -1;
	int64_t sid;
	if (store_session_begin(st, &b, &sid))
		die("begin", st);
	for (int i = 0; i < SESSIONS; i++) {
		struct store_event ev[BATCH];
		memset(ev, 0, sizeof(ev));
		for (int k = 0; k < BATCH; k++) {
			ev[k].t_s = 1e6 + i * BATCH + k;
			ev[k].kind = STORE_EVENT_FEEDBACK;
			snprintf(ev[k].action, sizeof(ev[k].action), "stronger");
			ev[k].zone = AREA_SHOULDERS;
		}
		double t = now_ms();
		if (store_session_events_append(st, sid, ev, BATCH))
			die("batch", st);
		batch_ms[i] = now_ms() - t;
	}
	if (store_session_end(st, sid, STORE_ENDED_STOPPED, 2e6, NULL))
		die("end", st);
	store_close(st);

	double p50 = percentile(commit_ms, SESSIONS, 50), p99 = percentile(commit_ms, SESSIONS, 99);
	double b99 = percentile(batch_ms, SESSIONS, 99);
	double r50 = percentile(ref_ms, SESSIONS, 50), r99 = percentile(ref_ms, SESSIONS, 99);
	printf("store_sessions: %d\n", SESSIONS);
	printf("store_session_commit_ms_p50: %.3f\n", p50);
	printf("store_session_commit_ms_p99: %.3f\n", p99);
	printf("store_session_commit_goal_ms: %.1f\n", GOAL_MS);
	printf("store_events_batch10_ms_p99: %.3f\n", b99);
	printf("fsync_ms_p50: %.3f\n", r50);
	printf("fsync_ms_p99: %.3f\n", r99);
	printf("store_commit_over_fsync_p99: %.2f\n", r99 > 0 ? p99 / r99 : 0.0);

	char side[320];
	const char *ext[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(side, sizeof(side), "%s%s", path, ext[i]);
		unlink(side);
	}
	rmdir(dir);
	return 0;
}
