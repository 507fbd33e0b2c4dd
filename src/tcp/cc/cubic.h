/* cubic.h - CUBIC's per-connection state (RFC 9438 4.1.2), visible so
 * tests and connection statistics can read K and W_max. Only cubic.c
 * writes it. */
#ifndef TERN_TCP_CC_CUBIC_H
#define TERN_TCP_CC_CUBIC_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/cc/hystart.h"
#include "tcp/tcp_cc.h"

/* Fixed-point scales. Times inside the cubic function are in units of
 * 2^-TERN_CUBIC_TQ s (about 1 ms); W_est carries TERN_CUBIC_EST_Q
 * fractional bits of a byte. */
#define TERN_CUBIC_TQ 10
#define TERN_CUBIC_EST_Q 10

typedef struct tern_cubic {
	tern_time epoch_start; /* t_epoch, valid while in_epoch */
	tern_time last_ack;    /* the last ACK seen: where an application-limited gap starts */
	uint64_t w_est;        /* W_est, bytes << TERN_CUBIC_EST_Q */
	uint32_t w_max;        /* W_max in bytes; 0 = none known (start, after an RTO) */
	uint32_t cwnd_prior;   /* bytes */
	uint32_t cwnd_epoch;   /* bytes */
	uint32_t k;            /* K, in 2^-TERN_CUBIC_TQ s */
	uint32_t carry;        /* growth remainder: numerator over cwnd, below cwnd */
	bool in_epoch;         /* a congestion-avoidance stage is under way */
	bool after_rto;        /* an RTO fired and no new data was acknowledged since */
	tern_hystart hs;
} tern_cubic;

#endif
