/* tcp_trace.c - building the trace events of the TCP engine (docs/TRACE.md)
 * from a TCB or a segment, and handing them to the configured callback. */
#include <string.h>

#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"

static void emit(tern_stack *st, tern_trace_event *ev)
{
	ev->t = st->now;
	st->cfg.trace(st->cfg.trace_ctx, ev);
}

static void tuple_of(tern_trace_event *ev, const tern_tcb *tcb)
{
	ev->laddr = tcb->local.addr;
	ev->lport = tcb->local.port;
	ev->raddr = tcb->remote.addr;
	ev->rport = tcb->remote.port;
}

static void seg_of(tern_trace_seg *g, const tern_tcp_repr *h, uint32_t len)
{
	const tern_tcp_opts *o = &h->opts;
	g->seq = h->seq;
	g->ack = h->ack;
	g->len = len;
	g->win = h->wnd;
	g->flags = h->flags;
	g->has_mss = (o->present & TERN_TCPO_MSS) != 0;
	g->mss = o->mss;
	g->has_ws = (o->present & TERN_TCPO_WSCALE) != 0;
	g->ws = o->wscale;
	g->sack_ok = (o->present & TERN_TCPO_SACK_PERM) != 0;
	g->has_ts = (o->present & TERN_TCPO_TS) != 0;
	g->tsval = o->ts_val;
	g->tsecr = o->ts_ecr;
	g->nsack = (o->present & TERN_TCPO_SACK) ? o->sack_count : 0;
	if (g->nsack > 4)
		g->nsack = 4;
	for (unsigned i = 0; i < g->nsack; i++) {
		g->sack[i][0] = o->sack[i].left;
		g->sack[i][1] = o->sack[i].right;
	}
}

void tern_trace_seg_out_(tern_tcb *tcb, const tern_tcp_repr *h, uint32_t len)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_SEG_OUT;
	tuple_of(&ev, tcb);
	seg_of(&ev.u.seg, h, len);
	ev.u.seg.rtx = tcb->xmit_rtx;
	emit(tcb->st, &ev);
}

void tern_trace_seg_bare_(tern_stack *st, uint32_t laddr, uint32_t raddr, const tern_tcp_repr *h)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_SEG_OUT;
	ev.laddr = laddr;
	ev.lport = h->sport;
	ev.raddr = raddr;
	ev.rport = h->dport;
	seg_of(&ev.u.seg, h, 0);
	emit(st, &ev);
}

static void tuple_in(tern_trace_event *ev, const tern_ip4_repr *ip, const tern_tcp_repr *h)
{
	ev->laddr = ip->dst;
	ev->lport = h->dport;
	ev->raddr = ip->src;
	ev->rport = h->sport;
}

void tern_trace_seg_in_(tern_stack *st, const tern_ip4_repr *ip, const tern_tcp_repr *h)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_SEG_IN;
	tuple_in(&ev, ip, h);
	seg_of(&ev.u.seg, h, (uint32_t)h->payload_len);
	emit(st, &ev);
}

void tern_trace_drop_(tern_stack *st, const tern_ip4_repr *ip, const tern_tcp_repr *h,
		      const char *counter)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_DROP;
	tuple_in(&ev, ip, h);
	ev.u.drop.counter = counter;
	emit(st, &ev);
}

void tern_trace_state_tuple_(tern_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp,
			     int old, int now, const char *cause)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_STATE;
	ev.laddr = la;
	ev.lport = lp;
	ev.raddr = ra;
	ev.rport = rp;
	ev.u.state.old = old;
	ev.u.state.now = now;
	ev.u.state.cause = cause;
	emit(st, &ev);
}

void tern_trace_state_(tern_tcb *tcb, int old, int now, const char *cause)
{
	tern_trace_state_tuple_(tcb->st, tcb->local.addr, tcb->local.port, tcb->remote.addr,
				tcb->remote.port, old, now, cause);
}

void tern_trace_rtt_(tern_tcb *tcb, tern_time sample)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_RTT;
	tuple_of(&ev, tcb);
	ev.u.rtt.sample = sample;
	ev.u.rtt.srtt = tcb->rtt.srtt;
	ev.u.rtt.rttvar = tcb->rtt.rttvar;
	ev.u.rtt.rto = tern_tcb_rto(tcb, 0);
	emit(tcb->st, &ev);
}

void tern_trace_cwnd_(tern_tcb *tcb, const char *reason)
{
	if (tcb->ccs.cwnd == tcb->traced_cwnd && tcb->ccs.ssthresh == tcb->traced_ssthresh)
		return;
	tcb->traced_cwnd = tcb->ccs.cwnd;
	tcb->traced_ssthresh = tcb->ccs.ssthresh;
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_CWND;
	tuple_of(&ev, tcb);
	ev.u.cwnd.cwnd = tcb->ccs.cwnd;
	ev.u.cwnd.ssthresh = tcb->ccs.ssthresh;
	ev.u.cwnd.reason = reason;
	emit(tcb->st, &ev);
}

void tern_trace_rexmit_(tern_tcb *tcb, int why, uint32_t seq, uint32_t len)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_RTX;
	tuple_of(&ev, tcb);
	ev.u.rtx.why = (uint8_t)why;
	ev.u.rtx.seq = seq;
	ev.u.rtx.len = len;
	emit(tcb->st, &ev);
}

static const char *const timer_names[TCPT_COUNT] = {
	[TCPT_REXMT] = "rexmt", [TCPT_PERSIST] = "persist", [TCPT_KEEPALIVE] = "keepalive",
	[TCPT_DELACK] = "delack", [TCPT_LINGER] = "fin_wait2", [TCPT_PTO] = "tlp",
	[TCPT_RACK] = "rack",
};

void tern_trace_timer_(tern_tcb *tcb, int timer, const char *action, tern_time at)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_TIMER;
	tuple_of(&ev, tcb);
	ev.u.timer.timer = timer >= 0 && timer < TCPT_COUNT ? timer_names[timer] : "?";
	ev.u.timer.action = action;
	ev.u.timer.at = at;
	emit(tcb->st, &ev);
}
