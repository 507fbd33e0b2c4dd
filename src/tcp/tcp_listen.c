/* tcp_listen.c - passive OPEN: listening sockets, the SYN queue (children
 * in SYN-RECEIVED) and the accept queue (children established, waiting for
 * accept), both bounded by the backlog and counted when full; the table of
 * bound TCP ports. */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

static tern_socket_list *port_bucket(tern_stack *st, uint16_t port)
{
	return &st->tcp->ports[port & (TERN_UDP_HASH - 1)];
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
}

void tern_tcp_port_remove(tern_socket *s)
{
	for (tern_socket **pp = &port_bucket(s->st, s->local.port)->head; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			s->in_port_table = false;
			return;
		}
	}
}

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

static void unlink_from(tern_tcb **head, tern_tcb *child, tern_tcb **tail)
{
	tern_tcb *prev = NULL;
	for (tern_tcb **pp = head; *pp; prev = *pp, pp = &(*pp)->qnext) {
		if (*pp == child) {
			*pp = child->qnext;
			if (tail && *tail == child)
				*tail = prev;
			child->qnext = NULL;
			return;
		}
	}
}

static bool in_list(tern_tcb *head, const tern_tcb *child)
{
	for (; head; head = head->qnext)
		if (head == child)
			return true;
	return false;
}

void tern_tcp_listener_forget(tern_socket *ls, tern_tcb *child)
{
	if (in_list(ls->synq, child)) {
		unlink_from(&ls->synq, child, NULL);
		ls->synq_len--;
	} else if (in_list(ls->acceptq_head, child)) {
		unlink_from(&ls->acceptq_head, child, &ls->acceptq_tail);
		ls->acceptq_len--;
	}
	child->listener = NULL;
}

void tern_tcp_listener_established(tern_socket *ls, tern_tcb *child)
{
	unlink_from(&ls->synq, child, NULL);
	ls->synq_len--;
	child->qnext = NULL;
	if (ls->acceptq_tail)
		ls->acceptq_tail->qnext = child;
	else
		ls->acceptq_head = child;
	ls->acceptq_tail = child;
	ls->acceptq_len++;
	tern_socket_notify(ls);
}

/* RFC 9293 3.10.7.2 "Third": a SYN makes a child in SYN-RECEIVED, with
 * IRS = SEG.SEQ, RCV.NXT = SEG.SEQ + 1, a fresh ISS, and a SYN-ACK. A full
 * queue drops the SYN silently: the client retries, as with Linux. */
void tern_tcp_listener_syn(tern_socket *ls, const tern_ip4_repr *ip, const tern_tcp_repr *seg)
{
	tern_stack *st = ls->st;
	if (ls->synq_len >= ls->backlog || ls->acceptq_len >= ls->backlog) {
		TERN_COUNT(st, tcp_listen_overflows);
		return;
	}
	tern_tcb *c = tern_tcb_new(st);
	if (!c)
		return;
	c->local.addr = ip->dst;
	c->local.port = seg->dport;
	c->remote.addr = ip->src;
	c->remote.port = seg->sport;
	tern_tcb_init_from_knobs(c, ls);
	/* RFC 9293 3.9.1.9: the listener's own route wins (MUST-52); else the
	 * reverse of the route the SYN came by (MUST-53) */
	if (!c->sr.n)
		tern_ip4_return_route(ip, &c->sr);
	c->passive = true;
	c->listener = ls;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = tern_tcp_isn(st, &c->local, &c->remote);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	c->ecn_recover = c->iss;
	c->rack.fack = c->rack.end_seq = c->iss;
	c->snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->max_snd_wnd = seg->wnd;
	tern_tcp_take_syn_options(c, &seg->opts);
	/* RFC 3168 6.1.1: an ECN-setup SYN carries both ECE and CWR */
	c->ecn_ok = (seg->flags & (TERN_TCP_ECE | TERN_TCP_CWR)) == (TERN_TCP_ECE | TERN_TCP_CWR) &&
		    !st->cfg.tcp_no_ecn;
	c->state = TERN_TCP_SYN_RECEIVED;
	tern_tcb_hash(c);
	c->qnext = ls->synq;
	ls->synq = c;
	ls->synq_len++;
	TERN_COUNT(st, tcp_passive_opens);
	tern_tcp_output(c);
}
