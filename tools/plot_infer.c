/* plot_infer.c - RFC 9293 states guessed from what a capture shows: SYN,
 * FIN, RST and the ACKs of SYN and FIN, walked through the Figure 5 state
 * machine for each side. Times are the capture's, so the far side's
 * changes are placed where the capture saw the segment that caused them.
 * Every change is marked inferred; a figure says so. */
#include <stdlib.h>

#include "plot_int.h"

typedef struct side_st {
	int st;
	bool fin_sent;
	uint32_t syn_end, fin_end; /* the ack that acknowledges our SYN / FIN */
} side_st;

typedef struct infer {
	tern_plot_conn *c;
	side_st s[2];
	size_t cap, order; /* the position of the segment being walked */
	int rc;
} infer;

static void go(infer *in, int side, int to, const char *cause, int64_t t)
{
	tern_plot_conn *c = in->c;
	if (in->s[side].st == to || in->rc)
		return;
	if (c->nstates == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		tern_plot_stchg *v = realloc(c->states, cap * sizeof *v);
		if (!v) {
			in->rc = -1;
			return;
		}
		c->states = v;
		in->cap = cap;
	}
	c->states[c->nstates++] = (tern_plot_stchg){
	    .side = side,
	    .t = t,
	    .old_st = (uint8_t)in->s[side].st,
	    .new_st = (uint8_t)to,
	    .inferred = true,
	    .order = in->order,
	    .cause = cause,
	};
	in->s[side].st = to;
}

/* Sequence comparison modulo 2^32. */
static bool seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* What the receiver of a segment does with its ACK field. */
static void on_ack(infer *in, int rcv, const tern_plot_seg *s, int64_t t)
{
	side_st *r = &in->s[rcv];
	if (!(s->flags & TERN_PF_ACK))
		return;
	if (r->st == TERN_PLOT_ST_SYN_RCVD && seq_ge(s->ack, r->syn_end) && !(s->flags & TERN_PF_SYN))
		go(in, rcv, TERN_PLOT_ST_ESTAB, "rcv ACK of SYN", t);
	if (!r->fin_sent || !seq_ge(s->ack, r->fin_end))
		return;
	if (r->st == TERN_PLOT_ST_FIN_WAIT_1)
		go(in, rcv, TERN_PLOT_ST_FIN_WAIT_2, "rcv ACK of FIN", t);
	else if (r->st == TERN_PLOT_ST_CLOSING)
		go(in, rcv, TERN_PLOT_ST_TIME_WAIT, "rcv ACK of FIN", t);
	else if (r->st == TERN_PLOT_ST_LAST_ACK)
		go(in, rcv, TERN_PLOT_ST_CLOSED, "rcv ACK of FIN", t);
}

static void on_syn(infer *in, int snd, const tern_plot_seg *s, int64_t t)
{
	int rcv = 1 - snd;
	in->s[snd].syn_end = s->seq + 1;
	if (!(s->flags & TERN_PF_ACK)) {
		go(in, snd, TERN_PLOT_ST_SYN_SENT, "active OPEN", t);
		if (in->s[rcv].st == TERN_PLOT_ST_LISTEN || in->s[rcv].st == TERN_PLOT_ST_SYN_SENT)
			go(in, rcv, TERN_PLOT_ST_SYN_RCVD, "rcv SYN", t);
		return;
	}
	go(in, snd, TERN_PLOT_ST_SYN_RCVD, "rcv SYN", t);
	if (in->s[rcv].st == TERN_PLOT_ST_SYN_SENT && seq_ge(s->ack, in->s[rcv].syn_end))
		go(in, rcv, TERN_PLOT_ST_ESTAB, "rcv SYN,ACK", t);
}

static void on_fin(infer *in, int snd, const tern_plot_seg *s, int64_t t)
{
	side_st *me = &in->s[snd];
	int rcv = 1 - snd, st = me->st;
	if (!me->fin_sent) {
		me->fin_sent = true;
		me->fin_end = s->seq + s->len + 1;
	}
	if (st == TERN_PLOT_ST_ESTAB || st == TERN_PLOT_ST_SYN_RCVD)
		go(in, snd, TERN_PLOT_ST_FIN_WAIT_1, "CLOSE", t);
	else if (st == TERN_PLOT_ST_CLOSE_WAIT)
		go(in, snd, TERN_PLOT_ST_LAST_ACK, "CLOSE", t);
	st = in->s[rcv].st;
	if (st == TERN_PLOT_ST_ESTAB)
		go(in, rcv, TERN_PLOT_ST_CLOSE_WAIT, "rcv FIN", t);
	else if (st == TERN_PLOT_ST_FIN_WAIT_1)
		go(in, rcv, TERN_PLOT_ST_CLOSING, "rcv FIN", t);
	else if (st == TERN_PLOT_ST_FIN_WAIT_2)
		go(in, rcv, TERN_PLOT_ST_TIME_WAIT, "rcv FIN", t);
}

static void segment(infer *in, const tern_plot_arrow *a)
{
	const tern_plot_seg *s = &a->seg;
	int64_t t = a->t_send >= 0 ? a->t_send : a->t_recv;
	int snd = a->dir, rcv = 1 - a->dir;
	if (s->flags & TERN_PF_RST) {
		go(in, snd, TERN_PLOT_ST_CLOSED, "snd RST", t);
		if (in->s[rcv].st != TERN_PLOT_ST_LISTEN)
			go(in, rcv, TERN_PLOT_ST_CLOSED, "rcv RST", t);
		return;
	}
	if (s->flags & TERN_PF_SYN)
		on_syn(in, snd, s, t);
	on_ack(in, rcv, s, t);
	if (s->flags & TERN_PF_FIN)
		on_fin(in, snd, s, t);
}

int tern_plot_infer_states(tern_plot_conn *c)
{
	bool opened = c->narrows && (c->arrows[0].seg.flags & TERN_PF_SYN);
	infer in = {.c = c};
	/* Without a handshake in the capture the connection was already open. */
	in.s[0].st = opened ? TERN_PLOT_ST_CLOSED : TERN_PLOT_ST_ESTAB;
	in.s[1].st = opened ? TERN_PLOT_ST_LISTEN : TERN_PLOT_ST_ESTAB;
	for (size_t i = 0; i < c->narrows && !in.rc; i++) {
		in.order = c->arrows[i].order;
		segment(&in, &c->arrows[i]);
	}
	c->states_inferred = true;
	return in.rc;
}
