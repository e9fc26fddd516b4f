/* Event streams (GET /api/events): each bounded (a reader that lets WEB_STREAM_BUF_MAX_BYTES
 * pile up is dropped), fed the notifications of its session's panel connection for the
 * topics it asked, a keep-alive comment when quiet, and ended when its peer goes or its
 * session is closed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "web_internal.h"

static const char RETRY[] = "retry: 1000\n\n";
static const char KEEPALIVE[] = ": keep-alive\n\n";

static void stream_resume(struct web_stream *st)
{
	if (st->suspended) {
		st->suspended = false;
		MHD_resume_connection(st->conn);
	}
}

/* Queue text on a stream; a reader that let WEB_STREAM_BUF_MAX_BYTES pile up is dropped. */
static void stream_append(struct web_stream *st, const char *text, size_t len)
{
	if (st->closing || st->dropped)
		return;
	if (st->off > 0) {
		memmove(st->buf, st->buf + st->off, st->len - st->off);
		st->len -= st->off;
		st->off = 0;
	}
	if (st->len + len > WEB_STREAM_BUF_MAX_BYTES) {
		st->dropped = true;
		st->len = 0;
		st->w->stats.streams_dropped++;
		stream_resume(st);
		return;
	}
	char *more = realloc(st->buf, st->len + len);
	if (!more) {
		st->dropped = true;
		stream_resume(st);
		return;
	}
	st->buf = more;
	memcpy(st->buf + st->len, text, len);
	st->len += len;
	st->last_append_s = web_clock_s(st->w);
	stream_resume(st);
}

/* One notification as an event: "data: <JSON>\n\n" (a newline inside, should one come,
 * starts another data: line, as the format asks). */
static void stream_event(struct web_stream *st, const char *json, size_t len)
{
	while (len && (json[len - 1] == '\n' || json[len - 1] == '\r'))
		len--;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && json[i] != '\n')
			continue;
		stream_append(st, "data: ", 6);
		stream_append(st, json + start, i - start);
		stream_append(st, "\n", 1);
		start = i + 1;
	}
	stream_append(st, "\n", 1);
}

static int method_topic(const char *method)
{
	static const struct {
		const char *method;
		enum panel_topic topic;
	} map[] = {
		{"notify.state", PANEL_TOPIC_STATE},   {"notify.motion", PANEL_TOPIC_MOTION},
		{"notify.session", PANEL_TOPIC_SESSION}, {"notify.fault", PANEL_TOPIC_FAULTS},
		{"notify.scan", PANEL_TOPIC_SCAN},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].method, method))
			return (int)map[i].topic;
	return -1;
}

void web_streams_notify(struct web_session *s, const char *method, const char *json,
			   size_t len)
{
	struct web *w = s->w;
	int topic = method_topic(method);
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (!st->used || st->s != s)
			continue;
		if (topic >= 0 && !(st->topics & (1u << topic)))
			continue;
		stream_event(st, json, len);
	}
}


static void subscribe(struct web *w, struct web_session *s, unsigned topics)
{
	json_t *list = json_array();
	for (int t = 0; t < PANEL_TOPIC_COUNT; t++)
		if (topics & (1u << t))
			json_array_append_new(list, json_string(panel_topic_name((enum panel_topic)t)));
	json_t *req = json_pack("{s:s, s:I, s:s, s:{s:o}}", "jsonrpc", "2.0", "id",
				(json_int_t)++s->next_rpc_id, "method", "subscribe", "params",
				"topics", list);
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text)
		panel_submit(w->panel, s->conn_id, text, strlen(text));
	free(text);
}

struct web_stream *web_stream_open(struct web *w, struct web_session *s,
				   struct MHD_Connection *conn, unsigned topics)
{
	if (w->stream_count >= w->cfg.max_streams || s->streams >= w->cfg.max_streams_per_session)
		return NULL;
	struct web_stream *st = NULL;
	for (int i = 0; i < w->cfg.max_streams && !st; i++)
		if (!w->streams[i].used)
			st = &w->streams[i];
	if (!st)
		return NULL;
	*st = (struct web_stream){.used = true, .w = w, .s = s, .conn = conn, .topics = topics};
	stream_append(st, RETRY, sizeof(RETRY) - 1);
	s->streams++;
	s->streamless_since_s = 0;
	w->stream_count++;
	w->stats.streams = w->stream_count;
	unsigned now = panel_conn_topics(w->panel, s->conn_id);
	if ((now | topics) != now)
		subscribe(w, s, now | topics);
	return st;
}

ssize_t web_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct web_stream *st = cls;
	(void)pos;
	if (st->dropped)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->len > st->off) {
		size_t n = st->len - st->off < max ? st->len - st->off : max;
		memcpy(buf, st->buf + st->off, n);
		st->off += n;
		if (st->off == st->len)
			st->off = st->len = 0;
		return (ssize_t)n;
	}
	if (st->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing to send: wait out of libmicrohttpd's loop until stream_append resumes it. */
	st->suspended = true;
	MHD_suspend_connection(st->conn);
	return 0;
}

void web_stream_done(void *cls)
{
	struct web_stream *st = cls;
	struct web *w = st->w;
	if (st->s) {
		st->s->streams--;
		if (st->s->streams == 0)
			st->s->streamless_since_s = web_clock_s(w);
	}
	free(st->buf);
	memset(st, 0, sizeof(*st));
	w->stream_count--;
	w->stats.streams = w->stream_count;
}

/* A suspended stream is not watched by libmicrohttpd: a peer that closed it (a reload) is
 * seen here, so its session's grace starts at once and not at the next keep-alive. */
static bool peer_gone(struct web_stream *st)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	char c;
	ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void web_streams_check(struct web *w)
{
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (st->used && !st->closing && !st->dropped && st->suspended && peer_gone(st)) {
			st->closing = true;
			stream_resume(st);
		}
	}
}

void web_streams_keep_alive(struct web *w, double now_s)
{
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (st->used && !st->closing && !st->dropped &&
		    now_s - st->last_append_s >= WEB_KEEPALIVE_S)
			stream_append(st, KEEPALIVE, sizeof(KEEPALIVE) - 1);
	}
}


/* A technician's login: the streams opened with the cookie of before end (what they have is
 * sent first); the page's EventSource opens them again with the new one. They stay counted
 * as s's until done, so its grace starts once the last of them went. */
void web_streams_end_of(struct web_session *s)
{
	struct web *w = s->w;
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (st->used && st->s == s && !st->closing) {
			st->closing = true;
			stream_resume(st);
		}
	}
}

void web_streams_close_of(struct web *w, struct web_session *s)
{
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (st->used && st->s == s) {
			st->s = NULL;
			st->closing = true;
			stream_resume(st);
		}
	}
}
