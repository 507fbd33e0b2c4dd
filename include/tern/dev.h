/*
 * dev.h - devices: where a stack's packets go and come from.
 *
 * A device moves whole IP packets. Devices stack like middleware: a fault
 * injector wraps a pcap tap which wraps a TUN device, and the stack sits on
 * top. Outbound packets travel down with tern_dev_transmit(); inbound packets
 * travel up through each device's `up` sink, which the layer above installs
 * (tern_iface_add installs the stack's).
 *
 * None of these devices performs I/O: the pcap tap hands bytes to a writer
 * callback (src/host supplies a FILE-backed one), the memlink and the fault
 * injector only hold packets in memory until polled.
 */
#ifndef TERN_DEV_H
#define TERN_DEV_H

#include "tern.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives one packet travelling up; the callee must copy what it keeps. */
typedef void (*tern_dev_rx_fn)(void *ctx, const uint8_t *pkt, size_t len,
			       tern_time now);

typedef struct tern_dev_ops {
	const char *name;
	/* Send one packet down. Returns 0 or a TERN_E* code (dropped). The
	 * device copies what it keeps. */
	int (*transmit)(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now);
	/* Release held packets due at now (both directions); returns the next
	 * deadline or TERN_TIME_NEVER. May be NULL for devices that hold none. */
	tern_time (*poll)(tern_dev *d, tern_time now);
	/* Free the device (not the lower one). May be NULL. */
	void (*del)(tern_dev *d);
} tern_dev_ops;

struct tern_dev {
	const tern_dev_ops *ops;
	tern_dev_rx_fn up;   /* where received packets go; set by the layer above */
	void *up_ctx;
};

/* Convenience wrappers; transmit on a NULL-ops device returns TERN_EINVAL. */
int tern_dev_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now);
tern_time tern_dev_poll(tern_dev *d, tern_time now);
void tern_dev_del(tern_dev *d);
/* Deliver a received packet to the layer above (no-op if none is set). */
void tern_dev_deliver(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now);

/* ---- memlink: two devices wired back to back in memory --------------------
 * A packet transmitted on one end is queued and delivered up the other end
 * at the next tern_dev_poll() of either end (never re-entrantly from inside
 * transmit, so stacks never recurse into each other). The queue holds at
 * most `queue_max` packets per direction (0 = 1024); excess is dropped. */
int tern_memlink_new(const tern_allocator *a, uint32_t queue_max,
		     tern_dev **end_a, tern_dev **end_b);
/* Packets dropped by the memlink because a queue was full. */
uint64_t tern_memlink_drops(const tern_dev *end);

/* ---- pcap tap --------------------------------------------------------------
 * Writes every packet that passes, in both directions, in classic pcap format
 * with LINKTYPE_RAW (101, raw IPv4), microsecond timestamps taken from the
 * `now` the packet travelled at (plus base_time, for wall-clock captures).
 * The writer receives the 24-byte file header first, then records. */
typedef int (*tern_pcap_write_fn)(void *ctx, const void *buf, size_t len);
int tern_pcap_tap_new(const tern_allocator *a, tern_dev *lower,
		      tern_pcap_write_fn write, void *write_ctx,
		      tern_time base_time, tern_dev **out);
/* Snapshot length recorded in the pcap header. */
#define TERN_PCAP_SNAPLEN 65535u

/* ---- fault injector -------------------------------------------------------
 * Applies loss, duplication, reordering, corruption and delay to packets in
 * both directions, each with its own probability, from its own seeded PRNG
 * (so a run is repeatable). Reordering holds a packet back by reorder_delay
 * so that later ones overtake it. Probabilities are 0.0 .. 1.0.
 *
 * With rate_bps a bottleneck comes first, in each direction on its own, as
 * the simulator's link has (include/tern/sim.h): a packet is serialised at
 * rate_bps behind those before it (it leaves at max(now, the previous
 * one's departure) + len * 8 / rate_bps, rounded up to a microsecond), or,
 * when queue_pkts packets already wait behind the one being serialised, is
 * dropped at the tail and counted in queue_drops. A packet that gets in is
 * then lost, duplicated, corrupted or reordered as on the wire after the
 * bottleneck (so a packet lost at random has still used the link's time),
 * and held delay (or reorder_delay) from its departure. Time is only what
 * the callers pass in: the bottleneck reads no clock. */
typedef struct tern_fault_config {
	double loss, dup, reorder, corrupt;
	tern_time delay;          /* fixed extra delay, each direction */
	tern_time reorder_delay;  /* [delay + 10 ms] hold time of reordered packets */
	uint64_t seed;
	uint64_t rate_bps;        /* [0 = none] bottleneck rate, bit/s, each direction */
	uint32_t queue_pkts;      /* packets that may wait behind the one being
	                             serialised, each direction, at most
	                             TERN_FAULT_QUEUE_MAX; [0 = 1000, Linux's
	                             default txqueuelen] with a rate, ignored
	                             without one */
} tern_fault_config;

/* The largest queue_pkts: a queue of that many costs 2 x 8 bytes each. */
#define TERN_FAULT_QUEUE_MAX 65536u
#define TERN_FAULT_QUEUE_DEFAULT 1000u

/* "queue_drops" are packets the bottleneck's full queue refused (no other
 * fault is drawn for them); "lost" are the random and cut losses. */
typedef struct tern_fault_stats {
	uint64_t passed, lost, duplicated, reordered, corrupted, delayed;
	uint64_t queue_drops;
} tern_fault_stats;

/* Create an injector above lower, taking over lower's up sink (restored by
 * tern_dev_del). The config is copied. Errors: TERN_EINVAL (a NULL
 * argument, an allocator without alloc/free, a probability outside 0..1,
 * queue_pkts above TERN_FAULT_QUEUE_MAX), TERN_ENOMEM. */
int tern_fault_new(const tern_allocator *a, tern_dev *lower,
		   const tern_fault_config *fc, tern_dev **out);
/* Copy the counters to *out (all zero when d is not a fault injector). */
void tern_fault_stats_get(const tern_dev *d, tern_fault_stats *out);
/* Pull the cable: every packet, either way, is lost (and counted lost)
 * while now < until; packets already held still leave. 0 ends a cut.
 * Errors: TERN_EINVAL when d is not a fault injector. */
int tern_fault_cut(tern_dev *d, tern_time until);

#ifdef __cplusplus
}
#endif
#endif
