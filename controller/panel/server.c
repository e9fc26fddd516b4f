/* The panel server: the listening socket (stale ones replaced, live ones and other files
 * refused), accepting with each peer's role from its credentials, and the poll loop that
 * hands each ready connection to conn.c. Everything runs in the thread that polls it and
 * nothing waits: sockets are non-blocking and a reader that cannot keep up is dropped. */
#include "server_internal.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const role_names[] = {"any", "user", "technician"};
const char *const panel_topic_names[PANEL_TOPIC_COUNT + 1] = {
	"state", "motion", "session", "faults", "scan", NULL};

const char *panel_role_name(enum panel_role r)
{
	return (unsigned)r <= PANEL_ROLE_TECHNICIAN ? role_names[r] : "?";
}

const char *panel_topic_name(enum panel_topic t)
{
	return (unsigned)t < PANEL_TOPIC_COUNT ? panel_topic_names[t] : "?";
}

int panel_topic_lookup(const char *name)
{
	for (int t = 0; t < PANEL_TOPIC_COUNT; t++)
		if (strcmp(name, panel_topic_names[t]) == 0)
			return t;
	return -1;
}

/* Monotonic milliseconds, for the accept back-off and raised roles. */
int64_t panel_now_ms(const struct panel *p)
{
	if (p->clock_ms)
		return p->clock_ms(p->clock_arg);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- connections ----------------------------------------------------------------------- */

/* Whether g is among the n groups. */
static bool in_group_list(const gid_t *groups, int n, gid_t g)
{
	for (int i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

enum panel_role panel_role_of_credentials(uid_t uid, gid_t gid, bool has_group,
					  gid_t technician_gid)
{
	if (uid == 0)
		return PANEL_ROLE_TECHNICIAN;
	if (!has_group)
		return PANEL_ROLE_USER;
	if (gid == technician_gid)
		return PANEL_ROLE_TECHNICIAN;
	struct passwd pw, *found = NULL;
	char buf[4096];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) != 0 || !found)
		return PANEL_ROLE_USER;
	gid_t groups[256];
	int n = 256;
	if (getgrouplist(found->pw_name, gid, groups, &n) < 0)
		n = 256; /* more groups than that: judge by the first 256 */
	return in_group_list(groups, n, technician_gid) ? PANEL_ROLE_TECHNICIAN
							: PANEL_ROLE_USER;
}

/* The role of the peer on fd. The kernel's record of the peer's groups (SO_PEERGROUPS) is
 * preferred: it is what the process holds, and reading it never waits on a name service
 * the way getgrouplist may. */
static enum panel_role peer_role(const struct panel *p, int fd, const struct ucred *cr)
{
	if (p->peer_role)
		return p->peer_role(p->peer_role_arg, cr->uid, cr->gid);
	if (cr->uid == 0)
		return PANEL_ROLE_TECHNICIAN;
	if (!p->has_group)
		return PANEL_ROLE_USER;
	if (cr->gid == p->technician_gid)
		return PANEL_ROLE_TECHNICIAN;
#ifdef SO_PEERGROUPS
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		return in_group_list(groups, (int)(len / sizeof(gid_t)), p->technician_gid)
			       ? PANEL_ROLE_TECHNICIAN
			       : PANEL_ROLE_USER;
	if (errno != ENOPROTOOPT)
		return PANEL_ROLE_USER;
#endif
	return panel_role_of_credentials(cr->uid, cr->gid, true, p->technician_gid);
}

/* Over max_clients: one error line, then close. */
static void refuse_full(struct panel *p, int fd)
{
	struct panel_error err = {0};
	panel_error_set(&err, PANEL_E_STATE,
			json_pack("{s:s,s:i}", "state", "full", "max_clients", p->max_clients),
			"too many clients");
	json_t *msg = panel_msg_error(NULL, &err);
	size_t len;
	char *line = panel_msg_dump(msg, 0, &len);
	json_decref(msg);
	if (line && send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		p->st.bytes_out += len;
	free(line);
	close(fd);
	p->st.refused_full++;
}

/* Take the connections waiting (a bounded number per call, so a flood of connects cannot
 * starve the connections already served), each with its peer's credentials and role. */
static void accept_clients(struct panel *p)
{
	for (int k = 0; k < ACCEPTS_PER_SERVICE; k++) {
		int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				/* else poll would report it again at once, and again */
				p->accept_paused_until_ms = panel_now_ms(p) + ACCEPT_PAUSE_MS;
			return;
		}
		if (p->client_count >= p->max_clients) {
			refuse_full(p, fd);
			continue;
		}
		struct ucred cr = {0};
		socklen_t len = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
			close(fd);
			continue;
		}
		struct client *c = NULL;
		for (int i = 0; i < p->max_clients && !c; i++)
			if (!p->clients[i].used)
				c = &p->clients[i];
		*c = (struct client){.used = true, .fd = fd, .conn_id = ++p->next_conn_id,
				     .uid = cr.uid, .gid = cr.gid, .pid = cr.pid};
		c->role = peer_role(p, fd, &cr);
		p->client_count++;
		p->st.accepted++;
	}
}

int panel_client_count(const struct panel *p)
{
	return p->client_count;
}

void panel_get_stats(const struct panel *p, struct panel_stats *st)
{
	*st = p->st;
	st->in_buffered = 0;
	st->out_queued = 0;
	for (int i = 0; i < p->max_clients; i++) {
		st->in_buffered += p->clients[i].in_cap;
		st->out_queued += p->clients[i].q_bytes;
	}
}

/* --- the loop -------------------------------------------------------------------------- */

int panel_pollfd_max(const struct panel *p)
{
	return 1 + p->max_clients;
}

int panel_pollfds(struct panel *p, struct pollfd *fds, int max)
{
	int n = 0;
	if (p->accept_paused_until_ms && panel_now_ms(p) >= p->accept_paused_until_ms)
		p->accept_paused_until_ms = 0;
	if (!p->accept_paused_until_ms && n < max) {
		fds[n] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
		p->refs[n++] = (struct poll_ref){.slot = -1};
	}
	for (int i = 0; i < p->max_clients && n < max; i++) {
		struct client *c = &p->clients[i];
		if (!c->used || c->fd < 0)
			continue;
		/* Lines still buffered are served before more is read: the socket holds the rest. */
		short ev = (c->eof || c->lines_pending ? 0 : POLLIN) | (c->q_count ? POLLOUT : 0);
		fds[n] = (struct pollfd){.fd = c->fd, .events = ev};
		p->refs[n++] = (struct poll_ref){.slot = i, .conn_id = c->conn_id};
	}
	return n;
}

int panel_poll_timeout_ms(const struct panel *p, int timeout_ms)
{
	for (int i = 0; i < p->max_clients; i++)
		if (p->clients[i].used && p->clients[i].lines_pending)
			return 0;
	return timeout_ms;
}

void panel_set_on_close(struct panel *p, void (*on_close)(void *app, uint64_t conn_id))
{
	p->on_close = on_close;
}

void panel_service(struct panel *p, const struct pollfd *fds, int n)
{
	p->service_turn++;
	for (int i = 0; i < n && i < panel_pollfd_max(p); i++) {
		short ev = fds[i].revents;
		if (!ev)
			continue;
		if (p->refs[i].slot < 0) {
			accept_clients(p);
			continue;
		}
		struct client *c = panel_conn_at(p, p->refs[i].slot, p->refs[i].conn_id);
		if (!c || c->fd != fds[i].fd)
			continue;
		if (ev & (POLLERR | POLLNVAL)) {
			panel_conn_close(p, c);
			continue;
		}
		if ((ev & POLLOUT) && panel_conn_flush(p, c))
			continue;
		if (ev & POLLIN)
			panel_conn_read(p, c);
		else if (ev & POLLHUP)
			panel_conn_close(p, c);
	}
	/* The lines left from earlier turns, each connection's next few, in slot order. */
	for (int i = 0; i < p->max_clients; i++) {
		struct client *c = &p->clients[i];
		if (c->used && c->lines_pending && c->served_turn != p->service_turn)
			panel_conn_serve_pending(p, c);
	}
}

int panel_poll(struct panel *p, int timeout_ms)
{
	int n = panel_pollfds(p, p->own_fds, panel_pollfd_max(p));
	int rc = poll(p->own_fds, (nfds_t)n, panel_poll_timeout_ms(p, timeout_ms));
	if (rc < 0)
		return -errno;
	panel_service(p, p->own_fds, n);
	return rc;
}

/* --- open and close -------------------------------------------------------------------- */

/* The entry of table named name, or NULL. */
static const struct panel_method *method_named(const struct panel_method *table,
					       const char *name)
{
	for (const struct panel_method *m = table; m && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* A group by name or decimal gid. */
static int resolve_group(const char *name, gid_t *gid, char *err, size_t err_len)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0 &&
	    v <= (unsigned long)(gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	struct group gr, *found = NULL;
	char buf[8192];
	int rc = getgrnam_r(name, &gr, buf, sizeof(buf), &found);
	if (rc != 0 || !found) {
		snprintf(err, err_len, "panel group %s: no such group", name);
		return -ENOENT;
	}
	*gid = found->gr_gid;
	return 0;
}

/* The method table can be served: names unique and not built in, handlers and schemas. */
static int check_methods(const struct panel_method *methods, char *err, size_t err_len)
{
	for (const struct panel_method *m = methods; m && m->name; m++) {
		if (panel_conn_builtin(m->name)) {
			snprintf(err, err_len, "method %s is built into the server", m->name);
			return -EINVAL;
		}
		if (method_named(methods, m->name) != m) {
			snprintf(err, err_len, "method %s is declared twice", m->name);
			return -EINVAL;
		}
		if (!m->fn || (unsigned)m->role > PANEL_ROLE_TECHNICIAN) {
			snprintf(err, err_len, "method %s: no handler or an unknown role", m->name);
			return -EINVAL;
		}
		char why[200];
		if (panel_params_validate(m->params, why, sizeof(why))) {
			snprintf(err, err_len, "method %s: %s", m->name, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* A socket left at path by a server that has gone is removed; a live one, or anything
 * that is not a socket, is refused. */
static int clear_stale(const char *path, const struct sockaddr_un *addr, char *err,
		       size_t err_len)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	int e = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, err_len, "%s: another server answers there", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, err_len, "%s: %s", path, strerror(e));
		return -e;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		e = errno;
		snprintf(err, err_len, "%s: cannot remove the stale socket: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

/* Bind and listen at path, mode 0660 and the group, before anyone can connect. */
static int listen_at(struct panel *p, const struct sockaddr_un *addr, char *err,
		     size_t err_len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	const char *what = "bind";
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		goto fail;
	what = "chmod 0660";
	if (chmod(p->path, 0660) != 0)
		goto fail_bound;
	what = "chown to the socket group";
	if (p->has_socket_group && chown(p->path, (uid_t)-1, p->socket_gid) != 0)
		goto fail_bound;
	struct stat st;
	what = "stat";
	if (stat(p->path, &st) != 0)
		goto fail_bound;
	what = "listen";
	if (listen(fd, SOMAXCONN) != 0)
		goto fail_bound;
	p->sock_dev = st.st_dev;
	p->sock_ino = st.st_ino;
	p->listen_fd = fd;
	return 0;
fail_bound:;
	int e = errno;
	unlink(p->path);
	errno = e;
fail:
	e = errno;
	snprintf(err, err_len, "%s: %s: %s", p->path, what, strerror(e));
	close(fd);
	return -e;
}

int panel_open(struct panel **out, const struct panel_config *cfg,
	       const struct panel_method *methods, void *app, char *err, size_t err_len)
{
	*out = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!cfg->socket_path || !cfg->socket_path[0] ||
	    strlen(cfg->socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, err_len, "panel socket path is empty or longer than %zu bytes",
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (cfg->max_clients < 0 || cfg->max_clients > PANEL_CLIENTS_LIMIT) {
		snprintf(err, err_len, "panel max_clients %d: 1 to %d", cfg->max_clients,
			 PANEL_CLIENTS_LIMIT);
		return -EINVAL;
	}
	int rc = check_methods(methods, err, err_len);
	if (rc)
		return rc;
	struct panel *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->listen_fd = -1;
	strcpy(addr.sun_path, cfg->socket_path);
	strcpy(p->path, cfg->socket_path);
	p->methods = methods;
	p->app = app;
	p->peer_role = cfg->peer_role;
	p->peer_role_arg = cfg->peer_role_arg;
	p->on_close = cfg->on_close;
	p->clock_ms = cfg->clock_ms;
	p->clock_arg = cfg->clock_arg;
	p->max_clients = cfg->max_clients ? cfg->max_clients : PANEL_CLIENTS_DEFAULT;
	p->out_max = cfg->out_max_bytes ? cfg->out_max_bytes : PANEL_OUT_MAX_DEFAULT;
	if (cfg->technician_group && cfg->technician_group[0]) {
		rc = resolve_group(cfg->technician_group, &p->technician_gid, err, err_len);
		if (rc)
			goto fail;
		p->has_group = true;
	}
	if (cfg->socket_group && cfg->socket_group[0]) {
		rc = resolve_group(cfg->socket_group, &p->socket_gid, err, err_len);
		if (rc)
			goto fail;
		p->has_socket_group = true;
	}
	p->clients = calloc((size_t)p->max_clients, sizeof(*p->clients));
	p->refs = calloc((size_t)panel_pollfd_max(p), sizeof(*p->refs));
	p->own_fds = calloc((size_t)panel_pollfd_max(p), sizeof(*p->own_fds));
	if (!p->clients || !p->refs || !p->own_fds) {
		rc = -ENOMEM;
		snprintf(err, err_len, "panel: out of memory for %d clients", p->max_clients);
		goto fail;
	}
	rc = clear_stale(p->path, &addr, err, err_len);
	if (rc)
		goto fail;
	rc = listen_at(p, &addr, err, err_len);
	if (rc)
		goto fail;
	*out = p;
	return 0;
fail:
	free(p->clients);
	free(p->refs);
	free(p->own_fds);
	free(p);
	return rc;
}

void panel_close(struct panel *p)
{
	if (!p)
		return;
	p->on_close = NULL; /* the application is going too: nobody went away */
	for (int i = 0; i < p->max_clients; i++)
		if (p->clients[i].used)
			panel_conn_close(p, &p->clients[i]);
	for (size_t i = 0; i < p->defer_count; i++)
		json_decref(p->defer[i].id);
	free(p->defer);
	if (p->listen_fd >= 0) {
		close(p->listen_fd);
		/* Remove the socket only if it is still ours, not a successor's. */
		struct stat st;
		if (lstat(p->path, &st) == 0 && st.st_dev == p->sock_dev &&
		    st.st_ino == p->sock_ino)
			unlink(p->path);
	}
	free(p->clients);
	free(p->refs);
	free(p->own_fds);
	free(p);
}
