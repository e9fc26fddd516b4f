/* The page files, from [web] root and nothing outside it. The path is walked a component at
 * a time from the root's descriptor, each opened with O_NOFOLLOW: no "..", no ".", no
 * symbolic link anywhere (even one pointing inside the root), no hidden file; only regular
 * files of a known type. /tech/ is served only to a browser whose session is a technician
 * now; another page lowers such a session back (login.html aside). Only a GET of a page
 * makes a session. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web_internal.h"

#define WEB_PATH_MAX_BYTES 512
#define WEB_DEPTH_MAX 16

static const char TECH_REFUSED[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<title>Technicians only</title></head><body><h1>Technicians only</h1>"
	"<p>This page is for the chair's technician. <a href=\"/login.html\">Log in</a> "
	"first.</p></body></html>\n";

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".json", "application/json"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".jpg", "image/jpeg"},
		{".webp", "image/webp"},
		{".ico", "image/x-icon"},
		{".woff2", "font/woff2"},
		{".txt", "text/plain; charset=utf-8"},
		{".webmanifest", "application/manifest+json"},
	};
	const char *dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return NULL;
}

/* A component a page may have: not empty, not hidden (so not "." or ".."), printable
 * ASCII without a backslash. */
static bool good_component(const char *c, size_t len)
{
	if (len == 0 || c[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)c[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '\\')
			return false;
	}
	return true;
}

/* Open path (components separated by '/') beneath dir_fd without following any link.
 * Returns a descriptor or -errno. */
static int open_beneath(int dir_fd, const char *path)
{
	char part[WEB_PATH_MAX_BYTES];
	int fd = dup(dir_fd);
	if (fd < 0)
		return -errno;
	const char *p = path;
	int depth = 0;
	while (*p) {
		size_t len = strcspn(p, "/");
		if (!good_component(p, len) || len >= sizeof(part) || ++depth > WEB_DEPTH_MAX) {
			close(fd);
			return -ENOENT;
		}
		memcpy(part, p, len);
		part[len] = '\0';
		p += len;
		bool last = *p == '\0';
		if (*p == '/')
			p++;
		int next = openat(fd, part,
				  (last ? O_RDONLY | O_NONBLOCK : O_PATH | O_DIRECTORY) | O_NOFOLLOW |
					  O_CLOEXEC);
		int e = errno;
		close(fd);
		if (next < 0)
			return -e;
		fd = next;
	}
	return fd;
}

static enum MHD_Result not_found(struct web *w, struct MHD_Connection *conn)
{
	return web_answer_text(w, conn, 404, "not found\n", false);
}

static enum MHD_Result redirect_to_folder(struct web *w, struct MHD_Connection *conn,
					  const char *url)
{
	char location[WEB_PATH_MAX_BYTES + 2];
	snprintf(location, sizeof(location), "%s/", url);
	static const char text[] = "moved\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Location", location);
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	return web_queue(w, conn, 301, r, false, NULL);
}

bool web_is_tech_path(const char *url)
{
	return !strcmp(url, "/tech") || !strncmp(url, "/tech/", 6);
}

static enum MHD_Result tech_refused(struct web *w, struct MHD_Connection *conn)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof(TECH_REFUSED) - 1, (void *)TECH_REFUSED, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	return web_queue(w, conn, 403, r, false, NULL);
}

/* Serve the regular file fd (its name for the type); a folder's index.html instead. */
static enum MHD_Result serve_fd(struct web *w, struct MHD_Connection *conn, int fd,
				const char *name, struct web_session *new_session)
{
	struct stat sb;
	const char *type = content_type(name);
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || !type) {
		close(fd);
		return not_found(w, conn);
	}
	struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	return web_queue(w, conn, 200, r, false, new_session);
}

enum MHD_Result web_static(struct web *w, struct MHD_Connection *conn, const char *url,
			   bool head, struct web_session *s)
{
	if (url[0] != '/' || strlen(url) >= WEB_PATH_MAX_BYTES)
		return not_found(w, conn);
	if (web_is_tech_path(url) && !(s && panel_conn_role(w->panel, s->conn_id) ==
						PANEL_ROLE_TECHNICIAN))
		return tech_refused(w, conn);
	char path[WEB_PATH_MAX_BYTES + 16];
	bool folder = url[strlen(url) - 1] == '/';
	snprintf(path, sizeof(path), "%s%s", url + 1, folder ? "index.html" : "");
	int fd = open_beneath(w->root_fd, path);
	if (fd == -EISDIR && !folder)
		return redirect_to_folder(w, conn, url);
	if (fd < 0)
		return not_found(w, conn);
	struct stat sb;
	if (!fstat(fd, &sb) && S_ISDIR(sb.st_mode)) {
		close(fd);
		return redirect_to_folder(w, conn, url);
	}
	const char *type = content_type(path);
	if (head || !type || !strstr(type, "text/html"))
		return serve_fd(w, conn, fd, path, NULL);
	/* A raised browser that leaves the technician's pages (the user's screen after a
	 * login on the chair) is a user again. */
	if (s && !web_is_tech_path(url) && strcmp(url, "/login.html"))
		panel_conn_drop_role(w->panel, s->conn_id);
	if (s)
		return serve_fd(w, conn, fd, path, NULL);
	/* A page gets the browser its session before its scripts run, so its first request
	 * and its event stream share one. Only a GET of a page makes one. */
	int err;
	struct web_session *fresh = web_session_new(w, &err);
	if (!fresh && err == -EAGAIN) {
		close(fd);
		return web_answer_no_session(w, conn, err, false);
	}
	return serve_fd(w, conn, fd, path, fresh);
}
