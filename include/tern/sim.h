/*
 * sim.h - a deterministic network simulator for tern stacks.
 *
 * A simulation holds a virtual clock (tern_time, microseconds from 0), hosts
 * and point-to-point links. A host is a tern stack with one interface on a
 * port device, or a raw port that a test drives by hand (to script packets
 * and watch the answers). A link models rate (serialization delay),
 * propagation delay, jitter, a drop-tail queue that may mark ECN-capable
 * packets CE (RFC 3168), random and bursty (Gilbert-Elliott) loss,
 * duplication, reordering, corruption and an MTU.
 *
 * Every random choice comes from the seed given to tern_sim_new: each host
 * and each link direction draws from its own stream derived from the seed
 * and its creation index, so adding a host does not disturb existing links.
 * The same seed and the same calls give the same run, bit for bit; compare
 * pcap captures to check.
 *
 * Nothing happens outside tern_sim_run_*: a run advances the clock event by
 * event, delivers packets at their arrival times and polls each stack at
 * its deadline. Tests act at exact virtual times with tern_sim_at; before a
 * callback runs, every stack is polled at the current time so that what the
 * callback sends carries that time.
 */
#ifndef TERN_SIM_H
#define TERN_SIM_H

#include "dev.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tern_sim tern_sim;
typedef struct tern_sim_host tern_sim_host;
typedef struct tern_sim_link tern_sim_link;

/* ---- the simulation ------------------------------------------------------- */

/* Errors: TERN_ENOMEM. */
int tern_sim_new(uint64_t seed, tern_sim **out);
/* Free the simulation: hosts (their stacks, sockets and devices), links,
 * pending events; closes capture files. */
void tern_sim_del(tern_sim *sim);
tern_time tern_sim_now(const tern_sim *sim);
uint64_t tern_sim_seed(const tern_sim *sim);

/* Called at a virtual time from inside a run. */
typedef void (*tern_sim_fn)(tern_sim *sim, void *ctx);

/* Run fn(sim, ctx) at time t (now, when t is in the past). Callbacks due
 * at the same time run in the order they were scheduled, after packets
 * scheduled earlier for that time. Errors: TERN_EINVAL, TERN_ENOMEM. */
int tern_sim_at(tern_sim *sim, tern_time t, tern_sim_fn fn, void *ctx);

/* Process everything due up to and including t, then leave the clock at t
 * with every stack polled at t. Errors: TERN_EINVAL (t is TERN_TIME_NEVER),
 * TERN_EALREADY (called from inside a run), TERN_ETIMEDOUT (a livelock: more
 * than TERN_SIM_MAX_STEPS_AT_ONCE steps without the clock moving; the clock
 * stays where it stuck). */
int tern_sim_run_until(tern_sim *sim, tern_time t);
int tern_sim_run_for(tern_sim *sim, tern_time dt);
#define TERN_SIM_MAX_STEPS_AT_ONCE 1000000u

/* ---- hosts ----------------------------------------------------------------- */

/* Add a host running a stack with one interface, "sim0", at addr
 * ("10.0.0.1/24"; no suffix means /32) with the given MTU (0 = 1500). The
 * stack gets a malloc-backed allocator that counts its bytes, a random
 * source and a secret derived from the seed; other limits are defaults.
 * name is copied (at most 31 chars). Errors: TERN_EINVAL, TERN_ENOMEM,
 * and those of tern_stack_new and tern_iface_add. */
int tern_sim_host_add(tern_sim *sim, const char *name, const char *addr, uint32_t mtu,
                      tern_sim_host **out);
/* The same with the stack's limits taken from cfg (its allocator, random
 * source and secret are replaced by the simulator's). */
int tern_sim_host_add_config(tern_sim *sim, const char *name, const char *addr, uint32_t mtu,
                             const tern_config *cfg, tern_sim_host **out);
/* Add a host with no stack: a bare port. Send with tern_dev_transmit on
 * tern_sim_host_dev(h) (at tern_sim_now) and receive by setting that
 * device's up and up_ctx. Errors: TERN_EINVAL, TERN_ENOMEM. */
int tern_sim_raw_add(tern_sim *sim, const char *name, tern_sim_host **out);

tern_stack *tern_sim_host_stack(const tern_sim_host *h); /* NULL when raw */
tern_iface *tern_sim_host_iface(const tern_sim_host *h); /* NULL when raw */
/* The device the stack (or the test, for a raw host) sits on. */
tern_dev *tern_sim_host_dev(tern_sim_host *h);
const char *tern_sim_host_name(const tern_sim_host *h);
uint32_t tern_sim_host_addr(const tern_sim_host *h); /* 0 when raw */
/* Bytes the host's stack and devices hold from its allocator now. */
size_t tern_sim_host_mem(const tern_sim_host *h);

/* ---- links ----------------------------------------------------------------- */

/* One configuration serves both directions; each direction has its own
 * queue, loss state, random stream and statistics. All zero is an ideal
 * wire: infinite rate, no delay, nothing lost, no MTU. */
typedef struct tern_sim_link_config {
	uint64_t rate_bps;    /* 0 = infinite: no serialization delay */
	tern_time delay;      /* one-way propagation delay */
	tern_time jitter;     /* extra delay uniform in [0, jitter]; never
	                         reorders: a packet waits for the one before */
	uint32_t queue_pkts;  /* packets waiting behind the one on the wire;
	                         0 = unlimited (only with rate_bps) */
	uint32_t queue_bytes; /* bytes of those; 0 = unlimited */
	double loss;          /* independent loss probability */
	/* Gilbert-Elliott burst loss, on when ge_p_good_bad > 0: after each
	 * packet the state moves good->bad with ge_p_good_bad and bad->good
	 * with ge_p_bad_good; in the bad state a packet is lost with
	 * ge_loss_bad (0 means 1.0). Mean burst: 1 / ge_p_bad_good packets. */
	double ge_p_good_bad, ge_p_bad_good, ge_loss_bad;
	double dup;              /* a second copy arrives right after the first */
	double reorder;          /* held back by reorder_delay; later ones pass */
	double corrupt;          /* one random bit flipped anywhere */
	tern_time reorder_delay; /* [10 ms] extra delay of a reordered packet */
	uint32_t mtu;            /* longer packets are dropped; 0 = no limit */
	/* ECN marking (RFC 3168 5): the queue sets CE (ECN field 11) on an
	 * IPv4 packet whose ECN field (the low 2 bits of the TOS byte) is
	 * ECT(0) or ECT(1), and updates its header checksum (RFC 1624).
	 * "Ahead" counts the packets waiting, as queue_pkts does: not the one
	 * being serialized, so marking needs rate_bps (TERN_EINVAL without).
	 * Not-ECT, CE and non-IPv4 packets are never marked and never dropped
	 * early: only the drop-tail limits refuse them, and a full queue
	 * drops ECT packets too. The instantaneous queue decides, not the
	 * average RFC 3168 5.1 asks of real routers, so tests can predict it.
	 * A marked packet may still be lost, duplicated or corrupted later. */
	uint32_t ecn_mark_pkts; /* step: mark when at least this many packets
	                           wait ahead; 0 = off; useful below queue_pkts */
	/* RED-like marking, on when ecn_red_max > 0 (ecn_red_min must be
	 * below it; both 0 and ecn_red_pmax 0 when off). A packet finding q
	 * packets ahead is marked with probability 0 for q <= ecn_red_min,
	 * ecn_red_pmax * (q - min) / (max - min) between, and 1 for
	 * q >= ecn_red_max (Floyd and Jacobson's RED). Either mode marks
	 * when both are on. The draw comes from the direction's own stream,
	 * only for ECT packets strictly between min and max that the step
	 * has not marked, so other traffic leaves the stream as it was. */
	uint32_t ecn_red_min, ecn_red_max;
	double ecn_red_pmax;
} tern_sim_link_config;

/* Counters of one direction. Once nothing is in flight,
 * sent == delivered + lost + queue_drops + mtu_drops - duplicated. */
typedef struct tern_sim_link_stats {
	uint64_t sent;       /* packets offered by the sending host */
	uint64_t delivered;  /* copies handed to the receiving host */
	uint64_t lost;       /* random and burst losses */
	uint64_t lost_burst; /* of those, lost in the Gilbert-Elliott bad state */
	uint64_t duplicated, reordered, corrupted;
	uint64_t queue_drops; /* refused by the full drop-tail queue */
	uint64_t mtu_drops;   /* longer than the link MTU */
	uint64_t ce_marked;   /* ECT packets the queue set CE on (counted
	                         when marked, even if lost afterwards) */
	uint64_t bytes_sent, bytes_delivered;
} tern_sim_link_stats;

/* Connect a to b. A host has one port, so one link.
 * Errors: TERN_EINVAL (bad config, a == b), TERN_EEXIST (already linked),
 * TERN_ENOMEM. out may be NULL. */
int tern_sim_connect(tern_sim *sim, tern_sim_host *a, tern_sim_host *b,
                     const tern_sim_link_config *cfg, tern_sim_link **out);
/* Change a link's behaviour from now on (a cut: loss = 1). Packets already
 * in flight keep their fate. Errors: TERN_EINVAL. */
int tern_sim_link_set_config(tern_sim_link *l, const tern_sim_link_config *cfg);

enum { TERN_SIM_AB = 0, TERN_SIM_BA = 1, TERN_SIM_BOTH = 2 };
/* Statistics of one direction (a to b, b to a) or both summed. */
void tern_sim_link_stats_get(const tern_sim_link *l, int dir, tern_sim_link_stats *out);

/* ---- captures (classic pcap, LINKTYPE_RAW) --------------------------------- */

/* Record what the host sends and receives, as a capture on the host would
 * see it (including what the link then loses). Several captures may be
 * attached. Errors: TERN_EINVAL, TERN_ENOMEM, the writer's error. */
int tern_sim_capture_host(tern_sim_host *h, tern_pcap_write_fn write, void *ctx);
/* Record what the link delivers, both directions, at arrival times (after
 * loss, duplication, reordering and corruption). */
int tern_sim_capture_link(tern_sim_link *l, tern_pcap_write_fn write, void *ctx);
/* The same into a file the simulation owns and closes in tern_sim_del.
 * Errors also: the negated errno of fopen. */
int tern_sim_pcap_host(tern_sim_host *h, const char *path);
int tern_sim_pcap_link(tern_sim_link *l, const char *path);

/* ---- event trace (docs/TRACE.md) ------------------------------------------ */

/* Every host's TCP events, present hosts and those added later, as JSON
 * lines in virtual time, each naming its host; write gets one whole line
 * per call (ctx may be a tern_sim_buf). Replaces an earlier trace.
 * Errors: TERN_EINVAL. */
int tern_sim_trace(tern_sim *sim, tern_pcap_write_fn write, void *ctx);
/* The same into a file the simulation owns: closed by tern_sim_trace_stop
 * or tern_sim_del. Errors also: the negated errno of fopen. */
int tern_sim_trace_file(tern_sim *sim, const char *path);
/* Stop tracing; close the file, if the simulation opened one. Returns 0, or
 * -EIO when a line could not be written. */
int tern_sim_trace_stop(tern_sim *sim);

/* A growing memory buffer usable as a capture writer (ctx = the buffer),
 * so tests can compare capture bytes. Start it zeroed. */
typedef struct tern_sim_buf {
	uint8_t *data;
	size_t len, cap;
} tern_sim_buf;
int tern_sim_buf_write(void *ctx, const void *buf, size_t len);
void tern_sim_buf_free(tern_sim_buf *b);

#ifdef __cplusplus
}
#endif
#endif
