/* chaird as a systemd service of Type=notify (libsystemd's sd_notify): READY=1 once the
 * chair is at rest with the panel serving, WATCHDOG=1 only while the rt thread's tick
 * counter advances, STATUS= with the chair's state, STOPPING=1 on the way out. The daemon's
 * main loop hands service_turn what the newest telemetry says every turn. Without
 * NOTIFY_SOCKET nothing is sent; a stalled rt thread is logged either way. */
#ifndef SERVICE_H
#define SERVICE_H

#include <stdbool.h>
#include <stdint.h>

/* No new tick for this long on the main thread's clock is a stalled rt thread: the
 * watchdog is no longer fed, and the stall is logged. 100 ms: five times the 20 periods the
 * rt thread itself calls late (it latches `late` once it runs again), well above the host's
 * hiccups (22 ms the worst stall measured on the test host), and far under any WatchdogSec. */
#define SERVICE_RT_STALL_MS 100
/* READY=1 waits for the chair to be at rest this many ticks in a row (100 ms at 1 kHz): a
 * roller found pressing at power-up starts homing by itself in the first ticks. */
#define SERVICE_REST_TICKS 100
#define SERVICE_STATUS_MAX_BYTES 160

/* What the main loop knows of the chair this turn, from the newest telemetry. */
struct service_view {
	uint64_t tick; /* the rt thread's tick counter, as its telemetry numbers it */
	int state;     /* enum chair_state */
	int fault;     /* enum fault_code latched, 0 = none */
	bool homed;
};

struct service {
	bool notify;                  /* NOTIFY_SOCKET is set: systemd (or a test) listens */
	int64_t watchdog_interval_ns; /* half of WATCHDOG_USEC; 0: no watchdog asked for */
	bool ready_sent;
	bool rest_seen;
	uint64_t rest_since_tick;     /* the first tick of the chair's rest so far */
	uint64_t tick_seen;           /* the newest tick the main loop has seen */
	int64_t tick_seen_ns;         /* when it saw the tick counter advance last */
	bool stalled;
	int64_t ping_ns;              /* the last WATCHDOG=1 (at first, the open) */
	uint64_t pings;
	bool send_failed;             /* a failed sd_notify was logged */
	char status[SERVICE_STATUS_MAX_BYTES]; /* the last STATUS= sent */
};

/* Read what systemd put in the environment: NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID.
 * A watchdog systemd asked for but whose period cannot be read is an error (err says why);
 * the service then runs without one. */
int service_open(struct service *svc, int64_t now_ns, char *err, int err_len);
/* One turn of the main loop: the watchdog fed when due and the rt thread ticks, READY=1
 * once, STATUS= when it changes, the rt thread's stall and its end logged. */
void service_turn(struct service *svc, int64_t now_ns, const struct service_view *v);
/* STOPPING=1: chaird is on its way out (a session stops, the chair goes to its safe state). */
void service_stopping(struct service *svc);
/* The state as STATUS= says it: "idle", "idle, homed", "running", "fault unit_stale". */
void service_status_text(const struct service_view *v, char *buf, int len);

#endif
