/* newreno.c - Reno congestion control (RFC 5681) with the NewReno fast
 * recovery of RFC 6582.
 *
 * Congestion avoidance counts bytes (RFC 5681 3.1's counting method, as
 * RFC 3465 describes it) rather than applying equation (3) per ACK: the
 * growth is then one SMSS per window of data acknowledged whether the peer
 * ACKs every segment or every other one.
 */
#include <stdbool.h>

#include "tcp/cc/cc_math.h"
#include "tcp/tcp_cc.h"

typedef struct newreno {
	uint32_t bytes_acked; /* acknowledged in congestion avoidance since cwnd last grew */
	bool after_rto;       /* an RTO fired and no new data was acknowledged since */
} newreno;

_Static_assert(sizeof(newreno) <= TERN_CC_STATE_MAX, "newreno state exceeds the TCB's reserve");

/* k full-sized segments, in bytes */
static uint32_t segs(const tern_cc_stat *s, uint32_t k)
{
	uint64_t b = (uint64_t)k * s->mss;
	return b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

/* RFC 5681 eq. (4), also step 2 of its 3.2: half of what is in flight,
 * never below two segments. */
static uint32_t loss_ssthresh(const tern_cc_stat *s)
{
	return max_u32(s->flight / 2, segs(s, 2));
}

static void nr_init(tern_cc_stat *s, void *state)
{
	newreno *nr = state;
	nr->bytes_acked = 0;
	nr->after_rto = false;
	s->cwnd = tern_cc_initial_window(s->mss);
	/* RFC 5681 3.1: "arbitrarily high", lowered by the first loss. */
	s->ssthresh = UINT32_MAX;
}

static void nr_on_ack(tern_cc_stat *s, void *state, uint32_t acked)
{
	newreno *nr = state;
	nr->after_rto = false;
	if (s->cwnd < s->ssthresh) {
		/* RFC 5681 3.1 eq. (2): at most one SMSS per ACK (L = 1 of
		 * RFC 3465), so ACK division cannot inflate cwnd. */
		s->cwnd = add_sat(s->cwnd, min_u32(acked, s->mss));
		return;
	}
	/* RFC 5681 3.1: one SMSS once a whole cwnd has been acknowledged. */
	nr->bytes_acked = add_sat(nr->bytes_acked, acked);
	if (nr->bytes_acked >= s->cwnd) {
		nr->bytes_acked -= s->cwnd;
		s->cwnd = add_sat(s->cwnd, s->mss);
	}
}

static void nr_on_recovery_enter(tern_cc_stat *s, void *state)
{
	newreno *nr = state;
	nr->bytes_acked = 0;
	nr->after_rto = false;
	/* RFC 5681 3.2 steps 2 and 3 (RFC 6582 3.2 step 2): the three
	 * duplicate ACKs stand for three segments that left the network. */
	s->ssthresh = loss_ssthresh(s);
	s->cwnd = add_sat(s->ssthresh, segs(s, 3));
}

void tern_cc_reno_recovery_dupack(tern_cc_stat *s, void *state)
{
	(void)state;
	/* RFC 5681 3.2 step 4: each further duplicate is one more segment
	 * that has left the network. */
	s->cwnd = add_sat(s->cwnd, s->mss);
}

void tern_cc_reno_recovery_partial(tern_cc_stat *s, void *state, uint32_t acked)
{
	(void)state;
	/* RFC 6582 3.2 step 5: deflate by what the ACK covered, then add one
	 * SMSS back when it covered at least that much, so about ssthresh
	 * bytes stay in flight once recovery ends. */
	s->cwnd = s->cwnd > acked ? s->cwnd - acked : 0;
	if (acked >= s->mss)
		s->cwnd = add_sat(s->cwnd, s->mss);
	/* Never below the loss window, so the retransmission the partial ACK
	 * triggers always fits. */
	s->cwnd = max_u32(s->cwnd, s->mss);
}

static void nr_on_recovery_exit(tern_cc_stat *s, void *state)
{
	newreno *nr = state;
	nr->bytes_acked = 0;
	/* RFC 6582 3.2 step 6, option (2): cwnd = ssthresh. Option (1),
	 * min(ssthresh, FlightSize + SMSS), collapses cwnd to 2 SMSS whenever
	 * the receive window kept new data from going out during recovery
	 * (FlightSize 0 after the full ACK); the next lost ACK then has no
	 * duplicates behind it and costs a timeout. Option 2's burst is what
	 * the window allows anyway, as in Linux and FreeBSD. */
	s->cwnd = max_u32(s->ssthresh, s->mss);
}

static void nr_on_rto(tern_cc_stat *s, void *state)
{
	newreno *nr = state;
	/* RFC 5681 3.1: eq. (4) only for the first timeout of a segment; a
	 * repeated timeout (no new data acknowledged in between) holds
	 * ssthresh, since flight no longer measures the path. */
	if (!nr->after_rto)
		s->ssthresh = loss_ssthresh(s);
	nr->after_rto = true;
	nr->bytes_acked = 0;
	s->cwnd = s->mss; /* the loss window, LW */
}

static void nr_on_idle_restart(tern_cc_stat *s, void *state, tern_time idle, tern_time rto)
{
	newreno *nr = state;
	/* RFC 5681 4.1: after an idle period longer than one RTO, restart
	 * from RW = min(IW, cwnd), as the ACK clock is gone. */
	if (idle <= rto)
		return;
	s->cwnd = min_u32(s->cwnd, tern_cc_initial_window(s->mss));
	nr->bytes_acked = 0;
}

const tern_cc_ops tern_cc_newreno = {
    .name = "newreno",
    .state_size = sizeof(newreno),
    .init = nr_init,
    .on_ack = nr_on_ack,
    .on_recovery_enter = nr_on_recovery_enter,
    .on_recovery_dupack = tern_cc_reno_recovery_dupack,
    .on_recovery_partial = tern_cc_reno_recovery_partial,
    .on_recovery_exit = nr_on_recovery_exit,
    .on_rto = nr_on_rto,
    .on_idle_restart = nr_on_idle_restart,
};
