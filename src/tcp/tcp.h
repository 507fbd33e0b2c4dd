/* tcp.h - the TCP engine's internal interface: the TCB, the connection
 * table, and the functions the input, output, timer and user-call files
 * offer each other. RFC 9293 names are used for every variable it names. */
#ifndef TERN_TCP_TCP_H
#define TERN_TCP_TCP_H

#include "core/stack.h"
#include "tcp/tcp_buf.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_rtt.h"
#include "tcp/tcp_seq.h"

/* The timers of one connection (RFC 9293 3.8, RFC 1122 4.2.3). They are
 * deadlines in the TCB; one wheel timer sits at the earliest. */
enum tcp_timer_kind {
	TCPT_REXMT,     /* retransmission (RFC 6298), also SYN and FIN */
	TCPT_PERSIST,   /* zero-window probe (RFC 9293 3.8.6.1) */
	TCPT_KEEPALIVE, /* RFC 1122 4.2.3.6 */
	TCPT_DELACK,    /* delayed ACK (RFC 1122 4.2.3.2) */
	TCPT_LINGER,    /* FIN-WAIT-2 limit */
	TCPT_PTO,       /* tail loss probe (RFC 8985 7) */
	TCPT_RACK,      /* RACK reordering timer (RFC 8985 6.2) */
	TCPT_COUNT
};

typedef struct tern_tcb tern_tcb;

/* Past times that the TCB keeps in 32 bits (issue 4: lean connections):
 * whole units (TERN_T32_MS, the wheel's 1 ms tick, or TERN_T32_S), rounded
 * up as the wheel rounds deadlines (a time plus whole units then falls in
 * the tick it fell in before), modulo 2^32: 49.7 days in ms, 136 years in
 * seconds. Read back against the present, wrap-safe, they are exact to the
 * unit while younger than 2^32 units; every such time is set from the
 * present or the past. A time 0 stays 0 (some mean "never"; so does the
 * one tick in 2^32 that wraps to 0). */
#define TERN_T32_MS TERN_MS(1)
#define TERN_T32_S TERN_SEC(1)

static inline uint32_t tern_t32(tern_time t, tern_time unit)
{
	return (uint32_t)((t + unit - 1) / unit);  /* times are far below 2^64 - unit */
}

/* The time v stood for, rounded up to its unit but never past now (it
 * was not in the future), so that now minus it cannot underflow. */
static inline tern_time tern_t32_at(tern_time now, uint32_t v, tern_time unit)
{
	tern_time n = (now + unit - 1) / unit;
	uint32_t age = (uint32_t)n - v;
	tern_time t = age <= n ? (n - age) * unit : 0;
	return t < now ? t : now;
}

/* What congestion control keeps in the TCB: the part of a module's
 * tern_cc_stat that is state (cwnd, ssthresh, the minimum RTT) or is read
 * at other times than it is written (mss, flight). SRTT, the clock and the
 * sequence space are filled in for each call (tern_cc_view, tcp_input.c):
 * modules read them only on ACKs and idle restarts, where they were
 * copied just before (issue 4: lean connections). */
typedef struct tern_cc_vars {
	uint32_t cwnd, ssthresh;       /* bytes */
	uint32_t mss;                  /* SMSS as of the last synchronisation */
	uint32_t flight;               /* FlightSize as of the last synchronisation */
	uint32_t min_rtt;              /* microseconds, 0 until a sample exists;
	                                  held at TERN_RTT_SAMPLE_MAX (tcp_rtt.h) */
} tern_cc_vars;

typedef struct tern_sack_block {
	uint32_t left, right;  /* [left, right) in sequence space */
} tern_sack_block;
#define TERN_SB_MAX 8  /* scoreboard ranges kept; beyond, the highest is dropped */

/* The sender's loss-recovery state (RFC 6675, RFC 6937). An idle
 * connection needs none of it, so it lives out of line (tcp_sack.c):
 * allocated with the first SACK block or recovery, freed once nothing is
 * in flight and recovery is over (issue 4: lean connections). */
typedef struct tern_loss {
	tern_sack_block sb[TERN_SB_MAX];  /* scoreboard: SACKed, sorted */
	uint32_t high_rxt;                 /* HighRxt: highest retransmitted (RFC 6675) */
	uint32_t prr_delivered, prr_out, recover_fs;  /* RFC 6937 */
	uint32_t tlp_end;                  /* TLP.end_seq of an open probe episode
	                                      (RFC 8985 7), 0: none */
} tern_loss;

/* A segment in flight, for RACK (RFC 8985): its range and last send time. */
typedef struct tern_txseg {
	uint32_t start, end;
	tern_time xmit;
	uint8_t flags;  /* TERN_SEG_* */
} tern_txseg;
enum { TERN_SEG_SACKED = 1, TERN_SEG_LOST = 2, TERN_SEG_RETRANS = 4 };

/* RACK's transmit queue: the segments in flight, oldest first, a ring of
 * cap (a power of two) entries; allocated with the first segment and freed
 * when it empties, so its counters are not in every TCB either. With it
 * lives RFC 8985 6.1's state of the flight: what the most recently sent
 * delivered segment says. A flight's first delivery sets it afresh (every
 * segment of a new flight went out after those of the last), so an idle
 * connection need not keep it (issue 4: lean connections). */
typedef struct tern_txq {
	uint32_t cap, head, len;
	uint32_t nretrans;        /* entries sent more than once */
	tern_time xmit_ts;        /* RACK.xmit_ts: of the most recently sent
	                             delivered segment; 0: none this flight */
	uint32_t rtt;             /* RACK.rtt: its RTT in microseconds, held at
	                             TERN_RTT_SAMPLE_MAX as SRTT is (tcp_rtt.h) */
	uint32_t end_seq;         /* RACK.end_seq: its end */
	uint32_t fack;            /* the highest end delivered (SND.UNA to begin with) */
	tern_txseg seg[];
} tern_txq;

/* RFC 8985 6.1's RACK state that outlives a flight: the reordering window */
typedef struct tern_rack {
	uint8_t reo_wnd_mult, reo_wnd_persist;
	bool reordering_seen;
} tern_rack;

/* The fields are ordered by size within their groups so that the compiler
 * adds no padding: every idle connection pays for each byte (issue 4,
 * docs/BENCHMARKS.md conn-memory). */
struct tern_tcb {
	tern_stack *st;
	tern_tcb *hnext;               /* connection-table chain */
	tern_tcb *qnext;               /* listener's accept queue */
	/* The application's socket (NULL once it closed it) or, for a passive
	 * open not yet accepted, the listening socket (owner_is_listener):
	 * never both, so one pointer (issue 4: lean connections). Read with
	 * tern_tcb_sock() and tern_tcb_listener(). */
	struct tern_socket *owner;
	tern_endpoint local, remote;

	/* RFC 9293 3.3.1: send sequence variables */
	uint32_t snd_una, snd_nxt, snd_wnd, snd_up, snd_wl1, snd_wl2, iss;
	uint32_t snd_max;              /* highest sequence number sent + 1 */
	uint32_t max_snd_wnd;          /* largest window the peer offered (RFC 5961 5) */
	/* receive sequence variables */
	uint32_t rcv_nxt, rcv_up, irs;  /* RCV.WND: tern_tcp_rcv_window(), from the ring */
	uint32_t rcv_adv;              /* right edge we last advertised */

	/* The flags, one bit each: what the application asked for and what
	 * happened */
	bool fin_queued : 1;           /* CLOSE/shutdown(WR): FIN follows the data */
	bool fin_sent : 1;
	bool fin_rcvd : 1;
	bool rd_shut : 1;
	bool snd_urgent : 1;           /* snd_up is valid */
	bool rcv_urgent : 1;           /* rcv_up is valid and ahead of the reader */
	bool passive : 1;
	bool hashed : 1;               /* in the connection table */
	bool pending : 1;              /* on the stack's answer-later list */
	bool nodelay : 1, keepalive_on : 1;
	bool ack_now : 1;              /* an ACK must go out with the next output */
	bool soft_err_fresh : 1;       /* soft_err not yet read by the application */
	/* RFC 7323 */
	bool ws_ok : 1, ts_ok : 1;     /* negotiated on the handshake */
	/* RFC 3168 */
	bool ecn_ok : 1;               /* negotiated on the handshake (6.1.1) */
	bool ece_pending : 1;          /* CE seen: echo ECE until a CWR arrives (6.1.3) */
	bool cwr_pending : 1;          /* reduced: the next new data carries CWR (6.1.2) */
	/* RFC 2018 / 2883 / 6675 */
	bool sack_ok : 1;              /* SACK-permitted on both SYNs */
	bool dsack_pending : 1;        /* report dsack as the first block (RFC 2883) */
	bool in_recovery : 1;          /* fast recovery (RFC 6582, RFC 6675) */
	bool rtt_timing : 1;           /* RFC 6298, Karn: rtt_seq is being timed */
	bool rcv_tune : 1;             /* receive-buffer auto-tuning on (tcp_rcv_tune.c) */
	bool snd_tune : 1;             /* send-buffer auto-tuning on (tcp_user.c) */
	bool csum_tx_off : 1;          /* the route's device completes TCP checksums */
	bool rack_seen : 1;            /* RACK has seen a segment delivered (RFC 8985 6.2) */
	bool owner_is_listener : 1;    /* owner is the listening socket */
	/* the byte-sized fields */
	uint8_t state;                 /* TERN_TCP_* */
	uint8_t delack_segs;           /* full segments received since our last ACK */
	uint8_t tos, ttl;              /* IP fields of our segments (ttl 0: default) */
	uint8_t snd_wscale;            /* RFC 7323 Snd.Wind.Shift: the peer's windows << this */
	uint8_t rcv_wscale;            /* RFC 7323 Rcv.Wind.Shift: our windows >> this */
	uint8_t nsb;                   /* ranges in loss->sb (0 when loss is NULL) */
	uint8_t dupacks;
	uint8_t persist_backoff;       /* at most 16 (tcp_timer.c) */
	uint8_t keep_probes;           /* at most keep_cnt */
	uint8_t keep_cnt;              /* TERN_SO_KEEPCNT: 1..127 */
	uint8_t xmit_rtx;              /* trace: why the segment being sent is resent */
	uint8_t rewind_why;            /* trace: why SND.NXT last stepped back (go-back-N) */
	uint8_t cc_id;                 /* congestion control: tern_cc_modules[cc_id] */
	uint8_t dl_set;                /* the timers set: bit k for dl[k] (tcp_timer.c) */
	tern_rack rack;
	/* the 16-bit ones */
	uint16_t smss;                 /* effective send MSS (RFC 9293 3.7.1) */
	uint16_t smss_full;            /* the same before path MTU discovery lowered it */
	uint16_t rmss;                 /* MSS we announced */
	uint16_t tso_max;              /* the route's device cuts segments up to this (0: no) */
	int16_t err;                   /* error for the application (TERN_E*: -1..-115) */
	int16_t soft_err;              /* last soft error (RFC 1122 4.2.3.9, RFC 9293 3.9.1.8) */
	uint16_t keep_idle, keep_intvl; /* seconds: set in whole seconds, 1..32767 */
	uint16_t backoff;              /* RTO doublings so far, held at UINT16_MAX: the
	                                  RTO reaches its ceiling within 64 and the
	                                  retry limits are bytes */

	uint32_t fin_seqno;            /* sequence number of our FIN, once sent */
	uint32_t rtt_seq;              /* RFC 6298, Karn: the timed segment */
	/* RFC 7323 */
	uint32_t ts_recent;            /* TS.Recent (5.3) */
	uint32_t last_ack_sent;        /* Last.ACK.sent (4.3) */
	uint32_t ts_offset;            /* per-connection offset of our TSval clock (7.1) */
	uint32_t ecn_recover;          /* RFC 3168: no further reduction before SND.UNA passes it */
	/* 32-bit times (tern_t32) */
	uint32_t ts_recent_at;         /* RFC 7323 5.5: when TS.Recent was set, in
	                                  seconds: PAWS ages it out after 24 days */
	uint32_t pmtu_at;              /* ms: when the path MTU was lowered */
	uint32_t first_rexmt_at;       /* ms: R1/R2 and user timeout: when trouble
	                                  began (0: no trouble) */
	uint32_t last_rcv, last_snd;   /* ms: keepalive idle; restart after idle
	                                  (last_snd 0: nothing sent yet) */
	/* RFC 2018 / 2883 / 6675 */
	tern_sack_block dsack;         /* the recent blocks: rcv.ooo->sack_recent */
	uint32_t recover;              /* RFC 6582 "recover" */
	/* per-socket knob, in milliseconds (exact: see tern_tcb_take_times) */
	uint32_t user_timeout;         /* 0: R2 by count */
	tern_loss *loss;               /* NULL: no blocks, HighRxt = SND.UNA, PRR idle */
	tern_txq *txq;                 /* NULL: nothing tracked in flight */
	/* source route of every segment (RFC 9293 3.9.1.9), NULL: none; out
	 * of line, as few connections have one */
	tern_ip4_srcroute *sr;

	tern_sndbuf snd;
	tern_rcvbuf rcv;

	/* timers */
	tern_timer timer;              /* at the earliest deadline */
	tern_time rtt_start;           /* RTT (RFC 6298): when rtt_seq was sent */
	uint32_t dl[TCPT_COUNT];       /* deadlines after timer.deadline (tcp_timer.c) */
	/* RTT (RFC 6298), Karn: one timed segment (rtt_seq, above) at a time */
	tern_rtt rtt;

	/* congestion control (recover, dupacks, in_recovery: above; cc_id and
	 * ccs: below, with the other 4-byte fields) */
	_Alignas(8) uint8_t cc_state[TERN_CC_STATE_MAX];

	tern_time rcv_space_at;        /* auto-tuning (below): when the measuring round began */

	/* statistics: bytes in 64 bits; segments in 32, as Linux keeps them
	 * (tcp_sock's segs_in/segs_out, tcp_info's tcpi_total_retrans): they
	 * wrap after 2^32 segments, 6 TB at 1448 bytes each (issue 4: lean
	 * connections) */
	uint64_t bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, retransmits;

	/* receive-buffer auto-tuning (tcp_rcv_tune.c), up to the stack's
	 * tcp_rcvbuf_max when rcv_tune is set */
	uint32_t rcv_rtt;              /* receiver's RTT estimate (timestamps) in
	                                  microseconds, 0: none; held at
	                                  TERN_RTT_SAMPLE_MAX as SRTT is (tcp_rtt.h) */
	uint32_t rcv_space_seq;        /* RCV.NXT when the measuring round began */

	tern_cc_vars ccs;


	/* event trace (tcp_trace.h) */
	uint32_t traced_cwnd, traced_ssthresh;  /* last reported */
};

/* Issue 4, item 7 ("lean connections"): at most 512 bytes per idle
 * established TCB without buffers (docs/BENCHMARKS.md, conn-memory). A
 * field added here has to be paid for elsewhere. */
_Static_assert(sizeof(tern_tcb) <= 512, "tern_tcb exceeds issue 4's 512-byte target");

static inline struct tern_socket *tern_tcb_sock(const tern_tcb *tcb)
{
	return tcb->owner_is_listener ? NULL : tcb->owner;
}

static inline struct tern_socket *tern_tcb_listener(const tern_tcb *tcb)
{
	return tcb->owner_is_listener ? tcb->owner : NULL;
}

/* The application's socket takes the connection (s NULL: it let go); a
 * listener still holding it keeps it until it forgets it. */
static inline void tern_tcb_set_sock(tern_tcb *tcb, struct tern_socket *s)
{
	if (s || !tcb->owner_is_listener) {
		tcb->owner = s;
		tcb->owner_is_listener = false;
	}
}

static inline void tern_tcb_set_listener(tern_tcb *tcb, struct tern_socket *ls)
{
	if (ls || tcb->owner_is_listener) {
		tcb->owner = ls;
		tcb->owner_is_listener = ls != NULL;
	}
}

static inline const tern_cc_ops *tern_tcb_cc(const tern_tcb *tcb)
{
	return tern_cc_modules[tcb->cc_id];
}

/* The RTO after `backoff` expirations, within the stack's bounds. */
static inline tern_time tern_tcb_rto(const tern_tcb *tcb, unsigned backoff)
{
	return tern_rtt_rto(&tcb->rtt, backoff, tcb->st->cfg.tcp_rto_min, tcb->st->cfg.tcp_rto_max);
}

/* ---- tcp_conn.c ---------------------------------------------------------- */
int tern_tcp_init(tern_stack *st);
void tern_tcp_free(tern_stack *st);
tern_tcb *tern_tcb_new(tern_stack *st);
/* Insert into / remove from the connection table. */
void tern_tcb_hash(tern_tcb *tcb);
tern_tcb *tern_tcb_lookup(tern_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			  uint16_t rport);
/* Enter a new state; CLOSED frees the TCB (or leaves it to the socket).
 * cause: a short phrase for the trace (docs/TRACE.md). */
void tern_tcb_set_state(tern_tcb *tcb, uint8_t state, const char *cause);
/* Tear the connection down with an error for the application. */
void tern_tcb_drop(tern_tcb *tcb, int err);
/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 us clock. */
uint32_t tern_tcp_isn(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r);
/* Move to TIME-WAIT: a compact record replaces the TCB. */
void tern_tcb_time_wait(tern_tcb *tcb);
/* Record a soft error and tell the application (MUST-47). */
void tern_tcb_soft_error(tern_tcb *tcb, int err);
/* Wake the application: readiness changed. */
void tern_tcb_notify(tern_tcb *tcb);

/* ---- tcp_timer.c ---------------------------------------------------------- */
void tern_tcp_timer_set(tern_tcb *tcb, enum tcp_timer_kind k, tern_time deadline);
void tern_tcp_timer_clear(tern_tcb *tcb, enum tcp_timer_kind k);
void tern_tcp_timer_clear_all(tern_tcb *tcb);
#define TERN_TCP_DL_NEVER UINT32_MAX  /* dl[k]: timer k is not set */
static inline bool tern_tcp_timer_is_set(const tern_tcb *tcb, enum tcp_timer_kind k)
{
	return tcb->dl[k] != TERN_TCP_DL_NEVER;
}
/* Re-place the wheel timer at the earliest deadline. */
void tern_tcp_timer_update(tern_tcb *tcb);

/* ---- tcp_output.c --------------------------------------------------------- */
/* Send what the windows, Nagle and the ACK policy allow now. */
void tern_tcp_output(tern_tcb *tcb);
/* The same, or at the end of the current input batch. */
void tern_tcp_output_soon(tern_tcb *tcb);
/* Answer for every connection the batch touched. */
void tern_tcp_flush(tern_stack *st);
/* Transmit one segment: seq, len bytes from the send ring at that sequence
 * number, flags (ACK is added once synchronized). Changes no state. */
int tern_tcp_xmit(tern_tcb *tcb, uint32_t seq, uint32_t len, uint8_t flags);
/* A bare ACK now; clears the delayed-ACK state. */
void tern_tcp_send_ack(tern_tcb *tcb);
/* Zero-window probe (RFC 9293 3.8.6.1) and keepalive (RFC 1122 4.2.3.6). */
void tern_tcp_send_probe(tern_tcb *tcb);
void tern_tcp_send_keepalive(tern_tcb *tcb);
/* RFC 5961 challenge ACK, and the ACK answering any other unacceptable
 * segment; both drawn from one rate-limited budget per stack. */
void tern_tcp_send_challenge_ack(tern_tcb *tcb);
void tern_tcp_send_oow_ack(tern_tcb *tcb);
/* A segment with no TCB behind it (TIME-WAIT records, resets). */
void tern_tcp_send_bare(tern_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags,
			const tern_tcp_opts *opts);
/* RFC 9293 3.10.7.1: a reset in reply to an unacceptable segment. */
void tern_tcp_send_rst_for(tern_stack *st, const tern_ip4_repr *ip, const tern_tcp_repr *seg);
/* SACK recovery's senders: one new segment within the peer's window, and
 * a retransmission of [seq, seq + len). */
bool tern_tcp_send_new_segment(tern_tcb *tcb);
void tern_tcp_resend(tern_tcb *tcb, uint32_t seq, uint32_t len, int why);
/* Retransmit the oldest unacknowledged segment; why: tern_trace_rtx. */
void tern_tcp_retransmit_first(tern_tcb *tcb, int why);
uint32_t tern_tcp_rcv_window(const tern_tcb *tcb);

/* ---- tcp_sack.c ----------------------------------------------------------- */
/* Receiver (RFC 2018 4, RFC 2883): out-of-order data arrived at [seq,end). */
void tern_sack_note_arrival(tern_tcb *tcb, uint32_t seq, uint32_t end);
/* Receiver: a duplicate [seq,end) arrived; the next ACK reports it first. */
void tern_sack_note_duplicate(tern_tcb *tcb, uint32_t seq, uint32_t end);
/* Receiver: the SACK blocks of our next ACK, most recent first, in at
 * most `room` bytes of options. */
void tern_sack_fill(tern_tcb *tcb, tern_tcp_opts *o, uint32_t room);
/* Sender: take an ACK's SACK blocks into the scoreboard; forget what the
 * cumulative ACK covers. Returns whether it SACKed anything new. */
bool tern_sack_update(tern_tcb *tcb, const tern_tcp_opts *o);
void tern_sack_clear(tern_tcb *tcb);
/* The out-of-line loss state: had (NULL when out of memory: callers
 * degrade), freed when idle (nothing in flight, no recovery), freed. */
tern_loss *tern_loss_get(tern_tcb *tcb);
void tern_loss_idle(tern_tcb *tcb);
void tern_loss_free(tern_tcb *tcb);
/* A tail loss probe's episode is open (its TLP.end_seq, in loss). */
static inline bool tern_tlp_open(const tern_tcb *tcb)
{
	return tcb->loss && tcb->loss->tlp_end;
}
/* HighRxt = SND.UNA: recovery starts afresh (RTO, PMTU drop, entry). */
void tern_loss_rxt_reset(tern_tcb *tcb);
/* Sender, RFC 6675 4: IsLost(seq) and SetPipe. */
bool tern_sack_is_lost(const tern_tcb *tcb, uint32_t seq);
uint32_t tern_sack_pipe(const tern_tcb *tcb);
/* Sender, RFC 6675 5 (NextSeg + the transmission loop): send what
 * recovery allows now. */
void tern_sack_recovery_output(tern_tcb *tcb);
/* RFC 8985 7: arm the probe timeout after sending or on an ACK, and the
 * probe itself when it fires. */
void tern_tlp_arm(tern_tcb *tcb);
void tern_tlp_probe(tern_tcb *tcb);
/* Bytes the scoreboard holds as SACKed. */
uint32_t tern_sack_bytes(const tern_tcb *tcb);
/* RFC 6937 (PRR): start of recovery, and an ACK that delivered `delivered`
 * bytes during it; sets cwnd to what may be sent now. */
void tern_prr_start(tern_tcb *tcb);
void tern_prr_ack(tern_tcb *tcb, uint32_t delivered);

/* ---- tcp_rack.c ----------------------------------------------------------- */
void tern_rack_on_send(tern_tcb *tcb, uint32_t seq, uint32_t end);
/* After an ACK updated SND.UNA and the scoreboard: true when segments are
 * newly deemed lost. dsack: the ACK carried a D-SACK. */
bool tern_rack_on_ack(tern_tcb *tcb, bool dsack);
bool tern_rack_on_timer(tern_tcb *tcb);
void tern_rack_reset(tern_tcb *tcb);
void tern_rack_recovery_done(tern_tcb *tcb);
void tern_rack_free(tern_tcb *tcb);
bool tern_rack_tracking(const tern_tcb *tcb);
uint32_t tern_rack_pipe(const tern_tcb *tcb);
bool tern_rack_next_lost(const tern_tcb *tcb, uint32_t *seq, uint32_t *len);
/* What is in flight: RACK's marks when it tracks, else RFC 6675's pipe. */
uint32_t tern_tcp_pipe(const tern_tcb *tcb);
/* Start loss recovery (tcp_input.c), for the RACK timer too. */
void tern_tcp_enter_recovery(tern_tcb *tcb);

/* ---- tcp_input.c ---------------------------------------------------------- */
void tern_tcp_input(tern_stack *st, struct tern_iface *ifc, const tern_ip4_repr *ip);

#endif
