/* ctl.c - the control socket `tern ss` talks to: a Unix stream socket
 * served by the loop. Its listener and clients live in an epoll set of
 * their own, and the loop watches that one fd, so any number of slow
 * clients costs a single loop slot and never blocks the stack: every read
 * and write is non-blocking, and a full client table evicts the oldest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tern/host.h"

#define CTL_CLIENTS 8
#define CTL_REQ_MAX 128
#define CTL_BACKLOG 16
#define CTL_BATCH   16
#define TAG_LISTEN  CTL_CLIENTS

typedef struct ctl_client {
	int fd;        /* -1 when the slot is free */
	uint64_t born; /* accept order, to evict the oldest */
	char req[CTL_REQ_MAX];
	size_t reqlen;
	char *out; /* the answer, once the request line is in */
	size_t outlen, outoff;
} ctl_client;

struct tern_ctl {
	tern_stack *st;
	int ep, lfd;
	uint64_t accepted;
	tern_ctl_handler_fn handler;
	void *handler_ctx;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_client cl[CTL_CLIENTS];
};

/* ---- default paths ---------------------------------------------------------- */

static const char *const ctl_dirs[] = {"/run/tern", "/tmp/tern"};

const char *tern_ctl_dir(unsigned i)
{
	return i < sizeof ctl_dirs / sizeof ctl_dirs[0] ? ctl_dirs[i] : NULL;
}

int tern_ctl_suffix(char *buf, size_t cap)
{
	struct stat ns;
	int n;
	/* Without /proc the namespace cannot be named; one stack per TUN name
	 * is then the best that can be done. */
	if (stat("/proc/self/ns/net", &ns) == 0)
		n = snprintf(buf, cap, ".net%llu.ctl", (unsigned long long)ns.st_ino);
	else
		n = snprintf(buf, cap, ".ctl");
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* A directory of our own: in /tmp another user could have made it first
 * (or put a symlink there) to catch the socket. */
static bool usable_dir(const char *dir)
{
	struct stat d;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return false;
	return lstat(dir, &d) == 0 && S_ISDIR(d.st_mode) && d.st_uid == geteuid() &&
	       access(dir, W_OK | X_OK) == 0;
}

int tern_ctl_default_path(const char *dir, const char *tun, char *buf, size_t cap)
{
	char suffix[48];
	int rc = tern_ctl_suffix(suffix, sizeof suffix);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; !dir && tern_ctl_dir(i); i++)
		if (usable_dir(tern_ctl_dir(i)))
			dir = tern_ctl_dir(i);
	if (!dir)
		return -EACCES;
	int n = snprintf(buf, cap, "%s/%s%s", dir, tun, suffix);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* ---- the listening socket --------------------------------------------------- */

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* A socket file nobody accepts on is left over from a stack that died
 * without cleaning up; it may be replaced. */
static bool someone_listens(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
	close(fd);
	return live;
}

static int bind_listen(tern_ctl *c, const struct sockaddr_un *sa)
{
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return -errno;
	if (bind(c->lfd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
		if (errno != EADDRINUSE)
			return -errno;
		if (someone_listens(sa))
			return -EADDRINUSE;
		unlink(sa->sun_path);
		if (bind(c->lfd, (const struct sockaddr *)sa, sizeof *sa) < 0)
			return -errno;
	}
	/* From here on the file is ours to remove. */
	strcpy(c->path, sa->sun_path);
	if (listen(c->lfd, CTL_BACKLOG) < 0)
		return -errno;
	return 0;
}

static int watch(tern_ctl *c, int fd, uint32_t events, uint64_t tag, int op)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};
	return epoll_ctl(c->ep, op, fd, &ev) < 0 ? -errno : 0;
}

/* ---- clients ---------------------------------------------------------------- */

static void client_close(ctl_client *k)
{
	/* Closing the fd also takes it out of the epoll set. */
	close(k->fd);
	free(k->out);
	memset(k, 0, sizeof *k);
	k->fd = -1;
}

/* The answer to one request line, as a malloc'd string. */
static char *answer(tern_ctl *c, const char *req, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	char line[CTL_REQ_MAX];
	snprintf(line, sizeof line, "%s", req);
	unsigned flags = 0;
	char *save, *tok = strtok_r(line, " \t\r\n", &save);
	bool ok = tok && !strcmp(tok, "ss");
	while (ok && (tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		ok = tok[0] == '-' && tok[1];
		for (const char *p = tok + 1; ok && *p; p++) {
			if (*p == 'a')
				flags |= TERN_SS_ALL;
			else if (*p == 'i')
				flags |= TERN_SS_INFO;
			else if (*p == 's')
				flags |= TERN_SS_SUMMARY;
			else
				ok = false;
		}
	}
	if (ok) {
		tern_ss_print(c->st, flags, f);
		if (c->handler) /* what the application adds to the table */
			c->handler(c->handler_ctx, req, f);
	} else if (!c->handler || c->handler(c->handler_ctx, req, f) < 0) {
		fprintf(f, "error: unknown request (expected: ss [-a] [-i] [-s])\n");
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Returns false when the client is finished (closed). */
static bool client_write(ctl_client *k)
{
	while (k->outoff < k->outlen) {
		ssize_t n = send(k->fd, k->out + k->outoff, k->outlen - k->outoff,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		k->outoff += (size_t)n;
	}
	return false;
}

/* Read until the request line is complete (a newline, the end of the
 * client's stream, or a full buffer), then answer it. */
static void client_read(tern_ctl *c, ctl_client *k, unsigned slot)
{
	ssize_t n = recv(k->fd, k->req + k->reqlen, sizeof k->req - 1 - k->reqlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && k->reqlen == 0)) {
		client_close(k);
		return;
	}
	k->reqlen += (size_t)n;
	k->req[k->reqlen] = '\0';
	if (n > 0 && !memchr(k->req, '\n', k->reqlen) && k->reqlen < sizeof k->req - 1)
		return;
	k->out = answer(c, k->req, &k->outlen);
	if (!k->out || !client_write(k)) {
		client_close(k);
		return;
	}
	if (watch(c, k->fd, EPOLLOUT, slot, EPOLL_CTL_MOD) < 0)
		client_close(k);
}

static void client_io(tern_ctl *c, unsigned slot)
{
	ctl_client *k = &c->cl[slot];
	if (k->fd < 0)
		return;
	if (!k->out)
		client_read(c, k, slot);
	else if (!client_write(k))
		client_close(k);
}

static unsigned free_slot(tern_ctl *c)
{
	unsigned oldest = 0;
	for (unsigned i = 0; i < CTL_CLIENTS; i++) {
		if (c->cl[i].fd < 0)
			return i;
		if (c->cl[i].born < c->cl[oldest].born)
			oldest = i;
	}
	client_close(&c->cl[oldest]);
	return oldest;
}

static void accept_some(tern_ctl *c)
{
	for (int i = 0; i < CTL_BATCH; i++) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		unsigned slot = free_slot(c);
		ctl_client *k = &c->cl[slot];
		k->fd = fd;
		k->born = ++c->accepted;
		if (watch(c, fd, EPOLLIN, slot, EPOLL_CTL_ADD) < 0)
			client_close(k);
	}
}

/* The loop's callback for the inner epoll fd. Errors here concern one
 * client at most and never stop the loop. */
static int ctl_readable(void *ctx, tern_time now)
{
	tern_ctl *c = ctx;
	struct epoll_event evs[CTL_BATCH];
	(void)now;
	int n = epoll_wait(c->ep, evs, CTL_BATCH, 0);
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 == TAG_LISTEN)
			accept_some(c);
		else
			client_io(c, (unsigned)evs[i].data.u64);
	}
	return 0;
}

/* ---- open and close --------------------------------------------------------- */

static int ctl_start(tern_ctl *c, tern_loop *l, const char *path)
{
	struct sockaddr_un sa;
	int rc = fill_addr(path, &sa);
	if (rc < 0)
		return rc;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0)
		return -errno;
	if ((rc = bind_listen(c, &sa)) < 0)
		return rc;
	if ((rc = watch(c, c->lfd, EPOLLIN, TAG_LISTEN, EPOLL_CTL_ADD)) < 0)
		return rc;
	return tern_loop_add_fd(l, c->ep, ctl_readable, c);
}

int tern_ctl_open(tern_loop *l, tern_stack *st, const char *path, tern_ctl **out)
{
	tern_ctl *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->st = st;
	c->ep = c->lfd = -1;
	for (unsigned i = 0; i < CTL_CLIENTS; i++)
		c->cl[i].fd = -1;
	int rc = ctl_start(c, l, path);
	if (rc < 0) {
		tern_ctl_del(c);
		return rc;
	}
	*out = c;
	return 0;
}

void tern_ctl_set_handler(tern_ctl *c, tern_ctl_handler_fn fn, void *ctx)
{
	c->handler = fn;
	c->handler_ctx = ctx;
}

void tern_ctl_del(tern_ctl *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			client_close(&c->cl[i]);
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->ep >= 0)
		close(c->ep);
	if (c->path[0])
		unlink(c->path);
	free(c);
}
