/* tcp_ports.c - the table of bound TCP sockets, by local port: who holds
 * a port (bind, connect), whether another listener clashes, and which
 * listener takes a SYN. Buckets are chosen by port number and double
 * whenever there are more bound sockets than buckets (up to one per port),
 * so a lookup stays O(1) from a handful of sockets to 100,000 connections
 * (with 64 fixed buckets, a SYN would walk a chain of 1,500). */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

#define PORTS_MIN 64u
#define PORTS_MAX 65536u

int tern_tcp_ports_init(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	tcp->ports = tern_mem_alloc(st, PORTS_MIN * sizeof *tcp->ports);
	if (!tcp->ports)
		return TERN_ENOMEM;
	memset(tcp->ports, 0, PORTS_MIN * sizeof *tcp->ports);
	tcp->nports = PORTS_MIN;
	return 0;
}

void tern_tcp_ports_free(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	tern_mem_free(st, tcp->ports, tcp->nports * sizeof *tcp->ports);
	tcp->ports = NULL;
	tcp->nports = 0;
}

static tern_socket_list *port_bucket(tern_stack *st, uint16_t port)
{
	return &st->tcp->ports[port & (st->tcp->nports - 1)];
}

/* Twice the buckets; an allocation failure only leaves chains longer. */
static void ports_grow(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	uint32_t n = tcp->nports;
	if (tcp->nbound <= n || n >= PORTS_MAX)
		return;
	tern_socket_list *nb = tern_mem_alloc(st, 2 * n * sizeof *nb);
	if (!nb)
		return;
	memset(nb, 0, 2 * n * sizeof *nb);
	for (uint32_t b = 0; b < n; b++) {
		while (tcp->ports[b].head) {
			tern_socket *s = tcp->ports[b].head;
			tcp->ports[b].head = s->hnext;
			tern_socket_list *to = &nb[s->local.port & (2 * n - 1)];
			s->hnext = to->head;
			to->head = s;
		}
	}
	tern_mem_free(st, tcp->ports, n * sizeof *tcp->ports);
	tcp->ports = nb;
	tcp->nports = 2 * n;
}

/* Without TERN_SO_REUSEADDR a port is one socket's. With it on both
 * sockets, a port may be shared as long as at most one of them listens, so
 * a listener can take connections on a port a connecting socket also uses
 * (RFC 9293 3.9.1.1, MUST-42); the 4-tuple keeps the connections apart. */
bool tern_tcp_port_bound(tern_stack *st, const tern_socket *self, uint32_t addr, uint16_t port)
{
	for (tern_socket *s = port_bucket(st, port)->head; s; s = s->hnext) {
		if (s == self || s->local.port != port ||
		    (s->local.addr && addr && s->local.addr != addr))
			continue;
		bool shared = self && self->knobs.reuseaddr && s->knobs.reuseaddr && !s->listening;
		if (!shared)
			return true;
	}
	return false;
}

bool tern_tcp_listener_clash(const tern_socket *me)
{
	for (tern_socket *s = port_bucket(me->st, me->local.port)->head; s; s = s->hnext)
		if (s != me && s->listening && s->local.port == me->local.port &&
		    (!s->local.addr || !me->local.addr || s->local.addr == me->local.addr))
			return true;
	return false;
}

void tern_tcp_port_add(tern_socket *s)
{
	tern_socket_list *b = port_bucket(s->st, s->local.port);
	s->hnext = b->head;
	b->head = s;
	s->in_port_table = true;
	s->st->tcp->nbound++;
	ports_grow(s->st);
}

void tern_tcp_port_remove(tern_socket *s)
{
	for (tern_socket **pp = &port_bucket(s->st, s->local.port)->head; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			s->in_port_table = false;
			s->st->tcp->nbound--;
			return;
		}
	}
}

/* RFC 9293 3.10.7.2: the listener for a SYN; one bound to the exact
 * address wins over a wildcard one. */
tern_socket *tern_tcp_listener_lookup(tern_stack *st, uint32_t addr, uint16_t port)
{
	tern_socket *wild = NULL;
	for (tern_socket *s = port_bucket(st, port)->head; s; s = s->hnext) {
		if (!s->listening || s->local.port != port)
			continue;
		if (s->local.addr == addr)
			return s;
		if (!s->local.addr)
			wild = s;
	}
	return wild;
}
