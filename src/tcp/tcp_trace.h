/* tcp_trace.h - the trace points of the TCP engine (docs/TRACE.md). Each
 * is a test of one pointer when no trace is set; the events are built out
 * of line, in tcp_trace.c. */
#ifndef TERN_TCP_TRACE_H
#define TERN_TCP_TRACE_H

#include "tcp/tcp.h"

#define TERN_TRACING(st) ((st)->cfg.trace != NULL)

void tern_trace_seg_out_(tern_tcb *tcb, const tern_tcp_repr *h, uint32_t len);
void tern_trace_seg_bare_(tern_stack *st, uint32_t laddr, uint32_t raddr, const tern_tcp_repr *h);
void tern_trace_seg_in_(tern_stack *st, const tern_ip4_repr *ip, const tern_tcp_repr *h);
void tern_trace_state_(tern_tcb *tcb, int old, int now, const char *cause);
void tern_trace_state_tuple_(tern_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp,
			     int old, int now, const char *cause);
void tern_trace_rtt_(tern_tcb *tcb, tern_time sample);
void tern_trace_cwnd_(tern_tcb *tcb, const char *reason);
void tern_trace_rexmit_(tern_tcb *tcb, int why, uint32_t seq, uint32_t len);
void tern_trace_timer_(tern_tcb *tcb, int timer, const char *action, tern_time at);
void tern_trace_drop_(tern_stack *st, const tern_ip4_repr *ip, const tern_tcp_repr *h,
		      const char *counter);

/* A segment of tcb's leaves (h as built, len data bytes). */
static inline void tern_trace_seg_out(tern_tcb *tcb, const tern_tcp_repr *h, uint32_t len)
{
	if (TERN_TRACING(tcb->st))
		tern_trace_seg_out_(tcb, h, len);
}
/* A segment with no TCB behind it leaves (resets, TIME-WAIT ACKs). */
static inline void tern_trace_seg_bare(tern_stack *st, uint32_t laddr, uint32_t raddr,
				       const tern_tcp_repr *h)
{
	if (TERN_TRACING(st))
		tern_trace_seg_bare_(st, laddr, raddr, h);
}
static inline void tern_trace_seg_in(tern_stack *st, const tern_ip4_repr *ip, const tern_tcp_repr *h)
{
	if (TERN_TRACING(st))
		tern_trace_seg_in_(st, ip, h);
}
static inline void tern_trace_state(tern_tcb *tcb, int old, int now, const char *cause)
{
	if (TERN_TRACING(tcb->st) && old != now)
		tern_trace_state_(tcb, old, now, cause);
}
static inline void tern_trace_rtt(tern_tcb *tcb, tern_time sample)
{
	if (TERN_TRACING(tcb->st))
		tern_trace_rtt_(tcb, sample);
}
/* cwnd or ssthresh may have changed: an event when either did. */
static inline void tern_trace_cwnd(tern_tcb *tcb, const char *reason)
{
	if (TERN_TRACING(tcb->st))
		tern_trace_cwnd_(tcb, reason);
}
/* Retransmitting [seq, seq + len) because of why (tern_trace_rtx): the
 * event, and the cause carried by the segment's own seg_out event. */
static inline void tern_trace_rexmit(tern_tcb *tcb, int why, uint32_t seq, uint32_t len)
{
	tcb->xmit_rtx = (uint8_t)why;
	if (TERN_TRACING(tcb->st))
		tern_trace_rexmit_(tcb, why, seq, len);
}
static inline void tern_trace_timer(tern_tcb *tcb, int timer, const char *action, tern_time at)
{
	if (TERN_TRACING(tcb->st))
		tern_trace_timer_(tcb, timer, action, at);
}
static inline void tern_trace_drop(tern_stack *st, const tern_ip4_repr *ip,
				   const tern_tcp_repr *h, const char *counter)
{
	if (TERN_TRACING(st))
		tern_trace_drop_(st, ip, h, counter);
}

#endif
