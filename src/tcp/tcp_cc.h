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
	/* Sequence space, for modules that count round trips (HyStart++,
	 * RFC 9406 4.2): snd_una is SND.UNA after the ACK being reported,
	 * snd_max the highest sequence number sent plus one (RFC 9406's
	 * SND.NXT; not the go-back-N SND.NXT an RTO rewinds). Modules must
	 * tolerate both staying 0: every ACK then closes a round. */
	uint32_t snd_una, snd_max;
} tern_cc_stat;

#define TERN_CC_STATE_MAX 72   /* bytes reserved in each TCB for module state: CUBIC's */

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

	/* Optional hooks: NULL means the module does not need the event, and
	 * the engine skips the call. */

	/* An RTT measurement `rtt` taken from an ACK of new data: each
	 * timestamp echo (RFC 7323 4) or, without timestamps, the one timed
	 * segment (RFC 6298, Karn's rule). Called once per sample, after the
	 * stat is synced for that ACK and before its on_ack / on_recovery_*
	 * call; not for the handshake's sample, which init would discard.
	 * HyStart++ needs N_RTT_SAMPLE (8) a round trip (RFC 9406 4.3): with
	 * one timed segment per RTT it never leaves slow start early. */
	void (*on_rtt_sample)(tern_cc_stat *s, void *state, tern_time rtt);
	/* An ACK with ECN-Echo (RFC 3168 6.1.2) while not in loss recovery,
	 * at most once per window of data: the congestion response without
	 * a retransmission. Called before on_ack for the same ACK. */
	void (*on_ecn)(tern_cc_stat *s, void *state);
} tern_cc_ops;

/* Fast recovery as RFC 5681 3.2 and RFC 6582 3.2 define it, shared by the
 * modules that keep it (NewReno, and CUBIC per RFC 9438 4.2): window
 * inflation per duplicate ACK, deflation on a partial ACK. */
void tern_cc_reno_recovery_dupack(tern_cc_stat *s, void *state);
void tern_cc_reno_recovery_partial(tern_cc_stat *s, void *state, uint32_t acked);

/* RFC 5681 3.1 eq. 1-3: the initial window for a given SMSS. */
uint32_t tern_cc_initial_window(uint32_t mss);

/* The registered modules; NULL when the name is unknown. "newreno" always
 * exists; tern_cc_default() is the one new connections get. */
const tern_cc_ops *tern_cc_find(const char *name);
const tern_cc_ops *tern_cc_default(void);

/* A TCB names its module by its index in the registry, one byte instead
 * of a pointer (issue 4: lean connections). */
#define TERN_CC_NMODULES 2
extern const tern_cc_ops *const tern_cc_modules[TERN_CC_NMODULES];
uint8_t tern_cc_id(const tern_cc_ops *ops);

extern const tern_cc_ops tern_cc_newreno;
extern const tern_cc_ops tern_cc_cubic;

#endif
