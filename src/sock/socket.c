/* socket.c - the public socket API: handles, readiness, options, pending
 * errors; the transport-specific work is in src/udp (and later src/tcp). */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp_int.h"

static int socket_new(tern_stack *st, enum tern_sock_kind kind, tern_socket **out)
{
	if (!st || !out)
		return TERN_EINVAL;
	if (st->nsockets >= st->cfg.max_sockets)
		return TERN_ENOBUFS;
	tern_socket *s = st->tcp ? st->tcp->spare_sock : NULL;
	if (s)
		st->tcp->spare_sock = NULL;
	else
		s = tern_mem_alloc(st, sizeof *s);
	if (!s)
		return TERN_ENOMEM;
	memset(s, 0, sizeof *s);
	s->st = st;
	s->kind = kind;
	s->udp_csum = true;
	if (kind == TERN_SOCK_TCP)
		tern_tcp_knobs_default(st, &s->knobs);
	else
		s->rcvbuf = st->cfg.udp_rcvq_max;
	st->nsockets++;
	s->next = st->sockets;
	if (s->next)
		s->next->pprev = &s->next;
	st->sockets = s;
	s->pprev = &st->sockets;
	*out = s;
	return 0;
}

int tern_udp_open(tern_stack *st, tern_socket **out)
{
	return socket_new(st, TERN_SOCK_UDP, out);
}

int tern_tcp_open(tern_stack *st, tern_socket **out)
{
	return socket_new(st, TERN_SOCK_TCP, out);
}

typedef struct pick_ctx {
	tern_port_taken_fn taken;
	const tern_socket *self;
	uint32_t addr;
} pick_ctx;

static bool pick_in_use(tern_stack *st, uint16_t port, void *ctx)
{
	const pick_ctx *p = ctx;
	return p->taken(st, p->self, p->addr, port);
}

int tern_sock_claim_local(tern_socket *s, const tern_endpoint *local, tern_port_taken_fn taken)
{
	tern_stack *st = s->st;
	if (s->bound)
		return TERN_EINVAL;
	if (local->addr && !tern_ip4_local_iface(st, local->addr))
		return TERN_EADDRNOTAVAIL;
	pick_ctx ctx = {taken, s, local->addr};
	uint16_t port = local->port ? local->port : tern_port_pick(st, pick_in_use, &ctx);
	if (port == 0 || taken(st, s, local->addr, port))
		return TERN_EADDRINUSE;
	s->local.addr = local->addr;
	s->local.port = port;
	s->bound = true;
	return 0;
}

int tern_socket_bind(tern_socket *s, const tern_endpoint *local)
{
	if (!s || !local)
		return TERN_EINVAL;
	return s->kind == TERN_SOCK_TCP ? tern_tcp_bind(s, local) : tern_udp_bind(s, local);
}

int tern_socket_connect(tern_socket *s, const tern_endpoint *remote)
{
	if (!s || !remote)
		return TERN_EINVAL;
	return s->kind == TERN_SOCK_TCP ? tern_tcp_connect(s, remote) : tern_udp_connect(s, remote);
}

/* A pending error is reported once, by the next call that can report it
 * (as Linux does with sk_err). */
static int take_error(tern_socket *s)
{
	int e = s->err;
	s->err = 0;
	return e;
}

int tern_socket_sendto(tern_socket *s, const void *buf, size_t len, const tern_endpoint *dst)
{
	if (!s || (!buf && len))
		return TERN_EINVAL;
	if (s->kind == TERN_SOCK_TCP)
		return tern_socket_send(s, buf, len, 0);
	if (s->err)
		return take_error(s);
	return tern_udp_sendto(s, buf, len, dst);
}

int tern_socket_recvfrom(tern_socket *s, void *buf, size_t cap, tern_endpoint *src)
{
	if (!s || (!buf && cap))
		return TERN_EINVAL;
	if (s->kind == TERN_SOCK_TCP) {
		if (src)
			*src = s->remote;
		return tern_socket_recv(s, buf, cap, 0);
	}
	if (s->err)
		return take_error(s);
	return tern_udp_recvfrom(s, buf, cap, src);
}

int tern_socket_close(tern_socket *s)
{
	if (!s)
		return TERN_EINVAL;
	tern_stack *st = s->st;
	if (s->kind == TERN_SOCK_TCP)
		tern_tcp_close(s);
	else
		tern_udp_close(s);
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	st->nsockets--;
	/* Kept for the next socket (an accepted connection a moment would
	 * otherwise allocate and free one each); see struct tern_tcp. */
	if (st->tcp && !st->tcp->spare_sock) {
		st->tcp->spare_sock = s;
		tern_tcp_spare_hold(st->tcp);
		return 0;
	}
	tern_mem_free(st, s, sizeof *s);
	return 0;
}

unsigned tern_socket_events(const tern_socket *s)
{
	if (s->kind == TERN_SOCK_TCP)
		return tern_tcp_events(s);
	unsigned ev = TERN_EV_WRITABLE;
	if (s->rq_head || s->err)
		ev |= TERN_EV_READABLE;
	if (s->err)
		ev |= TERN_EV_ERROR;
	return ev;
}

void tern_socket_set_callback(tern_socket *s, tern_socket_cb cb, void *ctx)
{
	s->cb = cb;
	s->cb_ctx = ctx;
}

void tern_socket_notify(tern_socket *s)
{
	if (s->cb)
		s->cb(s, tern_socket_events(s), s->cb_ctx);
}

/* RFC 1122 4.2.4.2 and 3.2.1.6-7 (RFC 9293 MUST-48/49): the application
 * chooses the type of service and the TTL of what its socket sends. A TTL
 * of 0 is never sent (RFC 1122 3.2.1.7). */
static int set_ip_field(tern_socket *s, int opt, int value)
{
	if (value < 0 || value > 255 || (opt == TERN_SO_TTL && value == 0))
		return TERN_EINVAL;
	if (opt == TERN_SO_TOS)
		s->tos = (uint8_t)value;
	else
		s->ttl = (uint8_t)value;
	if (s->kind == TERN_SOCK_TCP)
		tern_tcp_ip_fields_changed(s);
	return 0;
}

int tern_socket_setopt(tern_socket *s, int opt, int value)
{
	if (!s)
		return TERN_EINVAL;
	if (opt == TERN_SO_TOS || opt == TERN_SO_TTL)
		return set_ip_field(s, opt, value);
	if (s->kind == TERN_SOCK_TCP)
		return tern_tcp_setopt(s, opt, value);
	switch (opt) {
	case TERN_SO_RCVBUF:
		if (value <= 0 || value > (16 << 20))
			return TERN_EINVAL;
		s->rcvbuf = (uint32_t)value;
		return 0;
	case TERN_SO_UDP_CHECKSUM:
		if (value != 0 && value != 1)
			return TERN_EINVAL;
		s->udp_csum = value;
		return 0;
	default:
		return TERN_EINVAL;
	}
}

int tern_socket_getopt(tern_socket *s, int opt, int *value)
{
	if (!s || !value)
		return TERN_EINVAL;
	if (opt == TERN_SO_TOS || opt == TERN_SO_TTL) {
		*value = opt == TERN_SO_TOS ? s->tos : (s->ttl ? s->ttl : s->st->cfg.ip_ttl);
		return 0;
	}
	if (s->kind == TERN_SOCK_TCP)
		return tern_tcp_getopt(s, opt, value);
	switch (opt) {
	case TERN_SO_RCVBUF: *value = (int)s->rcvbuf; return 0;
	case TERN_SO_UDP_CHECKSUM: *value = s->udp_csum; return 0;
	case TERN_SO_ERROR: *value = take_error(s); return 0;
	default: return TERN_EINVAL;
	}
}

int tern_socket_name(const tern_socket *s, tern_endpoint *local, tern_endpoint *remote)
{
	if (!s)
		return TERN_EINVAL;
	if (local)
		*local = s->local;
	if (remote) {
		tern_endpoint none = {0, 0};
		*remote = s->connected ? s->remote : none;
	}
	return 0;
}

void tern_sockets_free_all(tern_stack *st)
{
	while (st->sockets)
		tern_socket_close(st->sockets);
}
