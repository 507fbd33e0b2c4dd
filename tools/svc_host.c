/* svc_host.c - runs the services: listeners, accepted connections, and a
 * ready queue. Socket callbacks run inside tern_stack_input/poll, where
 * sending could re-enter the stack, so they only queue the connection; the
 * loop hook then steps each queued connection once. A connection queued
 * again while the hook runs waits for the next iteration, so one busy
 * connection cannot starve the others or the device. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

#define SVC_LISTENERS    8
#define SVC_BACKLOG      128
#define SVC_ACCEPT_BATCH 64
#define SVC_DRAIN_MAX    (256 * 1024)
/* Ended connections kept per listener for reuse: a connection a moment
 * costs no malloc/free pair (and no calloc zeroing of a fresh block). */
#define SVC_SPARE_MAX    64

typedef struct svc_link {
	struct svc_link *prev, *next;
} svc_link;

typedef struct svc_conn svc_conn;

typedef struct svc_listener {
	svc_host *h;
	const svc_ops *ops;
	tern_socket *s;
	bool ready;
	uint64_t accepted, refused;
	svc_conn *spare;   /* ended connections' memory, for the next ones */
	unsigned nspare;
} svc_listener;

struct svc_conn {
	svc_host *h;
	svc_listener *l;
	tern_socket *s;
	svc_link all;   /* every open connection */
	svc_link ready; /* queued for a step; prev == NULL when not */
	svc_conn *next_spare;
	_Alignas(max_align_t) unsigned char state[];
};

struct svc_host {
	tern_stack *st;
	svc_env env;
	svc_listener ls[SVC_LISTENERS];
	unsigned nls;
	bool listener_ready;
	svc_link all, ready;
	unsigned nready;
	uint64_t resets;
};

static const svc_ops *const svc_table[] = {
    &svc_echo, &svc_discard, &svc_daytime, &svc_qotd, &svc_chargen, &svc_http, &svc_smpp,
};

const svc_ops *svc_at(unsigned i)
{
	return i < sizeof svc_table / sizeof svc_table[0] ? svc_table[i] : NULL;
}

const svc_ops *svc_find(const char *name, size_t len)
{
	for (unsigned i = 0; svc_at(i); i++)
		if (strlen(svc_at(i)->name) == len && !memcmp(svc_at(i)->name, name, len))
			return svc_at(i);
	return NULL;
}

/* ---- intrusive lists -------------------------------------------------------- */

static void link_init(svc_link *head)
{
	head->prev = head->next = head;
}

static void link_push(svc_link *head, svc_link *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static void link_cut(svc_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

static svc_conn *conn_of_ready(svc_link *n)
{
	return (svc_conn *)((char *)n - offsetof(svc_conn, ready));
}

static svc_conn *conn_of_all(svc_link *n)
{
	return (svc_conn *)((char *)n - offsetof(svc_conn, all));
}

/* ---- callbacks: mark only --------------------------------------------------- */

static void conn_mark(svc_conn *c)
{
	if (c->ready.prev)
		return;
	link_push(&c->h->ready, &c->ready);
	c->h->nready++;
}

static void conn_cb(tern_socket *s, unsigned events, void *ctx)
{
	(void)s;
	(void)events;
	conn_mark(ctx);
}

static void listener_cb(tern_socket *s, unsigned events, void *ctx)
{
	svc_listener *l = ctx;
	(void)s;
	(void)events;
	l->ready = true;
	l->h->listener_ready = true;
}

/* ---- connections ------------------------------------------------------------ */

/* A zeroed connection with l's service state, as calloc gave it. */
static svc_conn *conn_get(svc_listener *l)
{
	size_t size = sizeof(svc_conn) + l->ops->state_size;
	svc_conn *c = l->spare;
	if (!c)
		return calloc(1, size);
	l->spare = c->next_spare;
	l->nspare--;
	memset(c, 0, size);
	return c;
}

static void conn_put(svc_listener *l, svc_conn *c)
{
	if (!c)
		return;
	if (l->nspare == SVC_SPARE_MAX) {
		free(c);
		return;
	}
	c->next_spare = l->spare;
	l->spare = c;
	l->nspare++;
}

static void conn_end(svc_conn *c, bool reset)
{
	svc_host *h = c->h;
	/* No callback may queue a connection that is going away. */
	tern_socket_set_callback(c->s, NULL, NULL);
	if (c->ready.prev) {
		link_cut(&c->ready);
		h->nready--;
	}
	link_cut(&c->all);
	if (c->l->ops->close)
		c->l->ops->close(c->state);
	if (reset) {
		h->resets++;
		tern_socket_abort(c->s);
	} else {
		tern_socket_close(c->s);
	}
	conn_put(c->l, c);
}

static void conn_step(svc_conn *c)
{
	switch (c->l->ops->step(c->state, c->s)) {
	case SVC_WAIT:
		break;
	case SVC_MORE:
		conn_mark(c);
		break;
	case SVC_CLOSE:
		conn_end(c, false);
		break;
	case SVC_ABORT:
		conn_end(c, true);
		break;
	}
}

static void conn_new(svc_listener *l, tern_socket *s)
{
	svc_host *h = l->h;
	svc_conn *c = conn_get(l);
	if (!c || l->ops->open(c->state, s, &h->env) < 0) {
		conn_put(l, c);
		l->refused++;
		tern_socket_abort(s);
		return;
	}
	c->h = h;
	c->l = l;
	c->s = s;
	link_push(&h->all, &c->all);
	tern_socket_set_callback(s, conn_cb, c);
	l->accepted++;
	/* Services that speak first (daytime, chargen) start right away. */
	conn_mark(c);
}

static void accept_some(svc_listener *l)
{
	l->ready = false;
	for (int i = 0; i < SVC_ACCEPT_BATCH; i++) {
		tern_socket *s;
		if (tern_socket_accept(l->s, &s, NULL) < 0)
			return;
		conn_new(l, s);
	}
	/* The batch ran out with connections still queued. */
	l->ready = true;
	l->h->listener_ready = true;
}

void svc_host_wake(svc_host *h, void *state)
{
	(void)h;
	conn_mark((svc_conn *)((char *)state - offsetof(svc_conn, state)));
}

/* ---- the host ------------------------------------------------------------- */

int svc_host_new(tern_stack *st, const svc_env *env, svc_host **out)
{
	svc_host *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	h->st = st;
	h->env = *env;
	h->env.host = h;
	link_init(&h->all);
	link_init(&h->ready);
	*out = h;
	return 0;
}

int svc_host_listen(svc_host *h, const svc_ops *ops, uint16_t port)
{
	if (h->nls == SVC_LISTENERS)
		return -ENOSPC;
	svc_listener *l = &h->ls[h->nls];
	tern_endpoint local = {.addr = 0, .port = port};
	int rc = tern_tcp_open(h->st, &l->s);
	if (rc < 0)
		return rc;
	if ((ops->sndbuf &&
	     (rc = tern_socket_setopt(l->s, TERN_SO_SNDBUF, (int)ops->sndbuf)) < 0) ||
	    (h->env.cc && (rc = tern_socket_set_cc(l->s, h->env.cc)) < 0) ||
	    (rc = tern_socket_bind(l->s, &local)) < 0 ||
	    (rc = tern_socket_listen(l->s, SVC_BACKLOG)) < 0) {
		tern_socket_close(l->s);
		l->s = NULL;
		return rc;
	}
	l->h = h;
	l->ops = ops;
	tern_socket_set_callback(l->s, listener_cb, l);
	h->nls++;
	return 0;
}

/* Work done here can arm stack timers (a retransmission timer for what was
 * just sent) after the loop took the stack's deadline: the loop reads the
 * stack's deadline again after its hook (src/host/loop.c service), so only
 * work still queued (a connection stepped again, a listener whose batch
 * ran out) asks for another iteration at once. */
tern_time svc_host_run(svc_host *h, tern_time now)
{
	if (h->listener_ready) {
		h->listener_ready = false;
		for (unsigned i = 0; i < h->nls; i++)
			if (h->ls[i].ready)
				accept_some(&h->ls[i]);
	}
	/* Only those queued before this pass; a step may queue more. */
	for (unsigned n = h->nready; n > 0 && h->nready > 0; n--) {
		svc_conn *c = conn_of_ready(h->ready.next);
		link_cut(&c->ready);
		h->nready--;
		conn_step(c);
	}
	return h->listener_ready || h->nready ? now : TERN_TIME_NEVER;
}

void svc_host_print_stats(const svc_host *h, FILE *f)
{
	char name[48];
	for (unsigned i = 0; i < h->nls; i++) {
		snprintf(name, sizeof name, "svc_%s_accepted", h->ls[i].ops->name);
		fprintf(f, "%-24s %" PRIu64 "\n", name, h->ls[i].accepted);
	}
	fprintf(f, "%-24s %" PRIu64 "\n", "svc_resets", h->resets);
}

void svc_host_del(svc_host *h)
{
	if (!h)
		return;
	while (h->all.next != &h->all)
		conn_end(conn_of_all(h->all.next), true);
	for (unsigned i = 0; i < h->nls; i++) {
		tern_socket_close(h->ls[i].s);
		while (h->ls[i].spare) {
			svc_conn *c = h->ls[i].spare;
			h->ls[i].spare = c->next_spare;
			free(c);
		}
	}
	free(h);
}

/* ---- helpers for services --------------------------------------------------- */

int svc_drain(tern_socket *s)
{
	/* Consumed where they lie: the bytes are never copied. */
	for (size_t got = 0; got < SVC_DRAIN_MAX;) {
		const void *at;
		int n = tern_socket_recv_view(s, &at);
		if (n == TERN_EAGAIN)
			return 1;
		if (n <= 0)
			return n;
		if (tern_socket_recv_done(s, (size_t)n) < 0)
			return TERN_EINVAL;
		got += (size_t)n;
	}
	return 2;
}

enum svc_next svc_msg_step(svc_msg *m, tern_socket *s)
{
	while (m->off < m->len) {
		int n = tern_socket_send(s, m->text + m->off, m->len - m->off, 0);
		if (n == TERN_EAGAIN)
			return SVC_WAIT;
		if (n < 0)
			return SVC_ABORT;
		m->off += (size_t)n;
	}
	/* Whatever the client sent is read first: closing with unread data
	 * would reset the connection (RFC 1122 4.2.2.13) and could destroy the
	 * message before the client reads it. */
	int rc = svc_drain(s);
	return rc < 0 ? SVC_ABORT : SVC_CLOSE;
}
