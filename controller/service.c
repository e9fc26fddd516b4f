/* The systemd side of chaird. The watchdog stands for both threads: the main loop sends
 * WATCHDOG=1, and only while the rt thread's tick counter has advanced within
 * SERVICE_RT_STALL_MS, so a wedged main loop and a wedged rt thread both go unfed and
 * systemd acts on them (WatchdogSignal=, SIGABRT by default); the drives' and the DIO
 * module's own watchdogs then take the chair to its safe state (docs/safety.md, process
 * faults). */
#include "service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "fault.h"
#include "log.h"
#include "tick.h"

#define SERVICE_NS_PER_MS 1000000LL

int service_open(struct service *svc, int64_t now_ns, char *err, int err_len)
{
	memset(svc, 0, sizeof(*svc));
	svc->tick_seen_ns = now_ns;
	svc->ping_ns = now_ns;
	const char *socket_path = getenv("NOTIFY_SOCKET");
	svc->notify = socket_path && *socket_path;
	if (!svc->notify)
		return 0;
	/* 0 without WATCHDOG_USEC or when WATCHDOG_PID names another process (a child the
	 * service started: it is not the one systemd watches). */
	uint64_t usec = 0;
	int rc = sd_watchdog_enabled(0, &usec);
	if (rc < 0) {
		const char *text = getenv("WATCHDOG_USEC");
		snprintf(err, (size_t)err_len, "WATCHDOG_USEC=%s: %s", text ? text : "",
			 strerror(-rc));
		return rc;
	}
	if (rc > 0) {
		/* Half the period systemd gives, as sd_watchdog_enabled(3) advises. */
		uint64_t half_ns = usec > (uint64_t)INT64_MAX / 1000 ? (uint64_t)INT64_MAX / 2
								       : usec * 1000 / 2;
		svc->watchdog_interval_ns = half_ns > 0 ? (int64_t)half_ns : 1;
	}
	return 0;
}

/* One message to systemd; the first failure is logged, the next ones are not. */
static void service_send(struct service *svc, const char *message)
{
	if (!svc->notify)
		return;
	int rc = sd_notify(0, message);
	if (rc < 0 && !svc->send_failed) {
		log_msg(LOG_WARNING, "sd_notify to NOTIFY_SOCKET=%s: %s", getenv("NOTIFY_SOCKET"),
			strerror(-rc));
		svc->send_failed = true;
	}
}

void service_status_text(const struct service_view *v, char *buf, int len)
{
	const char *name = (unsigned)v->state < ST_COUNT ? chair_state_name[v->state] : "?";
	bool latched = v->state == ST_FAULT || v->state == ST_ESTOP;
	if (latched && v->fault > 0 && v->fault < FAULT_COUNT && v->fault != FAULT_ESTOP)
		snprintf(buf, (size_t)len, "%s %s", name, fault_table[v->fault].name);
	else if (v->state == ST_IDLE && v->homed)
		snprintf(buf, (size_t)len, "%s, homed", name);
	else
		snprintf(buf, (size_t)len, "%s", name);
}

/* The rt thread's pulse, from the tick counter its telemetry carries: a stall logged once
 * as an error, its end as a warning. */
static void service_pulse(struct service *svc, int64_t now_ns, uint64_t tick)
{
	if (tick != svc->tick_seen) {
		if (svc->stalled)
			log_msg(LOG_WARNING, "the rt thread ticks again (tick %llu) after %lld ms "
				"without a tick", (unsigned long long)tick,
				(long long)((now_ns - svc->tick_seen_ns) / SERVICE_NS_PER_MS));
		svc->stalled = false;
		svc->tick_seen = tick;
		svc->tick_seen_ns = now_ns;
		return;
	}
	if (svc->stalled || now_ns - svc->tick_seen_ns < SERVICE_RT_STALL_MS * SERVICE_NS_PER_MS)
		return;
	svc->stalled = true;
	log_msg(LOG_ERR, "the rt thread has not ticked for %d ms (last tick %llu)%s",
		SERVICE_RT_STALL_MS, (unsigned long long)tick,
		svc->watchdog_interval_ns ? ": the systemd watchdog is no longer fed" : "");
}

/* Whether the chair is where READY=1 may say it is: at rest in a safe state. A latched
 * fault counts: its safe state is held until a technician acknowledges, which needs a
 * running chaird (withholding READY would have systemd restart it over and over). */
static bool service_at_rest(int state)
{
	return state == ST_IDLE || state == ST_FAULT || state == ST_ESTOP;
}

void service_turn(struct service *svc, int64_t now_ns, const struct service_view *v)
{
	service_pulse(svc, now_ns, v->tick);
	if (svc->watchdog_interval_ns > 0 && !svc->stalled &&
	    now_ns - svc->ping_ns >= svc->watchdog_interval_ns) {
		service_send(svc, "WATCHDOG=1");
		svc->ping_ns = now_ns;
		svc->pings++;
	}
	if (!service_at_rest(v->state))
		svc->rest_seen = false;
	else if (!svc->rest_seen) {
		svc->rest_seen = true;
		svc->rest_since_tick = v->tick;
	}
	char status[SERVICE_STATUS_MAX_BYTES];
	if (svc->stalled)
		snprintf(status, sizeof(status), "rt thread stalled at tick %llu",
			 (unsigned long long)v->tick);
	else
		service_status_text(v, status, sizeof(status));
	bool ready = !svc->ready_sent && !svc->stalled && svc->rest_seen &&
		     v->tick - svc->rest_since_tick >= SERVICE_REST_TICKS;
	if (!ready && !strcmp(status, svc->status))
		return;
	char message[SERVICE_STATUS_MAX_BYTES + 32];
	snprintf(message, sizeof(message), "%sSTATUS=%s", ready ? "READY=1\n" : "", status);
	service_send(svc, message);
	snprintf(svc->status, sizeof(svc->status), "%s", status);
	svc->ready_sent = svc->ready_sent || ready;
}

void service_stopping(struct service *svc)
{
	service_send(svc, "STOPPING=1\nSTATUS=stopping");
}
