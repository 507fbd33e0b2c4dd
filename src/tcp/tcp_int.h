/* tcp_int.h - the TCP module's tables and the helpers its files share. */
#ifndef TERN_TCP_INT_H
#define TERN_TCP_INT_H

#include "tcp/tcp.h"

/* RFC 1191 6.3: path MTUs learnt per destination, in a small table with
 * one entry a slot (a colliding destination takes the slot over); an entry
 * is forgotten PMTU_AGE after the decrease, so the larger MTU is tried
 * again. */
#define TERN_PMTU_SLOTS 64
#define TERN_PMTU_AGE TERN_SEC(600)
typedef struct tern_pmtu {
	uint32_t dst;
	uint16_t mtu;            /* 0: empty */
	tern_time at;            /* when it was lowered */
} tern_pmtu;

/* Connection-table buckets (powers of two): the table starts small and
 * doubles whenever connections and TIME-WAIT records outnumber buckets, so
 * a lookup stays O(1) from a handful of connections to a million. */
#define TERN_TCP_HASH_MIN 256
#define TERN_TCP_HASH_MAX (1u << 20)

/* A TIME-WAIT record: what answering a retransmitted FIN needs (with the
 * timestamp the peer insists on, RFC 7323 3.2), and the 4-tuple it holds
 * for 2*MSL (RFC 9293 3.6.1). 64 bytes on LP64. */
typedef struct tern_tw {
	struct tern_tw *hnext;            /* hash chain */
	struct tern_tw *next, *prev;      /* expiry order */
	tern_time expire;
	uint32_t laddr, raddr;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent, ts_offset;    /* RFC 7323: its ACKs carry timestamps */
	uint16_t lport, rport;
	bool ts_ok;
} tern_tw;

struct tern_tcp {
	tern_stack *st;
	uint8_t key[16];                  /* hash-table key (from the secret) */
	uint32_t nbuckets, nconns;
	tern_tcb **buckets;               /* nbuckets chains of TCBs */
	tern_tcb *last;                   /* the TCB the last lookup found (or
	                                     hashed last); NULL once unhashed */
	struct tern_prf_memo {            /* the last connection's keyed PRF */
		uint32_t la, ra;
		uint16_t lp, rp;
		bool valid;
		uint64_t h;               /* SipHash-2-4 under the secret */
	} prf;
	struct tern_tuple_memo {          /* the last 4-tuple hashed */
		uint32_t la, ra;
		uint16_t lp, rp;
		bool valid;
		uint32_t hash;            /* SipHash-1-3, before the mask */
	} memo;
	tern_tw **tw_buckets;             /* nbuckets chains of TIME-WAIT records */
	tern_tw *tw_head, *tw_tail;       /* oldest first */
	uint32_t ntw;
	tern_timer tw_timer;
	uint32_t eph_next;                /* RFC 6056 algorithm 3's counter */
	tern_time chack_second;           /* start of the challenge-ACK second */
	uint32_t chack_sent, chack_quota;
	/* connections to answer at batch end, answered last first: an array,
	 * not a link in every TCB (issue 4: lean connections), of
	 * PENDING_KEEP entries between batches (tcp_conn.c) */
	tern_tcb **pending;
	uint32_t npending, pending_cap;
	/* buffer memory (tcp_buf.c): ring storage held and its peak; the
	 * receive rings holding only out-of-order data, oldest first, and
	 * their storage: what pressure prunes */
	uint64_t mem_used, mem_peak, mem_prunable;
	/* one emptied ring kept for the next of its size (tcp_buf.c), not
	 * charged to the account, which counts rings holding data; one freed
	 * TCB (tcp_conn.c), socket (sock/socket.c) and smallest RACK queue
	 * (tcp_rack.c); spare_timer frees them all within a second of the
	 * first being kept */
	uint8_t *spare_ring;
	uint32_t spare_cap;
	tern_tcb *spare_tcb;
	struct tern_socket *spare_sock;
	tern_txq *spare_txq;
	size_t spare_txq_bytes;
	tern_timer spare_timer;
	tern_rcvbuf *prune_head, *prune_tail;
	/* SYN-cookie keys (tcp_syncookie.c): [0] this epoch's, [1] the one
	 * before, which still checks cookies issued just before a rotation */
	struct tern_cookie_key {
		uint8_t key[16];
		uint32_t epoch;
		bool valid;
	} cookie_key[2];
	tern_pmtu pmtu[TERN_PMTU_SLOTS];  /* tcp_icmp.c */
	bool pmtu_any;                    /* some entry was ever stored */
	tern_socket_list *ports;       /* bound TCP sockets by port (tcp_ports.c) */
	uint32_t nports, nbound;       /* buckets (a power of two), sockets in them */
};

/* tcp_conn.c */
/* SipHash-2-4 under the stack's secret of a connection's endpoints: its
 * low half keys the ISN (RFC 6528), its high half the timestamp offset
 * (RFC 7323 7.1); both are asked for as a connection starts, so the last
 * one is remembered. */
uint64_t tern_tcp_conn_prf(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r);
/* Arm the timer that frees the spares (see struct tern_tcp), unless armed:
 * it is not pushed back by each spare kept, so a busy stack pays one
 * allocation of each a second, and keeping one costs no re-arm. */
void tern_tcp_spare_hold(tern_tcp *tcp);
void tern_tcp_spares_free(tern_stack *st);
void tern_tcb_release(tern_tcb *tcb);  /* the socket lets go of its TCB */
tern_tw *tern_tw_lookup(tern_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp);
/* The connection of a 4-tuple, else NULL with *tw its TIME-WAIT record (or
 * NULL): one hash for both tables. */
tern_tcb *tern_tcp_lookup(tern_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp,
			  tern_tw **tw);
void tern_tw_restart(tern_stack *st, tern_tw *tw);
void tern_tw_free(tern_stack *st, tern_tw *tw);
uint16_t tern_tcp_ephemeral(tern_stack *st, uint32_t laddr, const tern_endpoint *r);

/* tcp_timer.c */
void tern_tcp_timer_fire(tern_timer *t, tern_time now);

/* tcp_ports.c: the bound-port table, made and freed with tern_tcp */
int tern_tcp_ports_init(tern_stack *st);
void tern_tcp_ports_free(tern_stack *st);
bool tern_tcp_port_bound(tern_stack *st, const struct tern_socket *self, uint32_t addr,
			 uint16_t port);
/* Another listener on the port and an overlapping address? */
bool tern_tcp_listener_clash(const struct tern_socket *s);
struct tern_socket *tern_tcp_listener_lookup(tern_stack *st, uint32_t addr, uint16_t port);

/* tcp_listen.c */
/* A SYN for a listener: make the child TCB in SYN-RECEIVED and answer. */
void tern_tcp_listener_syn(struct tern_socket *ls, const tern_ip4_repr *ip,
			   const tern_tcp_repr *seg);
/* The child a valid SYN-cookie ACK rebuilds (in the SYN queue), or NULL;
 * *drop says a valid cookie met a full accept queue (drop, do not reset). */
struct tern_tcb *tern_tcp_listener_cookie_ack(struct tern_socket *ls, const tern_ip4_repr *ip,
					      const tern_tcp_repr *seg, bool *drop);
void tern_tcp_listener_established(struct tern_socket *ls, tern_tcb *child);
void tern_tcp_listener_forget(struct tern_socket *ls, tern_tcb *child);

/* tcp_icmp.c: the path MTU cache (RFC 1191 6.3). A new connection starts
 * at the path MTU learnt for its destination; a lowered one tries its full
 * size again PMTU_AGE after the decrease. */
void tern_tcp_pmtu_start(tern_tcb *tcb);
void tern_tcp_pmtu_check(tern_tcb *tcb);

/* tcp_opt.c: option negotiation (RFC 9293 3.7.1 MSS, RFC 7323 window scale
 * and timestamps) */
void tern_tcp_syn_options(const tern_tcb *tcb, tern_tcp_opts *o);
void tern_tcp_take_syn_options(tern_tcb *tcb, const tern_tcp_opts *o);
/* Options of a segment that is not a SYN: the timestamp once negotiated. */
void tern_tcp_data_options(const tern_tcb *tcb, tern_tcp_opts *o);
/* Our timestamp clock (1 ms a tick, RFC 7323 5.4) and its offset. */
uint32_t tern_tcp_ts_now(const tern_tcb *tcb);
/* IP + TCP header bytes, options included, on every data segment. */
uint32_t tern_tcp_seg_overhead(const tern_tcb *tcb);
/* RFC 1191 / RFC 5927 7.2: the least path MTU a report may set. */
#define TERN_TCP_MIN_PMTU 576u
/* RFC 9293 3.7.1 (MUST-15): the send MSS when the peer sent no MSS option. */
#define TCP_DEFAULT_MSS 536
void tern_tcp_opt_init(tern_tcb *tcb);

/* tcp_rcv_tune.c: receive-buffer auto-tuning up to max (0: off) */
void tern_rcv_tune_init(tern_tcb *tcb, uint32_t max);
/* Its ceiling, 0 when off: the stack's (the only max init is given) */
static inline uint32_t tern_rcv_tune_max(const tern_tcb *tcb)
{
	return tcb->rcv_tune ? tcb->st->cfg.tcp_rcvbuf_max : 0;
}
/* A segment arrived in the synchronized states: take the receiver's RTT
 * from its timestamp echo and, once a round trip, resize the buffer. */
void tern_rcv_tune(tern_tcb *tcb, const tern_tcp_opts *o);
/* Bytes of TCP options every data segment carries. */
uint32_t tern_tcp_data_opt_len(const tern_tcb *tcb);

/* tcp_input.c: a module's view of the connection, and what the module
 * changed (cwnd, ssthresh) taken back after the call */
tern_cc_stat tern_cc_view(const tern_tcb *tcb);
void tern_cc_take(tern_tcb *tcb, const tern_cc_stat *cs);
/* The same around one call of a hook (n: its byte count) */
void tern_cc_call(tern_tcb *tcb, void (*hook)(tern_cc_stat *, void *));
void tern_cc_call_n(tern_tcb *tcb, void (*hook)(tern_cc_stat *, void *, uint32_t), uint32_t n);

/* tcp_user.c: the common start of a new connection's variables; false
 * when out of memory (the caller releases the TCB) */
bool tern_tcb_init_from_knobs(tern_tcb *tcb, const struct tern_socket *s);
/* tcp_conn.c: give the TCB its own copy of a non-empty source route;
 * false when out of memory */
bool tern_tcb_set_route(tern_tcb *tcb, const tern_ip4_srcroute *sr);

#endif
