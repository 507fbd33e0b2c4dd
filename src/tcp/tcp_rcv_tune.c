/* tcp_rcv_tune.c - receive-buffer auto-tuning. A window caps a connection
 * at one window per round trip, so a fixed 64 KiB buffer holds a 100 ms
 * path to 5 Mbit/s whatever its capacity. The buffer (and with it the
 * window offered) grows to twice what the application read in the last
 * round trip whenever that was more than half the buffer: the dynamic
 * right-sizing of Fisk and Feng (2001), as Linux does it in
 * tcp_rcv_space_adjust. Counting what the application read, not what
 * arrived, keeps a slow reader's buffer small. RFC 7323 1.1 is why windows
 * must go beyond 64 KiB; its 2.2 fixes the scale on the SYN, so
 * tcp_opt.c chooses the shift for the ceiling, not the first size. */
#include "tcp/tcp_int.h"

void tern_rcv_tune_init(tern_tcb *tcb, uint32_t max)
{
	tcb->rcv_tune = max > tcb->rcv.cap;
	tcb->rcv_space_at = TERN_TIME_NEVER;
	tcb->rcv_rtt = 0;
}

/* RFC 7323 4.3: the sender echoes the TSval of the ACK that let it send,
 * so now - TSecr on new data is a round trip as the receiver sees it
 * (the sender's own RTT samples never reach us). Smoothed as RFC 6298's
 * SRTT is, in 1 ms ticks. */
static void rtt_sample(tern_tcb *tcb, const tern_tcp_opts *o)
{
	if (!tcb->ts_ok || !(o->present & TERN_TCPO_TS) || !o->ts_ecr)
		return;
	uint32_t ms = tern_tcp_ts_now(tcb) - o->ts_ecr;
	if (ms >= 0x7fffffffu)
		return;
	tern_time s = TERN_MS(ms ? ms : 1);
	if (s > TERN_RTT_SAMPLE_MAX)
		s = TERN_RTT_SAMPLE_MAX;  /* fits the 32-bit estimate (tcp_rtt.h) */
	tern_time r = tcb->rcv_rtt;
	tcb->rcv_rtt = (uint32_t)(r ? r - r / 8 + s / 8 : s);
}

/* What the application has taken out of the stream so far. */
static uint32_t consumed(const tern_tcb *tcb)
{
	return tcb->rcv_nxt - tcb->rcv.len;
}

void tern_rcv_tune(tern_tcb *tcb, const tern_tcp_opts *o)
{
	if (!tcb->rcv_tune)
		return;
	rtt_sample(tcb, o);
	tern_time now = tcb->st->now;
	if (tcb->rcv_space_at == TERN_TIME_NEVER) {
		tcb->rcv_space_at = now;
		tcb->rcv_space_seq = consumed(tcb);
		return;
	}
	tern_time rtt = tcb->rcv_rtt ? tcb->rcv_rtt : tcb->rtt.srtt;
	if (rtt < TERN_MS(1))
		rtt = TERN_MS(1);
	tern_time elapsed = now - tcb->rcv_space_at;
	if (elapsed < rtt)
		return;
	/* A round can last longer than a round trip (no data came while the
	 * window was shut): what matters is the rate, read per round trip. */
	uint64_t read = (uint64_t)(consumed(tcb) - tcb->rcv_space_seq) * rtt / elapsed;
	tcb->rcv_space_at = now;
	tcb->rcv_space_seq = consumed(tcb);
	if (read <= tcb->rcv.cap / 2)
		return;
	uint64_t want = 2 * read;
	if (want > tern_rcv_tune_max(tcb))
		want = tern_rcv_tune_max(tcb);
	if (want > tcb->rcv.cap && tern_rcvbuf_grow(tcb->st, &tcb->rcv, (uint32_t)want) == 0)
		TERN_COUNT(tcb->st, tcp_rcvbuf_grown);
}
