/* After the campaign: every visit in its worker's store as it went (the store opened again
 * from its file, as after a restart), and the heap of every worker flat from its warm-up
 * to its end.
 *
 * The heap is glibc's count of bytes in use (mallinfo2: uordblks, plus hblkhd for the
 * large blocks it maps), less what SQLite says it holds (sqlite3_memory_used: its page
 * cache, which grows with the database up to its cache_size, and its statements). What is
 * left is everything else the visits allocate, freed at each visit's end: it must come
 * back to the same figure. RSS is reported beside it, not judged (the allocator keeps
 * freed pages). */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "soak.h"

/* Allowed growth of the heap from the warm-up to the end, for a worker: the allocator's
 * own bookkeeping and SQLite's lookaside can move by a few KiB; a leak of a few bytes a
 * visit over thousands of visits cannot hide under it. */
#define SOAK_LEAK_ALLOWANCE_BYTES (32 * 1024)
#define SOAK_WARMUP_VISITS 50

int64_t soak_heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();
	return (int64_t)(mi.uordblks + mi.hblkhd) - (int64_t)sqlite3_memory_used();
}

int64_t soak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages_total = 0, pages_rss = 0;
	if (!f)
		return -1;
	int n = fscanf(f, "%ld %ld", &pages_total, &pages_rss);
	fclose(f);
	return n == 2 ? pages_rss * 4 : -1;
}

struct event_scan {
	const char *want; /* the fault's name */
	int found;
};

static int on_event(void *ctx, const struct store_event *ev)
{
	struct event_scan *sc = ctx;
	if (ev->kind == STORE_EVENT_FAULT && strcmp(ev->action, sc->want) == 0)
		sc->found++;
	return 0;
}

/* One visit against the store; "" or what is wrong. */
static void check_one(struct store *st, const struct soak_result *r, char *why, size_t len)
{
	why[0] = '\0';
	if (!r->sid) /* never started: nothing to find (its failure is already told) */
		return;
	struct store_session ss;
	int rc = store_session_get(st, r->sid, &ss);
	if (rc != 0) {
		snprintf(why, len, "session %lld lost from the store: %s", (long long)r->sid,
			 store_error(st));
		return;
	}
	if (r->ended >= 0 && ss.ended != (enum store_ended)r->ended) {
		snprintf(why, len, "session %lld stored as %s, not %s", (long long)r->sid,
			 store_ended_name(ss.ended), store_ended_name((enum store_ended)r->ended));
		return;
	}
	if (r->encoder_hang) /* interrupted by the campaign: no pain after, no summary */
		return;
	if (ss.end_s <= ss.start_s) {
		snprintf(why, len, "session %lld has no end time", (long long)r->sid);
		return;
	}
	if (ss.pain_after[AREA_LOWER_BACK] != r->pain_after) {
		snprintf(why, len, "session %lld: pain after %d stored, %d given", (long long)r->sid,
			 ss.pain_after[AREA_LOWER_BACK], r->pain_after);
		return;
	}
	if (!ss.summary_json || !ss.summary_json[0]) {
		snprintf(why, len, "session %lld has no summary", (long long)r->sid);
		return;
	}
	if (r->latched) {
		struct event_scan sc = {fault_table[r->latched].name, 0};
		rc = store_session_events(st, r->sid, on_event, &sc);
		if (rc != 0 || sc.found != 1)
			snprintf(why, len, "session %lld: %d fault events %s stored, not one",
				 (long long)r->sid, sc.found, sc.want);
	}
}

static int count_fault(void *ctx, const struct store_fault *f)
{
	(void)f;
	(*(int *)ctx)++;
	return 0;
}

int soak_check_store(const char *db_path, struct soak_result *res, int n, char *err,
		     int err_len)
{
	struct store *st;
	if (store_open(&st, db_path, err, (size_t)err_len) != 0)
		return n;
	int failed = 0, latched = 0;
	for (int i = 0; i < n; i++) {
		char why[SOAK_WHY_MAX];
		check_one(st, &res[i], why, sizeof(why));
		latched += res[i].latched != 0;
		if (why[0] && res[i].passed) {
			res[i].passed = false;
			snprintf(res[i].why, sizeof(res[i].why), "%s", why);
			failed++;
		}
	}
	int logged = 0;
	if (store_fault_list(st, 0, count_fault, &logged) != 0 || logged != latched) {
		snprintf(err, (size_t)err_len, "%s: %d faults in the fault log, %d latched", db_path,
			 logged, latched);
		failed++;
	}
	store_close(st);
	return failed;
}

int64_t soak_check_leak(const struct soak_result *res, int n, char *text, int len)
{
	/* res holds one worker's visits in the order it ran them. */
	if (n <= SOAK_WARMUP_VISITS) {
		snprintf(text, (size_t)len, "%d visits: too few to judge", n);
		return 0;
	}
	int64_t warm = res[SOAK_WARMUP_VISITS - 1].heap_bytes;
	int64_t most = warm;
	for (int i = SOAK_WARMUP_VISITS; i < n; i++)
		if (res[i].heap_bytes > most)
			most = res[i].heap_bytes;
	int64_t end = res[n - 1].heap_bytes;
	int64_t grew = most - warm;
	snprintf(text, (size_t)len,
		 "heap %lld B after visit %d, %lld B at the end, at most %+lld B (%.1f B a visit); "
		 "RSS %lld -> %lld KiB",
		 (long long)warm, SOAK_WARMUP_VISITS, (long long)end, (long long)grew,
		 (double)(end - warm) / (n - SOAK_WARMUP_VISITS),
		 (long long)res[SOAK_WARMUP_VISITS - 1].rss_kb, (long long)res[n - 1].rss_kb);
	return grew > SOAK_LEAK_ALLOWANCE_BYTES ? grew : 0;
}
