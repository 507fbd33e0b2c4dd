/* tcp_info.c - STATUS (RFC 793 3.8) and the connection table walk. */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

/* A socket may hold its TCB through TIME-WAIT (tern_tcb_time_wait); the
 * state is then the record's, which ends after 2 MSL (RFC 9293 3.6.1) or
 * when a new SYN takes the tuple: CLOSED from then on. */
static int tcb_state(const tern_tcb *tcb)
{
	if (tcb->state != TERN_TCP_TIME_WAIT)
		return tcb->state;
	if (tern_tw_lookup(tcb->st, tcb->local.addr, tcb->local.port, tcb->remote.addr,
			   tcb->remote.port))
		return TERN_TCP_TIME_WAIT;
	return TERN_TCP_CLOSED;
}

static void tcb_info(const tern_tcb *tcb, tern_tcp_info *o)
{
	memset(o, 0, sizeof *o);
	o->state = tcb_state(tcb);
	o->local = tcb->local;
	o->remote = tcb->remote;
	o->snd_wnd = tcb->snd_wnd;
	o->rcv_wnd = seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	o->unacked = tcb->snd_max - tcb->snd_una;
	/* never sent: past SND.MAX, not SND.NXT, which steps back after a
	 * timeout or onto a zero-window probe's byte */
	uint32_t sent = tcb->snd_max - tcb->snd_una;
	o->unsent = tcb->snd.len > sent ? tcb->snd.len - sent : 0;
	o->unread = tcb->rcv.len;
	o->rcvbuf = tcb->rcv.cap;
	o->sndbuf = tcb->snd.cap;
	o->ooo_bytes = tcb->rcv.ooo_bytes;
	o->urgent = tcb->rcv_urgent;
	o->user_timeout = TERN_MS(tcb->user_timeout);
	o->srtt = tcb->rtt.srtt;
	o->rttvar = tcb->rtt.rttvar;
	o->rto = tern_tcb_rto(tcb, tcb->backoff);
	o->cwnd = tcb->ccs.cwnd;
	o->ssthresh = tcb->ccs.ssthresh;
	o->smss = tcb->smss;
	o->rmss = tcb->rmss;
	o->retransmits = tcb->retransmits;
	o->bytes_acked = tcb->bytes_acked;
	o->bytes_received = tcb->bytes_received;
	o->segs_out = tcb->segs_out;
	o->segs_in = tcb->segs_in;
	size_t n = strlen(tern_tcb_cc(tcb)->name);
	memcpy(o->cc, tern_tcb_cc(tcb)->name, n < sizeof o->cc - 1 ? n : sizeof o->cc - 1);
}

int tern_socket_info(const tern_socket *s, tern_tcp_info *out)
{
	if (!s || !out || s->kind != TERN_SOCK_TCP)
		return TERN_EINVAL;
	if (s->tcb) {
		tcb_info(s->tcb, out);
		return 0;
	}
	memset(out, 0, sizeof *out);
	out->state = s->listening ? TERN_TCP_LISTEN : TERN_TCP_CLOSED;
	out->local = s->local;
	out->unread = s->lq ? s->lq->acceptq_len : 0;  /* as ss shows a listener's queue */
	out->unacked = s->backlog;
	return 0;
}

void tern_tcp_walk(tern_stack *st, tern_tcp_walk_fn fn, void *ctx)
{
	tern_tcp *tcp = st->tcp;
	tern_tcp_info info;
	for (tern_socket *s = st->sockets; s; s = s->next)
		if (s->kind == TERN_SOCK_TCP && s->listening && tern_socket_info(s, &info) == 0)
			fn(&info, ctx);
	for (uint32_t b = 0; b < tcp->nbuckets; b++) {
		for (tern_tcb *t = tcp->buckets[b]; t; t = t->hnext) {
			tcb_info(t, &info);
			fn(&info, ctx);
		}
	}
	for (tern_tw *tw = tcp->tw_head; tw; tw = tw->next) {
		memset(&info, 0, sizeof info);
		info.state = TERN_TCP_TIME_WAIT;
		info.local.addr = tw->laddr;
		info.local.port = tw->lport;
		info.remote.addr = tw->raddr;
		info.remote.port = tw->rport;
		fn(&info, ctx);
	}
}
