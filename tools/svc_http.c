/* svc_http.c - a static file server over HTTP/1.1 (RFC 9110, 9112): GET and
 * HEAD, Content-Length framing, persistent connections (HTTP/1.1's default;
 * "Connection: close" honoured), 404 for missing files, 400 for bad
 * requests, 405 for other methods. Files are opened beneath the root only
 * (openat2 RESOLVE_BENEATH, so symlinks cannot leave it either) and
 * streamed through one fixed buffer as the send buffer drains, so a file's
 * size never becomes memory. One request is served at a time; pipelined
 * requests wait in the input buffer. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "svc.h"

#define HTTP_IN_MAX   8192
#define HTTP_OUT      32768
#define HTTP_STEP_MAX (1024 * 1024)
#define HTTP_GO       (-1) /* progress made: go round again */

typedef struct http_conn {
	int root;         /* the served directory */
	int fd;           /* the file being sent, -1 when none */
	uint64_t left;    /* bytes of it still to read */
	bool sending;     /* a response is under way */
	bool close_after; /* close once it is out */
	bool eof;         /* the client finished sending */
	size_t inlen, outlen, outoff;
	char in[HTTP_IN_MAX];
	char out[HTTP_OUT]; /* out[outoff..outlen) waits for the send buffer */
} http_conn;

typedef struct http_type {
	const char *ext, *type;
} http_type;

static const http_type types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"css", "text/css"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"gif", "image/gif"},
    {"svg", "image/svg+xml"},
    {"pdf", "application/pdf"},
};

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (!strcmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

/* ---- responses ------------------------------------------------------------- */

/* Queue a status line and header fields; extra is more fields or "". */
static void head(http_conn *h, int status, const char *type, uint64_t length, const char *extra)
{
	char date[64];
	struct tm tm;
	time_t t = time(NULL);
	date[0] = '\0';
	if (gmtime_r(&t, &tm))
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	int n = snprintf(h->out, sizeof h->out,
	                 "HTTP/1.1 %d %s\r\nServer: tern\r\nDate: %s\r\nContent-Type: %s\r\n"
	                 "Content-Length: %" PRIu64 "\r\n%sConnection: %s\r\n\r\n",
	                 status, reason(status), date, type, length, extra,
	                 h->close_after ? "close" : "keep-alive");
	h->outlen = n < 0 ? 0 : (size_t)n < sizeof h->out ? (size_t)n : sizeof h->out - 1;
	h->outoff = 0;
	h->sending = true;
}

/* An error page: the status line again as text/plain. */
static void error_reply(http_conn *h, int status, bool head_only, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof body, "%d %s\n", status, reason(status));
	head(h, status, "text/plain; charset=utf-8", (uint64_t)n, extra);
	if (!head_only && h->outlen + (size_t)n < sizeof h->out) {
		memcpy(h->out + h->outlen, body, (size_t)n);
		h->outlen += (size_t)n;
	}
}

static int open_beneath(int root, const char *path)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root, path, &how, sizeof how);
	/* Kernels before 5.6: no symlinks at all is the safe approximation. */
	if (fd < 0 && errno == ENOSYS)
		fd = openat(root, path, (int)how.flags | O_NOFOLLOW);
	return (int)fd;
}

static int open_status(int err)
{
	if (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG)
		return 404;
	if (err == EACCES || err == EPERM || err == EXDEV || err == ELOOP)
		return 403;
	return 500;
}

/* GET or HEAD of a file beneath the root. */
static void serve(http_conn *h, const http_req *r)
{
	char path[HTTP_PATH_MAX + 16], loc[HTTP_PATH_MAX + 32];
	struct stat st;
	if (r->dir)
		snprintf(path, sizeof path, "%s%sindex.html", r->path, r->path[0] ? "/" : "");
	else
		snprintf(path, sizeof path, "%s", r->path);
	int fd = open_beneath(h->root, path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error_reply(h, open_status(errno), r->method == HTTP_HEAD, "");
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		/* A directory named without its slash: send the client there. */
		snprintf(loc, sizeof loc, "Location: /%s/\r\n", r->path);
		error_reply(h, S_ISDIR(st.st_mode) ? 301 : 403, r->method == HTTP_HEAD,
		            S_ISDIR(st.st_mode) ? loc : "");
		return;
	}
	head(h, 200, content_type(path), (uint64_t)st.st_size, "");
	if (r->method == HTTP_HEAD || st.st_size == 0) {
		close(fd);
		return;
	}
	h->fd = fd;
	h->left = (uint64_t)st.st_size;
}

/* Answer the request whose head is in[0..len), and drop it from in. */
static void handle(http_conn *h, size_t len)
{
	http_req r;
	int status = http_parse(h->in, len, &r);
	bool broken = status == 400 || status == 414 || status == 505;
	h->close_after = broken || !r.keep_alive || r.has_body;
	if (status)
		error_reply(h, status, r.method == HTTP_HEAD, "");
	else if (r.method == HTTP_OTHER)
		error_reply(h, 405, false, "Allow: GET, HEAD\r\n");
	else
		serve(h, &r);
	memmove(h->in, h->in + len, h->inlen - len);
	h->inlen -= len;
}

/* ---- the connection -------------------------------------------------------- */

/* The next piece of the body, or the end of the response. */
static int body_next(http_conn *h, tern_socket *s)
{
	if (h->left) {
		size_t want = h->left < sizeof h->out ? (size_t)h->left : sizeof h->out;
		ssize_t n = read(h->fd, h->out, want);
		if (n <= 0)
			return SVC_ABORT; /* the file shrank: Content-Length cannot be kept */
		h->outlen = (size_t)n;
		h->outoff = 0;
		h->left -= (uint64_t)n;
		return HTTP_GO;
	}
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->sending = false;
	if (!h->close_after)
		return HTTP_GO;
	return svc_drain(s) < 0 ? SVC_ABORT : SVC_CLOSE;
}

/* Read until a request head is complete, then answer it. */
static int request_next(http_conn *h, tern_socket *s)
{
	size_t len = http_head_len(h->in, h->inlen);
	if (len) {
		handle(h, len);
		return HTTP_GO;
	}
	if (h->inlen == sizeof h->in) {
		h->close_after = true;
		error_reply(h, 431, false, "");
		return HTTP_GO;
	}
	if (h->eof)
		return SVC_CLOSE;
	int n = tern_socket_recv(s, h->in + h->inlen, sizeof h->in - h->inlen, 0);
	if (n == TERN_EAGAIN)
		return SVC_WAIT;
	if (n < 0)
		return SVC_ABORT;
	h->eof = n == 0;
	h->inlen += (size_t)n;
	return HTTP_GO;
}

static enum svc_next http_step(void *state, tern_socket *s)
{
	http_conn *h = state;
	for (size_t moved = 0; moved < HTTP_STEP_MAX;) {
		int rc;
		if (h->outoff < h->outlen) {
			rc = tern_socket_send(s, h->out + h->outoff, h->outlen - h->outoff, 0);
			if (rc == TERN_EAGAIN)
				return SVC_WAIT;
			if (rc < 0)
				return SVC_ABORT;
			h->outoff += (size_t)rc;
			moved += (size_t)rc;
			continue;
		}
		rc = h->sending ? body_next(h, s) : request_next(h, s);
		if (rc != HTTP_GO)
			return (enum svc_next)rc;
	}
	return SVC_MORE;
}

static int http_open(void *state, tern_socket *s, const svc_env *env)
{
	http_conn *h = state;
	(void)s;
	h->root = env->http_root_fd;
	h->fd = -1;
	return 0;
}

static void http_close(void *state)
{
	http_conn *h = state;
	if (h->fd >= 0)
		close(h->fd);
}

const svc_ops svc_http = {
    .name = "http",
    .port = 80,
    .state_size = sizeof(http_conn),
    .open = http_open,
    .step = http_step,
    .close = http_close,
};
