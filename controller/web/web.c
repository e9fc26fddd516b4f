/* The web server's life: libmicrohttpd in external polling mode (its epoll set is one
 * descriptor in the daemon's poll), the host names it answers to, the connections it keeps
 * an eye on (a slow one is cut) and the timed work. Requests are web_request.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "web_internal.h"

#define WEB_SWEEP_S 0.1 /* how often the timed work runs */

double web_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double web_clock_s(const struct web *w)
{
	return w->cfg.clock_s ? w->cfg.clock_s(w->cfg.clock_arg) : web_now_s();
}

/* The Host headers the panel answers to: its address and port, localhost:port for a
 * loopback address, and the [web] server_name names with the port. */
static void add_host(struct web *w, const char *name)
{
	if (w->host_count >= WEB_HOSTS_MAX)
		return;
	snprintf(w->hosts[w->host_count++], WEB_HOST_LEN, "%s:%d", name, w->port);
	if (w->port == 80 && w->host_count < WEB_HOSTS_MAX) /* a browser leaves :80 out */
		snprintf(w->hosts[w->host_count++], WEB_HOST_LEN, "%s", name);
}

static void build_hosts(struct web *w)
{
	char name[INET6_ADDRSTRLEN + 2];
	bool any = !strcmp(w->host, "0.0.0.0") || !strcmp(w->host, "::");
	bool loopback = !strncmp(w->host, "127.", 4) || !strcmp(w->host, "::1") || any;
	if (!any) {
		snprintf(name, sizeof(name), w->host_v6 ? "[%s]" : "%s", w->host);
		add_host(w, name);
	}
	if (loopback) { /* a wildcard address is reachable on loopback too */
		add_host(w, "localhost");
		if (any)
			add_host(w, w->host_v6 ? "[::1]" : "127.0.0.1");
	}
	char names[CONFIG_NAMES_MAX];
	snprintf(names, sizeof(names), "%s", w->cfg.server_name);
	char *save = NULL;
	for (char *tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		add_host(w, tok);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct web *w = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct web_conn *wc = *socket_context;
		if (wc)
			memset(wc, 0, sizeof(*wc));
		*socket_context = NULL;
		w->stats.connections--;
		return;
	}
	w->stats.connections++;
	*socket_context = NULL;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (int i = 0; ci && i < w->conn_slots; i++) {
		if (w->conns[i].used)
			continue;
		w->conns[i] = (struct web_conn){.used = true, .conn = conn, .fd = ci->connect_fd,
						.deadline_s = web_now_s() + w->cfg.timeout_s};
		*socket_context = &w->conns[i];
		return;
	}
}

/* A connection past its deadline (a client sending a byte a second never lets
 * libmicrohttpd's idle timeout fire) is shut: libmicrohttpd sees the end and closes it. */
static void cut_slow(struct web *w, double now_s)
{
	for (int i = 0; i < w->conn_slots; i++) {
		struct web_conn *wc = &w->conns[i];
		if (!wc->used || wc->deadline_s <= 0 || now_s < wc->deadline_s)
			continue;
		shutdown(wc->fd, SHUT_RDWR);
		wc->deadline_s = 0;
		w->stats.slow_closed++;
	}
}

static int make_addr(struct web *w, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (w->host_v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)w->port);
		return inet_pton(AF_INET6, w->host, &a->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)w->port);
	return inet_pton(AF_INET, w->host, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

static int alloc_tables(struct web *w)
{
	w->sessions = calloc((size_t)w->cfg.max_sessions, sizeof(*w->sessions));
	w->streams = calloc((size_t)w->cfg.max_streams, sizeof(*w->streams));
	w->conn_slots = w->cfg.max_connections + 4;
	w->conns = calloc((size_t)w->conn_slots, sizeof(*w->conns));
	return w->sessions && w->streams && w->conns ? 0 : -ENOMEM;
}

static void free_tables(struct web *w)
{
	free(w->sessions);
	free(w->streams);
	free(w->conns);
}

static int start_mhd(struct web *w, char *err, size_t err_len)
{
	struct sockaddr_storage ss;
	if (make_addr(w, &ss)) {
		snprintf(err, err_len, "[web] listen %s: not a numeric address", w->cfg.listen);
		return -EINVAL;
	}
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	if (w->host_v6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	w->mhd = MHD_start_daemon(
		flags, (uint16_t)w->port, NULL, NULL, web_on_request, w, MHD_OPTION_SOCK_ADDR, &ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)w->cfg.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(w->cfg.timeout_s + 0.5),
		MHD_OPTION_URI_LOG_CALLBACK, web_on_uri, w, MHD_OPTION_NOTIFY_COMPLETED, web_on_completed, w,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, w, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(32 * 1024), MHD_OPTION_END);
	if (!w->mhd) {
		int e = errno ? errno : EADDRINUSE;
		snprintf(err, err_len, "[web] listen %s: cannot listen: %s", w->cfg.listen,
			 strerror(e));
		return -e;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (di && di->port)
		w->port = di->port;
	return 0;
}

int web_open(struct web **out, const struct web_api_config *cfg, struct panel *p, char *err,
	     size_t err_len)
{
	*out = NULL;
	struct web *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, err_len, "[web]: out of memory");
		return -ENOMEM;
	}
	w->cfg = *cfg;
	w->panel = p;
	w->root_fd = -1;
	if (config_listen_split(cfg->listen, w->host, sizeof(w->host), &w->port)) {
		snprintf(err, err_len, "[web] listen %s: expected ADDRESS:PORT or off", cfg->listen);
		free(w);
		return -EINVAL;
	}
	if (w->port < 0) {
		free(w);
		return 0; /* off */
	}
	w->host_v6 = strchr(w->host, ':') != NULL;
	if (sodium_init() < 0) {
		snprintf(err, err_len, "[web]: libsodium could not start");
		free(w);
		return -EIO;
	}
	w->root_fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->root_fd < 0) {
		int e = errno;
		snprintf(err, err_len, "[web] root %s: %s", cfg->root, strerror(e));
		free(w);
		return -e;
	}
	int rc = alloc_tables(w);
	if (rc) {
		snprintf(err, err_len, "[web]: out of memory");
	} else {
		rc = start_mhd(w, err, err_len);
	}
	if (rc) {
		close(w->root_fd);
		free_tables(w);
		free(w);
		return rc;
	}
	build_hosts(w);
	*out = w;
	return 0;
}

void web_close(struct web *w)
{
	if (!w)
		return;
	web_sessions_close_all(w); /* resumes every suspended connection */
	MHD_run(w->mhd);
	MHD_stop_daemon(w->mhd);
	close(w->root_fd);
	free_tables(w);
	free(w);
}

int web_port(const struct web *w)
{
	return w ? w->port : -1;
}

const char *web_host(const struct web *w)
{
	return w ? w->host : "";
}

void web_url(const struct web *w, char *buf, size_t len)
{
	snprintf(buf, len, w->host_v6 ? "http://[%s]:%d/" : "http://%s:%d/", w->host, w->port);
}

int web_pollfd_max(const struct web *w)
{
	return w ? 1 : 0;
}

int web_pollfds(struct web *w, struct pollfd *fds, int max)
{
	if (!w || max < 1)
		return 0;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di)
		return 0;
	fds[0] = (struct pollfd){.fd = di->epoll_fd, .events = POLLIN};
	return 1;
}

int web_poll_timeout_ms(struct web *w, int timeout_ms)
{
	if (!w)
		return timeout_ms;
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	if (MHD_get_timeout(w->mhd, &mhd_ms) == MHD_YES && mhd_ms < (unsigned long long)timeout_ms)
		return (int)mhd_ms;
	return timeout_ms;
}

void web_service(struct web *w, const struct pollfd *fds, int n)
{
	if (!w)
		return;
	(void)fds;
	(void)n;
	MHD_run(w->mhd); /* never waits: it asks its epoll set with a zero timeout */
	double now_s = web_now_s();
	if (now_s >= w->next_check_s) {
		w->next_check_s = now_s + WEB_SWEEP_S;
		cut_slow(w, now_s);
		web_streams_check(w);
	}
	/* On the sessions' clock: a test that steps it has the sweep at its next turn. */
	double clock_s = web_clock_s(w);
	if (clock_s >= w->next_sweep_s || clock_s < w->next_sweep_s - WEB_SWEEP_S) {
		w->next_sweep_s = clock_s + WEB_SWEEP_S;
		web_sessions_sweep(w);
	}
}

void web_get_stats(const struct web *w, struct web_stats *st)
{
	*st = w->stats;
}
