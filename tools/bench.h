/*
 * bench.h - the pieces `tern bench` is made of (tools/bench_*.c).
 *
 * Every benchmark measures tern and a peer in the same run and reports both
 * with their ratio, because this machine kind's throttled vCPUs make
 * absolute figures noisy while ratios taken minutes apart stay comparable.
 * docs/BENCHMARKS.md explains each figure and the targets.
 */
#ifndef TERN_TOOLS_BENCH_H
#define TERN_TOOLS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/dev.h"
#include "tern/sim.h"
#include "tern/tern.h"

/* ---- options and results ------------------------------------------------- */

typedef struct bench_opts {
	bool json;
	bool no_peer;      /* skip the Linux peers (for callgrind runs) */
	uint64_t bytes;    /* memlink-throughput transfer size */
	uint32_t mtu;      /* memlink MTU */
	uint32_t chunk;    /* application write/read size */
	uint32_t rcvbuf;   /* tern and Linux receive buffer */
	uint32_t sndbuf;   /* tern send buffer */
	uint64_t count;    /* rr-latency round trips, connect-rate lifecycles */
	uint32_t conns;    /* conn-memory connections */
	uint32_t sim_s;    /* loss-goodput, fairness: virtual seconds per case
	                      (each benchmark scales it; 0: its default) */
	uint32_t flows;    /* fairness: only this flow count (0: 2, 10, 100) */
	uint64_t tun_bytes; /* tun-throughput: bytes per transfer (0: 64 MiB) */
	uint32_t repeat;    /* tun-throughput: runs of each stack (0: 3) */
	int csum;           /* memlink-throughput: BENCH_CSUM_* */
} bench_opts;

/* memlink-throughput's ways (tools/bench_throughput.c): all in one run
 * (the figure is with checksums offloaded, as Linux's loopback computes
 * none, and zero-copy reads), or only that one, or only software checksums
 * with copying reads. */
enum { BENCH_CSUM_BOTH, BENCH_CSUM_OFFLOAD, BENCH_CSUM_SW };

typedef struct bench_result {
	const char *name, *unit;
	double tern, peer;
	const char *peer_name;
	const char *target;  /* the target for tern/peer, "" if none */
	bool met;
	char extra[768];     /* more JSON members: `,"key":value...` */
	bool printed;        /* the benchmark printed its own lines, one per
	                        case (loss-goodput, fairness): print nothing */
} bench_result;

/* Append `,"key":value` (a number) or `,"key":"text"` to r->extra. */
void bench_extra_num(bench_result *r, const char *key, double v);
void bench_extra_str(bench_result *r, const char *key, const char *v);
/* Print the result as one JSON line (--json) or one readable line. */
void bench_report(const bench_result *r, bool json);

/* Each benchmark fills r; returns 0, or 1 with a message on stderr. */
int bench_memlink_throughput(const bench_opts *o, bench_result *r);
int bench_rr_latency(const bench_opts *o, bench_result *r);
int bench_connect_rate(const bench_opts *o, bench_result *r);
int bench_conn_memory(const bench_opts *o, bench_result *r);
int bench_loss_goodput(const bench_opts *o, bench_result *r);
int bench_fairness(const bench_opts *o, bench_result *r);
int bench_tun_throughput(const bench_opts *o, bench_result *r);

/* ---- clocks (nanoseconds) ------------------------------------------------ */

uint64_t bench_wall_ns(void);    /* CLOCK_MONOTONIC */
uint64_t bench_thread_ns(void);  /* CLOCK_THREAD_CPUTIME_ID */
uint64_t bench_proc_ns(void);    /* CLOCK_PROCESS_CPUTIME_ID */

/* ---- the stream both ends agree on, and its hash ------------------------- */

/* The sender's bytes: a pseudo-random pattern whose period (1 MiB + 13) is
 * prime to every buffer and segment size, so a byte misplaced by a whole
 * segment still changes the hash. */
#define BENCH_PATTERN_LEN ((1u << 20) + 13u)
typedef struct bench_pattern {
	uint8_t *bytes;   /* BENCH_PATTERN_LEN bytes */
	uint32_t off;     /* where the next send starts */
} bench_pattern;
int bench_pattern_init(bench_pattern *p);
void bench_pattern_free(bench_pattern *p);
/* Where the next `*len` bytes of the stream are; *len is cut to what is
 * contiguous. bench_pattern_advance() then moves past what was taken. */
const uint8_t *bench_pattern_next(const bench_pattern *p, size_t *len);
void bench_pattern_advance(bench_pattern *p, size_t n);

/* A streaming 4-lane multiply-rotate hash: its result does not depend on
 * how the stream was cut into pieces. Not cryptographic; it catches a lost,
 * duplicated, reordered or corrupted byte. The time spent hashing is kept
 * (thread CPU time) so that benchmarks can leave it out of their figure. */
typedef struct bench_hash {
	uint64_t lane[4];
	uint8_t tail[32];
	uint32_t ntail;
	uint64_t total;
	uint64_t cpu_ns;  /* thread CPU time spent in bench_hash_update_timed */
} bench_hash;
void bench_hash_init(bench_hash *h);
void bench_hash_update(bench_hash *h, const void *data, size_t len);
void bench_hash_update_timed(bench_hash *h, const void *data, size_t len);
uint64_t bench_hash_final(const bench_hash *h);
/* The hash of the first n bytes of the pattern stream. */
uint64_t bench_pattern_hash(const bench_pattern *p, uint64_t n);

/* ---- a counting allocator (tern_config.allocator) ------------------------ */

typedef struct bench_mem {
	uint64_t in_use, peak, allocs, frees;
} bench_mem;
tern_allocator bench_mem_allocator(bench_mem *m);

/* ---- two tern stacks over a memlink, on a virtual clock ------------------ */

#define BENCH_ADDR_A TERN_IP4(10, 0, 0, 1)
#define BENCH_ADDR_B TERN_IP4(10, 0, 0, 2)
#define BENCH_PORT 5001

typedef struct bench_pair_cfg {
	uint32_t mtu;
	uint32_t rcvbuf, sndbuf;     /* 0: the stack's defaults */
	uint32_t max_conns;          /* TCBs and TIME-WAIT records; 0: defaults */
	uint32_t queue_max;          /* memlink packets per direction */
	uint64_t seed;
	uint32_t csum_offload;       /* both interfaces' TERN_CSUM_OFFLOAD_* */
} bench_pair_cfg;

/* Stack 0 (A, 10.0.0.1) and stack 1 (B, 10.0.0.2), each with its own
 * counting allocator so its memory can be read apart. The virtual clock
 * moves BENCH_TICK per pass and jumps to the next timer when nothing moves:
 * the figures then count the stack's work, never a wait for a timer, and a
 * run is the same instruction for instruction (callgrind). */
#define BENCH_TICK 1u /* microseconds of virtual time per pass */
typedef struct bench_pair {
	tern_stack *st[2];
	tern_dev *dev[2];
	tern_iface *ifc[2];
	bench_mem mem[2], link_mem;
	uint64_t rng[2];
	tern_time now;
	uint64_t passes, jumps;
} bench_pair;

int bench_pair_init(bench_pair *p, const bench_pair_cfg *c);
void bench_pair_fini(bench_pair *p);
/* One pass: deliver what the link holds (each side's arrivals as one input
 * batch), then run due timers. Returns true when a packet moved. */
bool bench_pair_deliver(bench_pair *p);
/* After a pass in which neither packets nor the application moved: jump
 * the clock to the earliest deadline. false when there is none (stuck). */
bool bench_pair_idle(bench_pair *p);
/* Advance the clock by one tick and run due timers. */
void bench_pair_tick(bench_pair *p);
/* Run passes until done(ctx) holds (it may move the application along,
 * e.g. read); -1 when the stacks are stuck with no timer left. */
typedef bool (*bench_done_fn)(void *ctx);
int bench_pair_until(bench_pair *p, bench_done_fn done, void *ctx);
/* Run passes until the link stays empty for a pass. */
void bench_pair_settle(bench_pair *p);
/* Settle, then keep jumping to the next timer (delayed ACKs) while one is
 * due within `horizon`, so that what the stacks hold is what an idle
 * connection keeps. */
void bench_pair_quiesce(bench_pair *p, tern_time horizon);

/* ---- bulk flows through the simulator (bench_sim.c) ---------------------- */

/* Hosts A (10.0.0.1) and B (10.0.0.2) joined by one simulated link; `flows`
 * connections from A to B, flow i opened at i * stagger, each sending the
 * pattern from its start for as long as the run lasts. */
typedef struct bench_sim_cfg {
	tern_sim_link_config link;
	const char *cc;      /* every flow's congestion control ("cubic", "newreno") */
	bool no_sack;        /* tern_config.tcp_no_sack on both hosts */
	uint32_t flows;
	tern_time stagger;
	uint32_t buf;        /* send and receive buffer of every flow */
	uint64_t seed;
} bench_sim_cfg;

typedef struct bench_sim_flow {
	tern_socket *cli;          /* A's end */
	tern_socket *srv;          /* the i-th connection B accepted */
	bench_pattern pat;         /* the sender's place in the shared pattern */
	bench_hash hash;           /* what srv's reader read */
	uint64_t received, mark;   /* bytes read; and when bench_sim_mark ran */
} bench_sim_flow;

typedef struct bench_sim {
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	tern_socket *lis;
	bench_sim_flow *flow;
	uint32_t nflows, started, accepted;
	tern_time stagger, mark_t;
	tern_sim_link_stats mark_ab;
	bench_pattern pat;
	uint8_t *rbuf;
} bench_sim;

int bench_sim_init(bench_sim *s, const bench_sim_cfg *c);
void bench_sim_fini(bench_sim *s);
/* Run the applications every millisecond until virtual time `until`. */
int bench_sim_run_until(bench_sim *s, tern_time until);
/* Start the measured interval: what each flow has read and the link has
 * delivered so far no longer counts. */
void bench_sim_mark(bench_sim *s);
/* Flow i's goodput since the mark, and the share of the link's capacity
 * (A to B, IP bytes delivered, retransmissions included) used since. */
double bench_sim_goodput_mbps(const bench_sim *s, uint32_t i);
double bench_sim_link_util(const bench_sim *s, uint64_t rate_bps);
/* 0 when every reader's hash is that of the pattern's first bytes. */
int bench_sim_verify(const bench_sim *s);

/* ---- Linux loopback peers ------------------------------------------------ */

typedef struct bench_linux_stats {
	double value;     /* the figure, in the benchmark's unit */
	double cpu_s, wall_s;
	uint64_t hash;
} bench_linux_stats;
/* Bulk transfer of o->bytes over 127.0.0.1, one stream, the receiver in a
 * second thread; Gbit/s per CPU-second of the whole process. */
int bench_linux_throughput(const bench_opts *o, bench_linux_stats *out);
/* The same in a child process in a network namespace of its own, whose
 * loopback has tern's MTU (o->mtu), so both run at one MTU. Needs root:
 * -1 without it or on any failure, else 0. */
int bench_linux_throughput_mtu(const bench_opts *o, bench_linux_stats *out);
/* o->count 1-byte round trips, TCP_NODELAY; microseconds of wall time per
 * round trip (each round trip is two thread wake-ups on Linux). */
int bench_linux_rr(const bench_opts *o, bench_linux_stats *out);
/* o->count lifecycles: connect, 1-byte request and response, close;
 * lifecycles per CPU-second. */
int bench_linux_connect(const bench_opts *o, bench_linux_stats *out);

#endif
