/* tcp_listen.c - passive OPEN: listening sockets, the SYN queue (children
 * in SYN-RECEIVED) and the accept queue (children established, waiting for
 * accept), both bounded by the backlog and counted when full. */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"
#include "tcp/tcp_syncookie.h"

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
	if (in_list(ls->lq->synq, child)) {
		unlink_from(&ls->lq->synq, child, NULL);
		ls->lq->synq_len--;
	} else if (in_list(ls->lq->acceptq_head, child)) {
		unlink_from(&ls->lq->acceptq_head, child, &ls->lq->acceptq_tail);
		ls->lq->acceptq_len--;
	}
	tern_tcb_set_listener(child, NULL);
}

void tern_tcp_listener_established(tern_socket *ls, tern_tcb *child)
{
	unlink_from(&ls->lq->synq, child, NULL);
	ls->lq->synq_len--;
	child->qnext = NULL;
	if (ls->lq->acceptq_tail)
		ls->lq->acceptq_tail->qnext = child;
	else
		ls->lq->acceptq_head = child;
	ls->lq->acceptq_tail = child;
	ls->lq->acceptq_len++;
	tern_socket_notify(ls);
}

/* RFC 9293 3.10.7.2 "Third": a child in SYN-RECEIVED with IRS = SEG.SEQ,
 * RCV.NXT = SEG.SEQ + 1 and the options of the SYN; ISS left to the caller.
 * Not yet in any table. */
static tern_tcb *child_new(tern_socket *ls, const tern_ip4_repr *ip, const tern_tcp_repr *syn,
			   const tern_tcp_opts *opts, bool ecn)
{
	tern_stack *st = ls->st;
	tern_tcb *c = tern_tcb_new(st);
	if (!c)
		return NULL;
	c->local.addr = ip->dst;
	c->local.port = syn->dport;
	c->remote.addr = ip->src;
	c->remote.port = syn->sport;
	/* RFC 9293 3.9.1.9: the listener's own route wins (MUST-52); else the
	 * reverse of the route the SYN came by (MUST-53). Out of memory for
	 * either, the SYN is dropped as when no TCB can be had. */
	tern_ip4_srcroute rr;
	if (!tern_tcb_init_from_knobs(c, ls) ||
	    (!c->sr && tern_ip4_return_route(ip, &rr) && !tern_tcb_set_route(c, &rr))) {
		tern_tcb_release(c);
		return NULL;
	}
	c->passive = true;
	c->irs = syn->seq;
	c->rcv_nxt = syn->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->snd_wnd = syn->wnd;
	c->snd_wl1 = syn->seq;
	c->max_snd_wnd = syn->wnd;
	tern_tcp_take_syn_options(c, opts);
	tern_tcp_pmtu_start(c);
	c->ecn_ok = ecn && !st->cfg.tcp_no_ecn;
	tern_trace_state(c, TERN_TCP_LISTEN, TERN_TCP_SYN_RECEIVED, "rcv SYN");
	c->state = TERN_TCP_SYN_RECEIVED;
	return c;
}

static void set_iss(tern_tcb *c, uint32_t iss)
{
	c->iss = iss;
	c->snd_una = c->snd_nxt = c->snd_max = iss;
	c->recover = iss;
	c->ecn_recover = iss;
}

static void synq_add(tern_socket *ls, tern_tcb *c)
{
	tern_tcb_set_listener(c, ls);
	tern_tcb_hash(c);
	c->qnext = ls->lq->synq;
	ls->lq->synq = c;
	ls->lq->synq_len++;
	TERN_COUNT(ls->st, tcp_passive_opens);
}

/* RFC 4987 3.6: with the SYN queue full, answer from a child that lives
 * only long enough to build the SYN-ACK; its ISS (and TSval) carry what
 * the returning ACK needs. */
static void send_cookie(tern_socket *ls, const tern_ip4_repr *ip, const tern_tcp_repr *seg,
			bool ecn)
{
	tern_stack *st = ls->st;
	tern_tcp_opts o = seg->opts;
	tern_tcb *c = child_new(ls, ip, seg, &o, ecn);
	if (!c)
		return;
	uint32_t mss;
	uint32_t peer = (o.present & TERN_TCPO_MSS) ? o.mss : TCP_DEFAULT_MSS;
	set_iss(c, tern_syncookie_iss(st, &c->local, &c->remote, seg->seq, peer, &mss));
	if (c->ts_ok) {
		uint32_t ts = tern_tcp_ts_now(c);
		uint32_t ws = c->ws_ok ? c->snd_wscale : TERN_SYNCOOKIE_NO_WS;
		c->ts_offset += tern_syncookie_ts_encode(ts, ws, c->sack_ok, c->ecn_ok) - ts;
	}
	ls->lq->cookies_until = st->now + 2 * 64 * (tern_time)1000000;
	TERN_COUNT(st, tcp_syncookies_sent);
	tern_tcp_output(c);
	tern_tcb_drop(c, 0);
}

/* A SYN makes a child and a SYN-ACK. A full accept queue drops the SYN
 * silently (the client retries, as with Linux); a full SYN queue answers
 * with a cookie unless cookies are configured off. */
void tern_tcp_listener_syn(tern_socket *ls, const tern_ip4_repr *ip, const tern_tcp_repr *seg)
{
	tern_stack *st = ls->st;
	/* RFC 3168 6.1.1: an ECN-setup SYN carries both ECE and CWR */
	bool ecn = (seg->flags & (TERN_TCP_ECE | TERN_TCP_CWR)) == (TERN_TCP_ECE | TERN_TCP_CWR);
	if (ls->lq->acceptq_len >= ls->backlog) {
		TERN_COUNT(st, tcp_listen_overflows);
		return;
	}
	/* Buffer memory so short that even pruning every out-of-order queue
	 * would not give one receive buffer: take on no new work (issue 5;
	 * the client's SYN is retried, RFC 9293 3.8.1). */
	if (!tern_tcp_mem_room(st, ls->knobs.rcvbuf)) {
		TERN_COUNT(st, tcp_mem_pressure_drops);
		return;
	}
	if (ls->lq->synq_len >= ls->backlog) {
		TERN_COUNT(st, tcp_listen_overflows);
		if (!st->cfg.tcp_no_syncookies)
			send_cookie(ls, ip, seg, ecn);
		return;
	}
	tern_tcb *c = child_new(ls, ip, seg, &seg->opts, ecn);
	if (!c)
		return;
	set_iss(c, tern_tcp_isn(st, &c->local, &c->remote));
	synq_add(ls, c);
	tern_tcp_output(c);
}

/* RFC 4987 3.6: an ACK to a listener may return a cookie. If it checks out,
 * the child is rebuilt in SYN-RECEIVED with its SYN already sent, and the
 * caller lets the ACK complete the handshake as usual. A good cookie that
 * finds the accept queue full is dropped (*drop), not reset: the peer's
 * next segment, within the cookie's lifetime, tries again (as Linux). So
 * is a bad cookie on a segment with data or FIN (see below). */
tern_tcb *tern_tcp_listener_cookie_ack(tern_socket *ls, const tern_ip4_repr *ip,
				       const tern_tcp_repr *seg, bool *drop)
{
	tern_stack *st = ls->st;
	*drop = false;
	if (st->cfg.tcp_no_syncookies || st->now >= ls->lq->cookies_until)
		return NULL;
	tern_endpoint l = {.addr = ip->dst, .port = seg->dport};
	tern_endpoint r = {.addr = ip->src, .port = seg->sport};
	uint32_t irs = seg->seq - 1, iss = seg->ack - 1, mss;
	if (!tern_syncookie_check(st, &l, &r, irs, iss, &mss)) {
		TERN_COUNT(st, tcp_syncookies_failed);
		/* The cookie (RFC 4987 3.6) binds the client's ISN, taken as
		 * SEG.SEQ - 1, so a segment with data or FIN that arrives
		 * after lost ones fails even from an honest client whose
		 * handshake-completing segments were dropped. The SYN-RECEIVED
		 * state the cookie stands in for would keep that connection
		 * (RFC 9293 3.10.7.4: an in-window segment is acceptable), so
		 * drop it silently rather than reset: the client's
		 * retransmission of its first segment brings the cookie back.
		 * A pure ACK still earns the RST of RFC 9293 3.10.7.2. */
		*drop = seg->payload_len > 0 || (seg->flags & TERN_TCP_FIN);
		return NULL;
	}
	if (ls->lq->acceptq_len >= ls->backlog) {
		TERN_COUNT(st, tcp_listen_overflows);
		*drop = true;
		return NULL;
	}
	tern_tcp_opts o = {.present = TERN_TCPO_MSS, .mss = (uint16_t)mss};
	bool ecn = false;
	if (seg->opts.present & TERN_TCPO_TS) {
		uint32_t ws;
		bool sack;
		tern_syncookie_ts_decode(seg->opts.ts_ecr, &ws, &sack, &ecn);
		o.present |= TERN_TCPO_TS;
		o.ts_val = seg->opts.ts_val;
		if (ws != TERN_SYNCOOKIE_NO_WS) {
			o.present |= TERN_TCPO_WSCALE;
			o.wscale = (uint8_t)ws;
		}
		if (sack)
			o.present |= TERN_TCPO_SACK_PERM;
	}
	tern_tcp_repr syn = *seg;
	syn.seq = irs;
	syn.wnd = 0;  /* the ACK's own window is taken as it is processed */
	tern_tcb *c = child_new(ls, ip, &syn, &o, ecn);
	if (!c)
		return NULL;
	set_iss(c, iss);
	c->snd_nxt = c->snd_max = iss + 1;
	/* the window our SYN-ACK offered (RFC 7323 2.2: unscaled on a SYN) */
	uint32_t wnd = tern_tcp_rcv_window(c);
	c->rcv_adv = c->rcv_nxt + (wnd > 65535 ? 65535 : wnd);
	synq_add(ls, c);
	TERN_COUNT(st, tcp_syncookies_ok);
	return c;
}
