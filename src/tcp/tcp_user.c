/* tcp_user.c - the RFC 9293 3.10 user calls (OPEN, SEND, RECEIVE, CLOSE,
 * ABORT, STATUS) behind the socket API. */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"

void tern_tcp_knobs_default(tern_stack *st, tern_tcp_knobs *k)
{
	memset(k, 0, sizeof *k);
	/* RFC 1122 4.2.3.6: keepalive off by default, idle >= 2 hours */
	k->keep_idle = 7200;
	k->keep_intvl = 75;
	k->keep_cnt = 9;
	k->sndbuf = st->cfg.tcp_sndbuf;
	k->rcvbuf = st->cfg.tcp_rcvbuf;
	k->cc = tern_cc_default();
	k->linger = -1;
}

/* The TCB keeps the keepalive times in 16-bit seconds and the user
 * timeout in 32-bit milliseconds, as the knobs do (issue 4: lean
 * connections): the options are set in whole seconds up to 32767
 * (keepalive) and in milliseconds (user timeout), so nothing is lost. */
static void tern_tcb_take_times(tern_tcb *tcb, const tern_tcp_knobs *k)
{
	tcb->keep_idle = k->keep_idle;
	tcb->keep_intvl = k->keep_intvl;
	tcb->keep_cnt = (uint8_t)k->keep_cnt;  /* TERN_SO_KEEPCNT: 1..127 */
	tcb->user_timeout = k->user_timeout;
}

bool tern_tcb_init_from_knobs(tern_tcb *tcb, const tern_socket *s)
{
	const tern_tcp_knobs *k = &s->knobs;
	tcb->nodelay = k->nodelay;
	tcb->keepalive_on = k->keepalive;
	tern_tcb_take_times(tcb, k);
	tcb->cc_id = tern_cc_id(k->cc);
	tcb->tos = s->tos;
	tcb->ttl = s->ttl;
	tern_sndbuf_init(&tcb->snd, k->sndbuf);
	tern_rcvbuf_init(&tcb->rcv, k->rcvbuf);
	tern_rcv_tune_init(tcb, k->rcvbuf_set ? 0 : tcb->st->cfg.tcp_rcvbuf_max);
	tcb->snd_tune = !k->sndbuf_set && tcb->st->cfg.tcp_sndbuf_max > tcb->snd.cap;
	struct tern_iface *ifc = tern_route_lookup(tcb->st, tcb->remote.addr, NULL);
	uint32_t mtu = ifc ? ifc->mtu : 576;
	/* RFC 9293 3.7.1: MSS = MTU - fixed IP and TCP headers */
	tcb->rmss = (uint16_t)(mtu - TERN_IP4_HLEN - TERN_TCP_HLEN);
	tcb->tso_max = ifc ? (uint16_t)ifc->tso_max : 0;
	tcb->csum_tx_off = ifc && (ifc->csum_offload & TERN_CSUM_OFFLOAD_TCP_TX);
	tcb->smss = 536;
	tcb->ccs.mss = tcb->smss;
	tern_tcp_opt_init(tcb);
	return !k->sr || tern_tcb_set_route(tcb, k->sr);
}

int tern_tcp_bind(tern_socket *s, const tern_endpoint *local)
{
	int rc = tern_sock_claim_local(s, local, tern_tcp_port_bound);
	if (rc == 0)
		tern_tcp_port_add(s);
	return rc;
}

int tern_socket_listen(tern_socket *s, int backlog)
{
	if (!s)
		return TERN_EINVAL;
	if (s->kind != TERN_SOCK_TCP)
		return TERN_EOPNOTSUPP;
	if (s->tcb || backlog < 1 || backlog > 65535)
		return TERN_EINVAL;
	if (!s->bound) {
		tern_endpoint any = {0, 0};
		int rc = tern_tcp_bind(s, &any);
		if (rc)
			return rc;
	}
	if (tern_tcp_listener_clash(s))
		return TERN_EADDRINUSE;
	if (!s->lq) {
		s->lq = tern_mem_alloc(s->st, sizeof *s->lq);
		if (!s->lq)
			return TERN_ENOMEM;  /* counted in mem_alloc_fail */
		memset(s->lq, 0, sizeof *s->lq);
	}
	s->listening = true;
	s->backlog = (uint32_t)backlog;
	return 0;
}

int tern_tcp_connect(tern_socket *s, const tern_endpoint *remote)
{
	tern_stack *st = s->st;
	if (s->listening || remote->addr == 0 || remote->port == 0)
		return TERN_EINVAL;
	if (s->tcb)
		return s->tcb->state == TERN_TCP_SYN_SENT ? TERN_EALREADY : TERN_EISCONN;
	uint32_t src = s->local.addr ? s->local.addr : tern_ip4_source_for(st, remote->addr);
	if (!src)
		return TERN_ENETUNREACH;
	/* RFC 9293 3.9.1 (MUST-46): an active OPEN to a broadcast or multicast
	 * address is an error. */
	if (tern_ip4_is_bcast_or_mcast(tern_route_lookup(st, remote->addr, NULL), remote->addr))
		return TERN_ENETUNREACH;
	if (!s->bound) {
		tern_endpoint l = {0, tern_tcp_ephemeral(st, src, remote)};
		if (!l.port)
			return TERN_EADDRNOTAVAIL;
		int rc = tern_tcp_bind(s, &l);
		if (rc)
			return rc;
	}
	tern_tw *tw;
	if (tern_tcp_lookup(st, src, s->local.port, remote->addr, remote->port, &tw) || tw)
		return TERN_EADDRINUSE;
	tern_tcb *tcb = tern_tcb_new(st);
	if (!tcb)
		return TERN_ENOBUFS;
	tcb->local.addr = src;
	tcb->local.port = s->local.port;
	tcb->remote = *remote;
	if (!tern_tcb_init_from_knobs(tcb, s)) {
		tern_tcb_release(tcb);  /* never hashed: freed at once */
		return TERN_ENOBUFS;
	}
	tcb->iss = tern_tcp_isn(st, &tcb->local, &tcb->remote);
	tcb->snd_una = tcb->snd_nxt = tcb->snd_max = tcb->recover = tcb->iss;
	tcb->ecn_recover = tcb->iss;
	tern_trace_state(tcb, TERN_TCP_CLOSED, TERN_TCP_SYN_SENT, "open");
	tcb->state = TERN_TCP_SYN_SENT;
	tern_tcb_hash(tcb);
	tern_tcb_set_sock(tcb, s);
	s->tcb = tcb;
	s->remote = *remote;
	s->connected = true;
	TERN_COUNT(st, tcp_active_opens);
	tern_tcp_output(tcb);
	return TERN_EINPROGRESS;
}

static tern_socket *new_child_socket(tern_socket *ls, tern_tcb *c)
{
	tern_socket *s;
	if (tern_tcp_open(ls->st, &s))
		return NULL;
	s->knobs = ls->knobs;
	/* the listener's route is its own: the connection carries a copy
	 * (tcb->sr), and a connected socket opens no other */
	s->knobs.sr = NULL;
	s->tos = ls->tos;
	s->ttl = ls->ttl;
	s->local = c->local;
	s->remote = c->remote;
	s->connected = true;
	s->tcb = c;
	tern_tcb_set_sock(c, s);
	tern_tcb_set_listener(c, NULL);
	return s;
}

int tern_socket_accept(tern_socket *ls, tern_socket **out, tern_endpoint *peer)
{
	if (!ls || !out)
		return TERN_EINVAL;
	if (ls->kind != TERN_SOCK_TCP || !ls->listening)
		return TERN_EINVAL;
	tern_tcb *c = ls->lq->acceptq_head;
	if (!c)
		return TERN_EAGAIN;
	tern_socket *s = new_child_socket(ls, c);
	if (!s)
		return TERN_ENOBUFS;
	ls->lq->acceptq_head = c->qnext;
	if (!ls->lq->acceptq_head)
		ls->lq->acceptq_tail = NULL;
	ls->lq->acceptq_len--;
	c->qnext = NULL;
	if (peer)
		*peer = c->remote;
	*out = s;
	return 0;
}

static int conn_error(tern_tcb *tcb)
{
	return tcb->err ? tcb->err : TERN_EPIPE;
}

/* The connection of s if it may send now (RFC 9293 3.10.2 SEND), else 0
 * with *err set. */
static tern_tcb *send_tcb(tern_socket *s, int *err)
{
	tern_tcb *tcb = s->tcb;
	*err = TERN_ENOTCONN;
	if (!tcb)
		return NULL;
	switch (tcb->state) {
	case TERN_TCP_SYN_SENT:
	case TERN_TCP_SYN_RECEIVED:
	case TERN_TCP_ESTABLISHED:
	case TERN_TCP_CLOSE_WAIT:
		break;
	default:
		*err = conn_error(tcb);
		return NULL;
	}
	*err = TERN_EPIPE;
	return tcb->fin_queued ? NULL : tcb;
}

/* Send-buffer auto-tuning, as Linux's tcp_sndbuf_expand: a writer that
 * finds the ring too small for what it wants to write, while congestion
 * control and the peer's window would let more than the ring holds be in
 * flight, gets a ring of twice that much (one flight being acknowledged
 * and the next), up to tcp_sndbuf_max. A peer that does not read (window
 * 0) or a small cwnd never grows it; growth is refused under the
 * stack-wide memory limit like any ring. */
static void snd_tune(tern_tcb *tcb, size_t want)
{
	if (!tcb->snd_tune || tern_sndbuf_space(&tcb->snd) >= want)
		return;
	uint32_t allow = tcb->snd_wnd < tcb->ccs.cwnd ? tcb->snd_wnd : tcb->ccs.cwnd;
	uint64_t cap = 2 * (uint64_t)allow, max = tcb->st->cfg.tcp_sndbuf_max;
	if (cap > max)
		cap = max;
	if (cap > tcb->snd.cap && tern_sndbuf_grow(tcb->st, &tcb->snd, (uint32_t)cap) == 0)
		TERN_COUNT(tcb->st, tcp_sndbuf_grown);
}

/* New bytes are in the send ring: restart after idle, then send. */
static void after_write(tern_tcb *tcb)
{
	if (tcb->snd_nxt == tcb->snd_max && tcb->snd_una == tcb->snd_max && tcb->last_snd &&
	    tcb->state >= TERN_TCP_ESTABLISHED) {
		tern_cc_stat cs = tern_cc_view(tcb);
		tern_time now = tcb->st->now;
		tern_time idle = now - tern_t32_at(now, tcb->last_snd, TERN_T32_MS);
		tern_tcb_cc(tcb)->on_idle_restart(&cs, tcb->cc_state, idle, tern_tcb_rto(tcb, 0));
		tern_cc_take(tcb, &cs);
		tern_trace_cwnd(tcb, "idle");
	}
	tern_tcp_output(tcb);
}

int tern_socket_send(tern_socket *s, const void *buf, size_t len, int flags)
{
	if (!s || (!buf && len))
		return TERN_EINVAL;
	if (s->kind != TERN_SOCK_TCP)
		return tern_socket_sendto(s, buf, len, NULL);
	int err;
	tern_tcb *tcb = send_tcb(s, &err);
	if (!tcb)
		return err;
	snd_tune(tcb, len);
	int n = tern_sndbuf_write(tcb->st, &tcb->snd, buf, len);
	if (n < 0)
		return n;
	if (n == 0)
		return len ? TERN_EAGAIN : 0;
	if (flags & TERN_MSG_OOB) {
		tcb->snd_up = tcb->snd_una + tcb->snd.len;
		tcb->snd_urgent = true;
	}
	after_write(tcb);
	return n;
}

int tern_socket_send_view(tern_socket *s, void **buf)
{
	if (!s || !buf)
		return TERN_EINVAL;
	*buf = NULL;
	if (s->kind != TERN_SOCK_TCP)
		return TERN_EOPNOTSUPP;
	int err;
	tern_tcb *tcb = send_tcb(s, &err);
	if (!tcb)
		return err;
	uint8_t *at;
	snd_tune(tcb, 1);
	int n = tern_sndbuf_reserve(tcb->st, &tcb->snd, &at);
	if (n <= 0)
		return n < 0 ? n : TERN_EAGAIN;
	*buf = at;
	return n;
}

int tern_socket_send_done(tern_socket *s, size_t n)
{
	if (!s || s->kind != TERN_SOCK_TCP)
		return s ? TERN_EOPNOTSUPP : TERN_EINVAL;
	int err;
	tern_tcb *tcb = send_tcb(s, &err);
	if (!tcb)
		return err;
	if (n > tern_sndbuf_tail_room(&tcb->snd))
		return TERN_EINVAL;
	tern_sndbuf_commit(tcb->st, &tcb->snd, (uint32_t)n);
	if (n)
		after_write(tcb);
	return 0;
}

/* After the reader frees space, a segment of its own tells the peer only
 * when that matters: the window the peer knows is closed, or the opening is
 * at least two segments (RFC 9293 3.8.6.2.2 lets it grow by min(half the
 * buffer, one MSS)) and either a quarter of the buffer or comes when the
 * peer knows of an eighth of it or less, or it is half the buffer (as
 * FreeBSD's tcp_output decides). Otherwise the next ACK carries the new
 * window: a reader taking a few KiB at a time must not answer every read
 * with a segment (one per 4 KiB read tripled the ACKs of a bulk receive). */
static void maybe_window_update(tern_tcb *tcb)
{
	/* An ACK still owed for data the reader has now taken all of is due
	 * now rather than when the delayed-ACK timer would run out (as
	 * Linux's tcp_cleanup_rbuf decides): when the sender's last segment
	 * of a flight is the odd one, the wait (RFC 9293 3.8.6.3) only stalls
	 * it. Due, not sent: a reply the application writes before the stack
	 * runs its timers still carries the ACK, as the delay intends. */
	if (tern_tcp_timer_is_set(tcb, TCPT_DELACK) && tcb->rcv.len == 0) {
		tern_tcp_timer_set(tcb, TCPT_DELACK, tcb->st->now);
		return;
	}
	uint32_t old = seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	uint32_t now = tern_tcp_rcv_window(tcb);
	if (now <= old)
		return;
	uint32_t open = now - old, buf = tcb->rcv.cap;
	bool worth = open >= 2u * tcb->rmss && (open >= buf / 4 || old <= buf / 8);
	if (old == 0 || worth || open >= buf / 2)
		tern_tcp_send_ack(tcb);
}

/* The reader consumed bytes: the urgent mark may be behind it now, and the
 * window may have opened. */
static void after_read(tern_tcb *tcb)
{
	if (tcb->rcv_urgent && seq_geq(tcb->rcv_nxt - tcb->rcv.len, tcb->rcv_up))
		tcb->rcv_urgent = false;
	if (tcb->state >= TERN_TCP_ESTABLISHED && tcb->state != TERN_TCP_CLOSED &&
	    tcb->state != TERN_TCP_TIME_WAIT)
		maybe_window_update(tcb);
}

/* What a read finds with nothing to read: 0 at the end of the stream, the
 * connection's error, or TERN_EAGAIN. */
static int nothing_to_read(const tern_tcb *tcb)
{
	if (tcb->fin_rcvd || tcb->rd_shut)
		return 0;
	if (tcb->err)
		return tcb->err;
	if (tcb->state == TERN_TCP_CLOSED)
		return 0;
	return TERN_EAGAIN;
}

int tern_socket_recv(tern_socket *s, void *buf, size_t cap, int flags)
{
	if (!s || (!buf && cap))
		return TERN_EINVAL;
	if (s->kind != TERN_SOCK_TCP)
		return tern_socket_recvfrom(s, buf, cap, NULL);
	tern_tcb *tcb = s->tcb;
	if (!tcb)
		return TERN_ENOTCONN;
	if (!tcb->rcv.len)
		return nothing_to_read(tcb);
	uint32_t want = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	bool peek = flags & TERN_MSG_PEEK;
	uint32_t n = tern_rcvbuf_read(tcb->st, &tcb->rcv, buf, want, peek);
	if (!peek)
		after_read(tcb);
	return (int)n;
}

int tern_socket_recv_view(tern_socket *s, const void **data)
{
	if (!s || !data)
		return TERN_EINVAL;
	*data = NULL;
	if (s->kind != TERN_SOCK_TCP)
		return TERN_EOPNOTSUPP;
	tern_tcb *tcb = s->tcb;
	if (!tcb)
		return TERN_ENOTCONN;
	if (!tcb->rcv.len)
		return nothing_to_read(tcb);
	const uint8_t *at;
	uint32_t n = tern_rcvbuf_view(&tcb->rcv, &at);
	*data = at;
	return (int)n;
}

int tern_socket_recv_done(tern_socket *s, size_t n)
{
	if (!s || s->kind != TERN_SOCK_TCP)
		return s ? TERN_EOPNOTSUPP : TERN_EINVAL;
	tern_tcb *tcb = s->tcb;
	if (!tcb)
		return TERN_ENOTCONN;
	const uint8_t *at;
	if (n > tern_rcvbuf_view(&tcb->rcv, &at))
		return TERN_EINVAL;
	if (n) {
		tern_rcvbuf_consume(tcb->st, &tcb->rcv, (uint32_t)n);
		after_read(tcb);
	}
	return 0;
}

/* RFC 9293 3.10.4 CLOSE: the FIN follows the queued data. */
static void close_write(tern_tcb *tcb)
{
	switch (tcb->state) {
	case TERN_TCP_SYN_SENT:
		tern_tcb_drop(tcb, 0);
		return;
	case TERN_TCP_SYN_RECEIVED:
		tcb->fin_queued = true;  /* sent once established */
		return;
	case TERN_TCP_ESTABLISHED:
		tcb->fin_queued = true;
		tern_tcb_set_state(tcb, TERN_TCP_FIN_WAIT_1, "close");
		break;
	case TERN_TCP_CLOSE_WAIT:
		tcb->fin_queued = true;
		tern_tcb_set_state(tcb, TERN_TCP_LAST_ACK, "close");
		break;
	default:
		return;
	}
	tern_tcp_output(tcb);
}

int tern_socket_shutdown(tern_socket *s, int how)
{
	if (!s || how < TERN_SHUT_RD || how > TERN_SHUT_RDWR)
		return TERN_EINVAL;
	if (s->kind != TERN_SOCK_TCP || !s->tcb)
		return TERN_ENOTCONN;
	if (how & TERN_SHUT_RD)
		s->tcb->rd_shut = true;
	if (how & TERN_SHUT_WR)
		close_write(s->tcb);
	return 0;
}

static bool synchronized(const tern_tcb *tcb)
{
	return tcb->state >= TERN_TCP_SYN_RECEIVED && tcb->state != TERN_TCP_TIME_WAIT;
}

/* RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> in synchronized states. */
static void abort_tcb(tern_tcb *tcb)
{
	if (synchronized(tcb))
		tern_tcp_send_bare(tcb->st, tcb->local.addr, tcb->local.port, tcb->remote.addr,
				   tcb->remote.port, tcb->snd_nxt, 0, TERN_TCP_RST, NULL);
	tern_tcb_set_sock(tcb, NULL);
	tern_tcb_drop(tcb, TERN_ECONNABORTED);
}

/* The socket goes at once; a connection that is not synchronized, or is
 * already CLOSED or in TIME-WAIT, sends nothing (3.10.5). */
int tern_socket_abort(tern_socket *s)
{
	if (!s)
		return TERN_EINVAL;
	if (s->kind != TERN_SOCK_TCP)
		return tern_socket_close(s);
	tern_tcb *tcb = s->tcb;
	s->tcb = NULL;
	if (tcb && (tcb->state == TERN_TCP_CLOSED || tcb->state == TERN_TCP_TIME_WAIT))
		tern_tcb_release(tcb);
	else if (tcb)
		abort_tcb(tcb);
	return tern_socket_close(s);
}

static void close_listener(tern_socket *ls)
{
	while (ls->lq->synq)
		abort_tcb(ls->lq->synq);
	while (ls->lq->acceptq_head)
		abort_tcb(ls->lq->acceptq_head);
	ls->listening = false;
	tern_mem_free(ls->st, ls->lq, sizeof *ls->lq);
	ls->lq = NULL;
}

/* Called by tern_socket_close for TCP sockets: a listener takes its
 * children down; a connection closes gracefully and lives on as an orphan
 * until its FIN is acknowledged, unless unread data remains, in which case
 * RFC 1122 4.2.2.13 says to reset. */
void tern_tcp_close(tern_socket *s)
{
	tern_mem_free(s->st, s->knobs.sr, sizeof *s->knobs.sr);
	s->knobs.sr = NULL;
	if (s->listening)
		close_listener(s);
	if (s->in_port_table)
		tern_tcp_port_remove(s);
	tern_tcb *tcb = s->tcb;
	s->tcb = NULL;
	if (!tcb)
		return;
	/* RFC 1122 4.2.2.13: unread data makes the close a reset; so does
	 * SO_LINGER 0, the classic abortive close */
	if ((tcb->rcv.len || s->knobs.linger == 0) && synchronized(tcb)) {
		abort_tcb(tcb);
		return;
	}
	close_write(tcb);
	tern_tcb_release(tcb);
}

unsigned tern_tcp_events(const tern_socket *s)
{
	if (s->listening)
		return s->lq->acceptq_head ? TERN_EV_READABLE : 0;
	const tern_tcb *tcb = s->tcb;
	if (!tcb)
		return 0;
	unsigned ev = 0;
	bool closed = tcb->state == TERN_TCP_CLOSED;
	if (tcb->rcv.len || tcb->fin_rcvd || tcb->err || closed)
		ev |= TERN_EV_READABLE;
	/* a send ring without storage is writable only if the stack-wide
	 * limit would give it some (else a write would meet EAGAIN) */
	if ((tcb->state == TERN_TCP_ESTABLISHED || tcb->state == TERN_TCP_CLOSE_WAIT) &&
	    !tcb->fin_queued && tern_sndbuf_space(&tcb->snd) &&
	    (tcb->snd.mem || tern_tcp_mem_room(tcb->st, tcb->snd.cap)))
		ev |= TERN_EV_WRITABLE;
	if (tcb->err)
		ev |= TERN_EV_ERROR | TERN_EV_WRITABLE;
	if (tcb->fin_rcvd || closed)
		ev |= TERN_EV_HUP;
	if (tcb->rcv_urgent)
		ev |= TERN_EV_URGENT;
	if (tcb->soft_err_fresh)
		ev |= TERN_EV_SOFT_ERROR;
	return ev;
}

void tern_tcp_ip_fields_changed(tern_socket *s)
{
	if (s->tcb) {
		s->tcb->tos = s->tos;
		s->tcb->ttl = s->ttl;
	}
}

int tern_tcp_setopt(tern_socket *s, int opt, int value)
{
	tern_tcp_knobs *k = &s->knobs;
	tern_tcb *tcb = s->tcb;
	if (value < 0 && !(opt == TERN_SO_LINGER && value == -1))
		return TERN_EINVAL;
	switch (opt) {
	case TERN_SO_NODELAY:
		k->nodelay = value != 0;
		if (tcb) {
			tcb->nodelay = k->nodelay;
			tern_tcp_output(tcb);
		}
		return 0;
	case TERN_SO_KEEPALIVE:
		k->keepalive = value != 0;
		if (tcb) {
			tcb->keepalive_on = k->keepalive;
			if (k->keepalive && tcb->state == TERN_TCP_ESTABLISHED)
				tern_tcp_timer_set(tcb, TCPT_KEEPALIVE,
						   tcb->st->now + TERN_SEC(tcb->keep_idle));
			else if (!k->keepalive)
				tern_tcp_timer_clear(tcb, TCPT_KEEPALIVE);
		}
		return 0;
	case TERN_SO_KEEPIDLE:
	case TERN_SO_KEEPINTVL:
		if (value < 1 || value > 32767)
			return TERN_EINVAL;
		*(opt == TERN_SO_KEEPIDLE ? &k->keep_idle : &k->keep_intvl) = (uint16_t)value;
		break;
	case TERN_SO_KEEPCNT:
		if (value < 1 || value > 127)
			return TERN_EINVAL;
		k->keep_cnt = (unsigned)value;
		break;
	case TERN_SO_USER_TIMEOUT:
		k->user_timeout = (uint32_t)value;  /* milliseconds, >= 0 */
		break;
	case TERN_SO_REUSEADDR:
		if (s->bound)
			return TERN_EINVAL;
		k->reuseaddr = value != 0;
		return 0;
	case TERN_SO_LINGER:
		k->linger = value;
		return 0;
	case TERN_SO_SNDBUF:
	case TERN_SO_RCVBUF:
		if (value < 1024 || value > (64 << 20) || tcb)
			return TERN_EINVAL;
		*(opt == TERN_SO_SNDBUF ? &k->sndbuf : &k->rcvbuf) = (uint32_t)value;
		/* as Linux: a size asked for is kept */
		*(opt == TERN_SO_SNDBUF ? &k->sndbuf_set : &k->rcvbuf_set) = true;
		return 0;
	default:
		return TERN_EINVAL;
	}
	if (tcb)
		tern_tcb_take_times(tcb, k);
	return 0;
}

int tern_tcp_getopt(tern_socket *s, int opt, int *value)
{
	const tern_tcp_knobs *k = &s->knobs;
	switch (opt) {
	case TERN_SO_NODELAY: *value = k->nodelay; return 0;
	case TERN_SO_KEEPALIVE: *value = k->keepalive; return 0;
	case TERN_SO_KEEPIDLE: *value = k->keep_idle; return 0;
	case TERN_SO_KEEPINTVL: *value = k->keep_intvl; return 0;
	case TERN_SO_KEEPCNT: *value = (int)k->keep_cnt; return 0;
	case TERN_SO_USER_TIMEOUT: *value = (int)k->user_timeout; return 0;
	case TERN_SO_SNDBUF: *value = (int)k->sndbuf; return 0;
	case TERN_SO_REUSEADDR: *value = k->reuseaddr; return 0;
	case TERN_SO_LINGER: *value = k->linger; return 0;
	case TERN_SO_RCVBUF: *value = (int)k->rcvbuf; return 0;
	case TERN_SO_SOFT_ERROR:
		*value = s->tcb ? s->tcb->soft_err : 0;
		if (s->tcb)
			s->tcb->soft_err_fresh = false;
		return 0;
	case TERN_SO_ERROR:
		*value = s->tcb ? s->tcb->err : 0;
		if (s->tcb)
			s->tcb->err = 0;
		return 0;
	default: return TERN_EINVAL;
	}
}

int tern_socket_set_source_route(tern_socket *s, const uint32_t *hops, size_t n, bool strict)
{
	if (!s || s->kind != TERN_SOCK_TCP || s->tcb || n > TERN_IP4_SR_MAX || (n && !hops))
		return TERN_EINVAL;
	if (!n) {
		tern_mem_free(s->st, s->knobs.sr, sizeof *s->knobs.sr);
		s->knobs.sr = NULL;
		return 0;
	}
	if (!s->knobs.sr)
		s->knobs.sr = tern_mem_alloc(s->st, sizeof *s->knobs.sr);
	tern_ip4_srcroute *sr = s->knobs.sr;
	if (!sr)
		return TERN_ENOMEM;  /* counted in mem_alloc_fail */
	sr->n = (uint8_t)n;
	sr->strict = strict;
	for (size_t i = 0; i < n; i++)
		sr->hop[i] = hops[i];
	return 0;
}

int tern_socket_set_cc(tern_socket *s, const char *name)
{
	if (!s || !name || s->kind != TERN_SOCK_TCP)
		return TERN_EINVAL;
	const tern_cc_ops *cc = tern_cc_find(name);
	if (!cc)
		return TERN_ENOENT;
	s->knobs.cc = cc;
	if (s->tcb && s->tcb->state <= TERN_TCP_SYN_RECEIVED)
		s->tcb->cc_id = tern_cc_id(cc);
	return 0;
}
