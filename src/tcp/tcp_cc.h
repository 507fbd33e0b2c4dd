/* tcp_cc.h - congestion control as modules behind one ops struct.
 *
 * A module sees only tern_cc_stat (the figures RFC 5681 names) and its own
 * state block, whose size it declares so the connection can reserve it up
 * front and init cannot fail (as FreeBSD's cc_data_sz). The engine decides
 * *when* (an ACK, three duplicate ACKs, a partial ACK, an RTO, ECN echo);
 * the module decides *how much* cwnd and ssthresh change. Modules are
 * chosen per connection by name. */
#ifndef TERN_TCP_CC_H
#define TERN_TCP_CC_H

#include <stddef.h>
#include <stdint.h>

#include "tern/tern.h"

typedef struct tern_cc_stat {
	uint32_t cwnd, ssthresh;    /* bytes */
	uint32_t mss;               /* SMSS: the sender's maximum segment size */
	uint32_t flight;            /* FlightSize: bytes sent and not acknowledged */
	tern_time srtt, min_rtt;    /* 0 until a sample exists */
	tern_time now;
} tern_cc_stat;

#define TERN_CC_STATE_MAX 128  /* bytes reserved in each TCB for module state */

typedef struct tern_cc_ops {
	const char *name;
	size_t state_size;          /* <= TERN_CC_STATE_MAX */
	/* Set the initial window (RFC 5681 3.1) and ssthresh. */
	void (*init)(tern_cc_stat *s, void *state);
	/* New data acknowledged outside recovery: slow start or congestion
	 * avoidance. */
	void (*on_ack)(tern_cc_stat *s, void *state, uint32_t acked);
	/* Loss detected by duplicate ACKs (or SACK): entering recovery. */
	void (*on_recovery_enter)(tern_cc_stat *s, void *state);
	/* Each further duplicate ACK while in recovery (window inflation). */
	void (*on_recovery_dupack)(tern_cc_stat *s, void *state);
	/* A partial ACK in recovery acknowledging `acked` bytes (RFC 6582 3.2 step 5). */
	void (*on_recovery_partial)(tern_cc_stat *s, void *state, uint32_t acked);
	/* The ACK that ends recovery (RFC 6582 3.2 step 6). */
	void (*on_recovery_exit)(tern_cc_stat *s, void *state);
	/* Retransmission timeout (RFC 5681 3.1 eq. 4 and the loss window). */
	void (*on_rto)(tern_cc_stat *s, void *state);
	/* Sending resumes after `idle` without data in flight (RFC 5681 4.1). */
	void (*on_idle_restart)(tern_cc_stat *s, void *state, tern_time idle, tern_time rto);
} tern_cc_ops;

/* RFC 5681 3.1 eq. 1-3: the initial window for a given SMSS. */
uint32_t tern_cc_initial_window(uint32_t mss);

/* The registered modules; NULL when the name is unknown. "newreno" always
 * exists; tern_cc_default() is the one new connections get. */
const tern_cc_ops *tern_cc_find(const char *name);
const tern_cc_ops *tern_cc_default(void);

extern const tern_cc_ops tern_cc_newreno;

#endif
