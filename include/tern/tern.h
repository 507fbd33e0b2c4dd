/*
 * tern.h - the public face of tern, a sans-I/O TCP/IP stack.
 *
 * The core never reads a clock, never sleeps and never performs I/O. Time comes
 * in as an argument (tern_time, microseconds on any monotonic scale the caller
 * chooses), packets leave through the interface's device (tern_dev), and
 * entropy and memory come from the configuration.
 *
 * Conventions: functions returning int give 0 (or a byte count) on success
 * and a negative TERN_E* code on failure. Every TERN_E* value is the negated
 * Linux errno of the same name, so tern_strerror() and strerror(-rc) agree.
 */
#ifndef TERN_TERN_H
#define TERN_TERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- time ---------------------------------------------------------------- */

/* Microseconds on the caller's monotonic clock. */
typedef uint64_t tern_time;
#define TERN_TIME_NEVER UINT64_MAX
#define TERN_MS(x) ((tern_time)(x) * 1000u)
#define TERN_SEC(x) ((tern_time)(x) * 1000000u)

/* ---- errors -------------------------------------------------------------- */

enum {
	TERN_OK = 0,
	TERN_EPERM = -1,
	TERN_ENOENT = -2,
	TERN_EBADF = -9,
	TERN_EAGAIN = -11,
	TERN_ENOMEM = -12,
	TERN_EFAULT = -14,
	TERN_EEXIST = -17,
	TERN_EINVAL = -22,
	TERN_ENOSPC = -28,
	TERN_EPIPE = -32,
	TERN_ENOSYS = -38,
	TERN_EPROTO = -71,
	TERN_EDESTADDRREQ = -89,
	TERN_EMSGSIZE = -90,
	TERN_EPROTONOSUPPORT = -93,
	TERN_EOPNOTSUPP = -95,
	TERN_EADDRINUSE = -98,
	TERN_EADDRNOTAVAIL = -99,
	TERN_ENETUNREACH = -101,
	TERN_ECONNABORTED = -103,
	TERN_ECONNRESET = -104,
	TERN_ENOBUFS = -105,
	TERN_EISCONN = -106,
	TERN_ENOTCONN = -107,
	TERN_ETIMEDOUT = -110,
	TERN_ECONNREFUSED = -111,
	TERN_EHOSTUNREACH = -113,
	TERN_EALREADY = -114,
	TERN_EINPROGRESS = -115,
};

/* The errno name and a short description of a TERN_E* code, e.g.
 * "ECONNREFUSED: connection refused". Never NULL; unknown codes give
 * "unknown error". The string is static. */
const char *tern_strerror(int err);

/* ---- addresses ------------------------------------------------------------ */

/* IPv4 addresses and ports are kept in host byte order in the API. */
typedef struct tern_endpoint {
	uint32_t addr;
	uint16_t port;
} tern_endpoint;

#define TERN_IP4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* Parse dotted-quad "a.b.c.d" (optionally "/prefix" when prefix != NULL;
 * without a suffix *prefix is set to 32). Returns 0 or TERN_EINVAL. */
int tern_ip4_from_str(const char *s, uint32_t *addr, uint8_t *prefix);
/* Format an address into buf (at least 16 bytes). Returns buf. */
char *tern_ip4_to_str(uint32_t addr, char *buf);

/* ---- configuration -------------------------------------------------------- */

typedef struct tern_allocator {
	/* Returns NULL when out of memory. */
	void *(*alloc)(void *ctx, size_t size);
	/* size is the size passed to alloc. p may be NULL. */
	void (*free)(void *ctx, void *p, size_t size);
	void *ctx;
} tern_allocator;

/* Returns 64 uniformly random bits. Used for identification fields, port
 * choice and jitter, and as fresh material for the rotating SYN-cookie key,
 * where it is always mixed with cfg.secret (secrets never come from it
 * alone). */
typedef uint64_t (*tern_random_fn)(void *ctx);

/* ---- event trace (docs/TRACE.md) ------------------------------------------ */

/* What TCP decides, as it decides it. Set tern_config.trace (or call
 * tern_stack_set_trace) to receive each event; unset, no event is built. */
typedef enum tern_trace_kind {
	TERN_TRACE_SEG_OUT,  /* a segment leaves */
	TERN_TRACE_SEG_IN,   /* a segment arrives (checksum good) */
	TERN_TRACE_STATE,    /* RFC 9293 state change */
	TERN_TRACE_RTT,      /* an RTT sample (RFC 6298) */
	TERN_TRACE_CWND,     /* cwnd or ssthresh changed */
	TERN_TRACE_RTX,      /* a retransmission is decided */
	TERN_TRACE_TIMER,    /* a TCP timer armed, stopped or fired */
	TERN_TRACE_DROP,     /* a segment dropped; the counter that counted it */
} tern_trace_kind;

/* Why a segment is sent again. */
typedef enum tern_trace_rtx {
	TERN_RTX_NONE, TERN_RTX_FAST, TERN_RTX_RACK, TERN_RTX_RTO, TERN_RTX_TLP,
	TERN_RTX_SYN, TERN_RTX_PMTU,
} tern_trace_rtx;

/* A segment as on the wire (host byte order), its options flattened. */
typedef struct tern_trace_seg {
	uint32_t seq, ack, len;     /* len: data bytes, SYN and FIN not counted */
	uint16_t win;               /* the window field, unscaled */
	uint8_t flags;              /* TERN_TCPF_* */
	uint8_t rtx;                /* tern_trace_rtx, on TERN_TRACE_SEG_OUT */
	bool has_mss, has_ws, sack_ok, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint8_t nsack;
	uint32_t tsval, tsecr;
	uint32_t sack[4][2];        /* [left, right) blocks, nsack of them */
} tern_trace_seg;

/* Segment flags as in the TCP header (RFC 9293 3.1, RFC 3168 6.1). */
enum {
	TERN_TCPF_FIN = 0x01, TERN_TCPF_SYN = 0x02, TERN_TCPF_RST = 0x04,
	TERN_TCPF_PSH = 0x08, TERN_TCPF_ACK = 0x10, TERN_TCPF_URG = 0x20,
	TERN_TCPF_ECE = 0x40, TERN_TCPF_CWR = 0x80,
};

typedef struct tern_trace_event {
	tern_trace_kind kind;
	tern_time t;                     /* the stack's time when it happened */
	uint32_t laddr, raddr;           /* the connection (host byte order) */
	uint16_t lport, rport;
	union {
		tern_trace_seg seg;                                  /* SEG_OUT, SEG_IN */
		struct { int old, now; const char *cause; } state;   /* TERN_TCP_* */
		struct { tern_time sample, srtt, rttvar, rto; } rtt; /* microseconds */
		struct { uint32_t cwnd, ssthresh; const char *reason; } cwnd;
		struct { uint8_t why; uint32_t seq, len; } rtx;      /* tern_trace_rtx */
		struct { const char *timer, *action; tern_time at; } timer;
		struct { const char *counter; } drop;
	} u;
} tern_trace_event;

/* Called synchronously from inside the stack: it must not call back into
 * the stack. The event and its strings live only for the call. */
typedef void (*tern_trace_fn)(void *ctx, const tern_trace_event *ev);

/* Write ev as one JSON line (docs/TRACE.md, with a trailing newline) into
 * buf, host naming the stack. Returns the length it needs (as snprintf:
 * when that is >= cap the line was cut short; buf is always terminated). */
size_t tern_trace_format(const tern_trace_event *ev, const char *host, char *buf, size_t cap);
/* Name of a retransmission cause ("fast", "rack", "rto", "tlp", "syn",
 * "pmtu"; "" for none). */
const char *tern_trace_rtx_name(int why);

typedef struct tern_config {
	tern_allocator allocator;   /* required */
	tern_random_fn random;      /* required */
	void *random_ctx;
	uint8_t secret[16];         /* required, not all zero: the key of SipHash-derived
	                               values (ISNs, RFC 6528; ports, RFC 6056) for the
	                               stack's life, and the root of the SYN-cookie
	                               keys, which rotate every 256 s */

	/* Limits. Zero means "use the default" given in brackets. */
	uint32_t pkt_pool_count;     /* [256] pooled packet buffers */
	uint32_t pkt_buf_size;       /* [2048] bytes per pooled buffer */
	uint32_t max_sockets;        /* [1024] */
	uint32_t reasm_max_bytes;    /* [262144] bytes held in IPv4 reassembly */
	uint32_t reasm_max_datagrams;/* [64] datagrams being reassembled */
	tern_time reasm_timeout;     /* [30 s] RFC 1122 3.3.2 suggests 60..120 s */
	uint32_t udp_rcvq_max;       /* [65536] default per-socket receive queue bytes */
	uint32_t icmp_err_rate;      /* [100] ICMP errors per second (token rate) */
	uint32_t icmp_err_burst;     /* [20] token bucket depth */
	uint8_t ip_ttl;              /* [64] */
	bool ip_accept_source_route; /* [false] accept datagrams with a completed
	                                source route (RFC 1122 3.3.5); RFC 7126
	                                recommends refusing them, as Linux does */

	/* TCP */
	uint32_t tcp_max_conns;      /* [4096] TCBs (not counting TIME-WAIT) */
	uint32_t tcp_max_time_wait;  /* [4096] TIME-WAIT records */
	uint32_t tcp_sndbuf;         /* [65536] default send buffer bytes */
	uint32_t tcp_rcvbuf;         /* [65535] default receive buffer bytes */
	uint32_t tcp_rcvbuf_max;     /* [4 MiB] receive-buffer auto-tuning grows a
	                                connection's buffer up to this; at or below
	                                tcp_rcvbuf it is off (docs/DECISIONS.md) */
	uint32_t tcp_sndbuf_max;     /* [4 MiB] send-buffer auto-tuning grows a
	                                connection's buffer up to this when the
	                                network would take more than it holds; at
	                                or below tcp_sndbuf it is off */
	uint64_t tcp_mem_max;        /* [64 MiB] send, receive and out-of-order buffer
	                                bytes of all connections together; under
	                                pressure out-of-order data is pruned first */
	tern_time tcp_msl;           /* [30 s] TIME-WAIT lasts 2*MSL */
	tern_time tcp_rto_min;       /* [200 ms] */
	tern_time tcp_rto_max;       /* [60 s] */
	tern_time tcp_delack;        /* [40 ms] delayed-ACK timeout (<= 500 ms) */
	tern_time tcp_fin_wait2;     /* [60 s] orphaned FIN-WAIT-2 limit */
	uint8_t tcp_syn_retries;     /* [7] SYN / SYN-ACK retransmissions (>= 3 min) */
	uint8_t tcp_retries1;        /* [3] R1: retransmissions before advising IP */
	uint8_t tcp_retries2;        /* [15] R2: retransmissions before giving up */
	uint32_t tcp_challenge_ack_limit; /* [1000] ACKs a second answering unacceptable
	                                segments (challenge ACKs included), per stack */
	bool tcp_no_wscale;          /* [false] do not offer window scaling (RFC 7323) */
	bool tcp_no_timestamps;      /* [false] do not offer timestamps (RFC 7323) */
	bool tcp_no_sack;            /* [false] do not offer SACK (RFC 2018) */
	bool tcp_no_ecn;             /* [false] neither request nor accept ECN (RFC 3168) */
	bool tcp_no_syncookies;      /* [false] drop SYNs to a full SYN queue instead of
	                                answering with a SYN cookie (RFC 4987 3.6) */

	/* Observation */
	tern_trace_fn trace;         /* [NULL] event trace (docs/TRACE.md) */
	void *trace_ctx;
} tern_config;

/* Fill cfg with defaults; allocator and random stay unset (the core cannot
 * choose them). src/host's tern_host_config_init() fills all of it. */
void tern_config_init(tern_config *cfg);

/* ---- the stack ------------------------------------------------------------ */

typedef struct tern_stack tern_stack;
typedef struct tern_iface tern_iface;
typedef struct tern_dev tern_dev;

/* Create a stack. Errors: TERN_EINVAL (no allocator or random source, an
 * all-zero secret, a nonsensical limit), TERN_ENOMEM. The stack copies cfg. */
int tern_stack_new(const tern_config *cfg, tern_stack **out);
/* Destroy a stack, its sockets and interfaces. Devices stay the caller's. */
void tern_stack_del(tern_stack *st);
/* Start (fn non-NULL) or stop the event trace; replaces cfg.trace. */
void tern_stack_set_trace(tern_stack *st, tern_trace_fn fn, void *ctx);

/* Hand one received IP packet to the stack. The stack does not keep pkt.
 * Malformed packets are dropped and counted, never fatal. */
void tern_stack_input(tern_stack *st, tern_iface *ifc, const uint8_t *pkt,
		      size_t len, tern_time now);

/* Run timers due at `now`. Returns the next time the stack wants to be
 * polled (TERN_TIME_NEVER when idle). Calling it earlier is harmless. */
tern_time tern_stack_poll(tern_stack *st, tern_time now);

/* The time the stack last saw (from input or poll). */
tern_time tern_stack_now(const tern_stack *st);

/* Hand in a burst of packets (everything a device had ready): between
 * begin and end, TCP processes every segment before answering any, and each
 * connection then answers once for the whole burst, one ACK with whatever
 * data it can send (RFC 9293 3.10.7.4, MUST-58/59). Pairs may nest; the
 * answers go at the outermost end. */
void tern_stack_batch_begin(tern_stack *st);
void tern_stack_batch_end(tern_stack *st);

/* ---- counters ------------------------------------------------------------- */

/* Every drop or refusal has a counter. X(name, description). */
#define TERN_COUNTERS(X)                                                        \
	X(ip_in_receives, "IPv4 packets received")                               \
	X(ip_in_delivers, "IPv4 packets delivered to a protocol")                \
	X(ip_in_truncated, "IPv4 packets shorter than their header or length")   \
	X(ip_in_bad_version, "IPv4 packets with version != 4")                   \
	X(ip_in_bad_ihl, "IPv4 packets with header length < 20")                 \
	X(ip_in_bad_length, "IPv4 packets with inconsistent total length")       \
	X(ip_in_bad_checksum, "IPv4 packets with a bad header checksum")         \
	X(ip_in_bad_addr, "IPv4 packets with a source or destination not allowed") \
	X(ip_in_not_for_us, "IPv4 packets addressed to another host")            \
	X(ip_in_unknown_proto, "IPv4 packets for an unsupported protocol")       \
	X(ip_in_bad_options, "IPv4 packets with a malformed option area")        \
	X(ip_in_source_routed, "IPv4 packets refused for their source route")    \
	X(ip_out_requests, "IPv4 packets sent")                                  \
	X(ip_out_no_route, "IPv4 sends with no route")                           \
	X(ip_out_df_too_big, "IPv4 sends over the MTU with DF set")              \
	X(ip_out_dev_errors, "IPv4 packets the device refused")                  \
	X(ip_negative_advice, "routes reported failing by TCP (R1, RFC 1122)")   \
	X(ip_frag_created, "IPv4 fragments created")                             \
	X(ip_frag_oks, "IPv4 datagrams fragmented")                              \
	X(ip_reasm_reqds, "IPv4 fragments received")                             \
	X(ip_reasm_oks, "IPv4 datagrams reassembled")                            \
	X(ip_reasm_timeout, "IPv4 reassemblies abandoned on timeout")            \
	X(ip_reasm_overlap, "IPv4 reassemblies dropped for overlapping fragments") \
	X(ip_reasm_dup, "IPv4 fragments dropped as exact duplicates")            \
	X(ip_reasm_over_limit, "IPv4 fragments refused by the reassembly limits") \
	X(ip_reasm_bad, "IPv4 fragments malformed (length, offset)")              \
	X(icmp_in_msgs, "ICMP messages received")                                \
	X(icmp_in_errors, "ICMP messages malformed or with a bad checksum")       \
	X(icmp_in_echos, "ICMP echo requests received")                          \
	X(icmp_in_dest_unreachs, "ICMP destination unreachable received")         \
	X(icmp_in_unmatched, "ICMP errors for no known endpoint")                 \
	X(icmp_in_other, "ICMP messages of other types ignored")                  \
	X(icmp_out_echo_reps, "ICMP echo replies sent")                          \
	X(icmp_out_dest_unreachs, "ICMP destination unreachable sent")           \
	X(icmp_out_rate_limited, "ICMP errors suppressed by the rate limit")     \
	X(udp_in_datagrams, "UDP datagrams delivered to a socket")               \
	X(udp_in_errors, "UDP datagrams malformed or with a bad checksum")       \
	X(udp_no_ports, "UDP datagrams to a port nobody listens on")             \
	X(udp_rcvbuf_errors, "UDP datagrams dropped: receive queue full")        \
	X(udp_out_datagrams, "UDP datagrams sent")                               \
	X(tcp_in_segs, "TCP segments received")                                  \
	X(tcp_in_errs, "TCP segments malformed or with a bad checksum")          \
	X(tcp_out_segs, "TCP segments sent")                                     \
	X(tcp_retrans_segs, "TCP segments retransmitted")                        \
	X(tcp_out_rsts, "TCP resets sent")                                       \
	X(tcp_in_rsts, "TCP resets accepted")                                    \
	X(tcp_active_opens, "TCP connections opened actively")                   \
	X(tcp_passive_opens, "TCP connections opened passively")                 \
	X(tcp_attempt_fails, "TCP connection attempts failed")                   \
	X(tcp_estab_resets, "TCP connections reset from ESTABLISHED/CLOSE-WAIT") \
	X(tcp_no_port, "TCP segments for no connection or listener")             \
	X(tcp_listen_overflows, "TCP SYNs refused: listen queue full")           \
	X(tcp_pmtu_lowered, "TCP path MTU lowered by fragmentation needed")     \
	X(tcp_pmtu_ignored, "TCP fragmentation-needed not below the path MTU") \
	X(tcp_pmtu_cached, "TCP connections starting at a path MTU learnt before") \
	X(tcp_pmtu_raised, "TCP path MTUs tried larger again after 10 minutes") \
	X(tcp_syncookies_sent, "TCP SYN-ACKs sent with a SYN cookie")            \
	X(tcp_syncookies_ok, "TCP connections built from a valid cookie ACK")   \
	X(tcp_syncookies_failed, "TCP ACKs to a listener with a bad cookie")     \
	X(tcp_conn_limit, "TCP connections refused: tcp_max_conns")              \
	X(tcp_time_wait_limit, "TCP TIME-WAIT records refused: limit")           \
	X(tcp_unacceptable, "TCP segments failing the acceptability test")      \
	X(tcp_challenge_acks, "TCP challenge ACKs sent (RFC 5961)")              \
	X(tcp_oow_acks_limited, "TCP ACKs to unacceptable segments suppressed by the limit") \
	X(tcp_ack_too_new, "TCP segments acknowledging unsent data")             \
	X(tcp_ooo_segs, "TCP segments queued out of order")                      \
	X(tcp_ooo_drops, "TCP out-of-order segments dropped: no room")           \
	X(tcp_ooo_pruned, "TCP out-of-order queues discarded: memory pressure")  \
	X(tcp_ooo_pruned_bytes, "TCP out-of-order bytes discarded: memory pressure") \
	X(tcp_rcvbuf_grown, "TCP receive buffers grown by auto-tuning")           \
	X(tcp_sndbuf_grown, "TCP send buffers grown by auto-tuning")              \
	X(tcp_mem_pressure_drops, "TCP segments, writes and SYNs refused: tcp_mem_max") \
	X(tcp_rcv_pruned, "TCP segments cut to the receive window")              \
	X(tcp_dup_segs, "TCP segments entirely duplicate")                       \
	X(tcp_fast_retrans, "TCP fast retransmits")                              \
	X(tcp_sack_recoveries, "TCP loss recoveries driven by SACK (RFC 6675)")   \
	X(tcp_dsack_in, "TCP D-SACK blocks received (RFC 2883)")                 \
	X(tcp_tlp_probes, "TCP tail loss probes sent (RFC 8985 7)")             \
	X(tcp_orphan_resets, "TCP connections reset: data for a closed application") \
	X(tcp_ecn_ce_in, "TCP segments received marked CE (RFC 3168)")           \
	X(tcp_ecn_reductions, "TCP windows reduced for ECN-Echo (RFC 3168 6.1.2)") \
	X(tcp_timeouts, "TCP retransmission timeouts")                           \
	X(tcp_r1_reached, "TCP connections past R1 retransmissions")             \
	X(tcp_persist_probes, "TCP zero-window probes sent")                     \
	X(tcp_keepalive_probes, "TCP keepalive probes sent")                     \
	X(tcp_keepalive_drops, "TCP connections dropped by keepalive")           \
	X(tcp_timeout_drops, "TCP connections dropped: retransmissions exhausted") \
	X(tcp_delayed_acks, "TCP delayed ACKs sent")                             \
	X(tcp_time_wait_reused, "TCP TIME-WAIT records ended by a new SYN")      \
	X(tcp_paws_drops, "TCP segments rejected by PAWS (RFC 7323 5)")        \
	X(tcp_ts_missing, "TCP segments without the negotiated timestamp")       \
	X(tcp_icmp_out_of_window, "ICMP errors quoting a sequence number not in flight") \
	X(tcp_icmp_aborts, "TCP connection attempts ended by an ICMP hard error") \
	X(pkt_alloc_fail, "packet buffer allocations refused")                   \
	X(mem_alloc_fail, "allocator refusals")

typedef struct tern_counters {
#define TERN_X_FIELD(name, desc) uint64_t name;
	TERN_COUNTERS(TERN_X_FIELD)
#undef TERN_X_FIELD
} tern_counters;

/* Number of counters, and the name / description of counter i, in the
 * order of tern_counters' fields (so ((uint64_t *)&c)[i] is counter i). */
size_t tern_counter_count(void);
const char *tern_counter_name(size_t i);
const char *tern_counter_desc(size_t i);
/* Copy the stack's counters into *out. */
void tern_stack_counters(const tern_stack *st, tern_counters *out);

/* ---- interfaces and routes ------------------------------------------------ */

typedef struct tern_iface_config {
	const char *name;    /* copied; at most 15 chars */
	uint32_t addr;       /* host order */
	uint8_t prefix;      /* 0..32 */
	uint32_t mtu;        /* 68..65535 */
	uint32_t tso_max;    /* 0, or the device below takes TCP segments up to this
	                        many bytes of IPv4 packet with DF and cuts them to
	                        the MTU itself (TSO, e.g. a TUN with a virtio-net
	                        header): TCP then sends up to this much at once */
	uint32_t csum_offload; /* TERN_CSUM_OFFLOAD_* bits: checksum work the
	                          device below does, so the stack skips it */
} tern_iface_config;

/* Checksum offloads (tern_iface_config.csum_offload), as a NIC or Linux's
 * loopback declares them. Declare a bit only when the device keeps its
 * promise; a fault injector that corrupts packets above the device breaks
 * both (the corruption would go unnoticed).
 *
 * TCP_TX: the device completes the TCP checksum of every segment it sends.
 * The stack then leaves the checksum of data segments partial (the field
 * holds the folded pseudo-header sum, as a virtio-net NEEDS_CSUM packet),
 * so a capture taken above the device shows them unfinished, as tcpdump
 * on Linux does. A TUN with a virtio-net header completes them.
 *
 * RX: the device has verified, or vouches for, the TCP and UDP checksums
 * of the unfragmented packets it delivers; the stack skips verifying them
 * (datagrams it reassembles are still verified).
 *
 * Two stacks joined by a memlink may both declare both, as Linux's
 * loopback does: no byte of it leaves memory. */
#define TERN_CSUM_OFFLOAD_TCP_TX 1u
#define TERN_CSUM_OFFLOAD_RX 2u

/* Attach a device as an interface. The stack installs itself as the
 * device's receive sink (dev->up) and adds the connected route. The device
 * stays owned by the caller and must outlive the interface.
 * Errors: TERN_EINVAL, TERN_ENOMEM, TERN_EEXIST (address already used). */
int tern_iface_add(tern_stack *st, const tern_iface_config *ic, tern_dev *dev,
		   tern_iface **out);
uint32_t tern_iface_addr(const tern_iface *ifc);
uint32_t tern_iface_mtu(const tern_iface *ifc);

/* Add a route: destinations in dst/prefix go out of ifc, to gateway gw
 * (0 for on-link). prefix 0 is the default route. Longest prefix wins.
 * Errors: TERN_EINVAL, TERN_ENOMEM. */
int tern_route_add(tern_stack *st, uint32_t dst, uint8_t prefix, uint32_t gw,
		   tern_iface *ifc);

/* ---- sockets (UDP now; TCP joins later) ----------------------------------- */

typedef struct tern_socket tern_socket;

/* Readiness bits returned by tern_socket_events and given to callbacks. */
enum {
	TERN_EV_READABLE = 1u << 0,
	TERN_EV_WRITABLE = 1u << 1,
	TERN_EV_ERROR = 1u << 2,
	TERN_EV_HUP = 1u << 3,     /* TCP: the peer finished sending, or reset */
	TERN_EV_URGENT = 1u << 4,  /* TCP: urgent data ahead of the reader (RFC 6093;
	                              the bytes arrive in line, tern_tcp_info.urgent) */
	TERN_EV_SOFT_ERROR = 1u << 5, /* TCP: a soft error not yet read with
	                              TERN_SO_SOFT_ERROR (an ICMP error, or R1
	                              retransmissions: RFC 9293 3.9.1.8) */
};

typedef void (*tern_socket_cb)(tern_socket *s, unsigned events, void *ctx);

/* Socket calls act at the stack's current time: the `now` of its latest
 * tern_stack_input or tern_stack_poll. When time has passed since, call
 * tern_stack_poll(st, now) first, so that what the call sends is stamped
 * and timed correctly. */

/* Open a UDP socket. Errors: TERN_ENOMEM, TERN_ENOBUFS (max_sockets). */
int tern_udp_open(tern_stack *st, tern_socket **out);

/* Bind to a local address (0 = any) and port (0 = pick an ephemeral one).
 * Errors: TERN_EINVAL (already bound), TERN_EADDRINUSE, TERN_EADDRNOTAVAIL
 * (address not on an interface). */
int tern_socket_bind(tern_socket *s, const tern_endpoint *local);

/* Fix the peer; binds implicitly when unbound. ICMP errors for the peer
 * then surface as the socket's pending error (TERN_ECONNREFUSED for port
 * unreachable). Errors: TERN_EINVAL, TERN_ENETUNREACH, TERN_EADDRINUSE. */
int tern_socket_connect(tern_socket *s, const tern_endpoint *remote);

/* Send one datagram to dst (NULL on a connected socket; as in Linux a dst
 * given on a connected socket overrides the peer for this datagram).
 * Returns len. Datagrams over the MTU are fragmented (DF clear).
 * Errors: TERN_EDESTADDRREQ, TERN_EINVAL (address or port 0),
 * TERN_EMSGSIZE (> 65507), TERN_ENETUNREACH, TERN_ENOBUFS,
 * or a pending ICMP-reported error (returned once, then cleared). */
int tern_socket_sendto(tern_socket *s, const void *buf, size_t len,
		       const tern_endpoint *dst);

/* Receive one datagram into buf; excess bytes are discarded (as with
 * recvfrom). Returns the datagram's full length (may exceed cap), and the
 * sender in *src when src != NULL. Errors: TERN_EAGAIN (nothing queued),
 * or a pending ICMP-reported error (returned once, then cleared). */
int tern_socket_recvfrom(tern_socket *s, void *buf, size_t cap,
			 tern_endpoint *src);

/* Close and free the socket; queued data is discarded. */
int tern_socket_close(tern_socket *s);

/* Current readiness (TERN_EV_* bits). */
unsigned tern_socket_events(const tern_socket *s);

/* Called (from inside input/poll) whenever the socket becomes readable or
 * gets an error. ctx is passed back. NULL cb removes it. */
void tern_socket_set_callback(tern_socket *s, tern_socket_cb cb, void *ctx);

/* Socket options. */
enum {
	TERN_SO_RCVBUF = 1,      /* receive queue / TCP receive buffer bytes */
	TERN_SO_UDP_CHECKSUM = 2,/* 1 (default): compute; 0: send 0 (RFC 768) */
	TERN_SO_ERROR = 3,       /* get only: pending error, cleared by reading */
	TERN_SO_SNDBUF = 4,      /* TCP send buffer bytes (before connect) */
	TERN_SO_NODELAY = 5,     /* TCP: 1 turns Nagle's algorithm off */
	TERN_SO_KEEPALIVE = 6,   /* TCP: 1 turns keepalive on (off by default) */
	TERN_SO_KEEPIDLE = 7,    /* TCP: seconds idle before the first probe [7200] */
	TERN_SO_KEEPINTVL = 8,   /* TCP: seconds between probes [75] */
	TERN_SO_KEEPCNT = 9,     /* TCP: unanswered probes before giving up [9] */
	TERN_SO_USER_TIMEOUT = 10, /* TCP: ms data may stay unacknowledged (RFC 5482), 0 = R2 */
	TERN_SO_TOS = 11,        /* IP type of service / DS field of what is sent [0] */
	TERN_SO_TTL = 12,        /* IP time to live of what is sent, 1..255 [stack's] */
	TERN_SO_SOFT_ERROR = 13, /* TCP, get only: the latest soft error (TERN_E*, 0 if
	                            none); reading clears TERN_EV_SOFT_ERROR */
	TERN_SO_REUSEADDR = 14,  /* TCP, before bind: sockets that all set it may share
	                            a port while at most one of them listens */
	TERN_SO_LINGER = 15,     /* TCP: 0 makes close abortive (RST); -1 (default)
	                            closes gracefully */
};
int tern_socket_setopt(tern_socket *s, int opt, int value);
int tern_socket_getopt(tern_socket *s, int opt, int *value);

/* Local and remote endpoint (remote is 0:0 when unconnected). */
int tern_socket_name(const tern_socket *s, tern_endpoint *local,
		     tern_endpoint *remote);

/* ---- TCP (RFC 9293) --------------------------------------------------------
 * The RFC 793 user calls map onto these: OPEN = tern_tcp_open + connect
 * (active) or listen (passive), SEND = tern_socket_send, RECEIVE =
 * tern_socket_recv, CLOSE = tern_socket_close / shutdown, ABORT =
 * tern_socket_abort, STATUS = tern_socket_info. All calls are non-blocking. */

enum tern_tcp_state {
	TERN_TCP_CLOSED, TERN_TCP_LISTEN, TERN_TCP_SYN_SENT, TERN_TCP_SYN_RECEIVED,
	TERN_TCP_ESTABLISHED, TERN_TCP_FIN_WAIT_1, TERN_TCP_FIN_WAIT_2,
	TERN_TCP_CLOSE_WAIT, TERN_TCP_CLOSING, TERN_TCP_LAST_ACK, TERN_TCP_TIME_WAIT,
};
/* "ESTABLISHED", "SYN-SENT", ... as RFC 9293 writes them. */
const char *tern_tcp_state_name(int state);

/* Open a TCP socket. Errors: TERN_ENOMEM, TERN_ENOBUFS (max_sockets). */
int tern_tcp_open(tern_stack *st, tern_socket **out);

/* Passive OPEN: accept connections on the bound port (RFC 9293 3.9.1).
 * backlog bounds both the SYN queue and the accept queue (1..65535).
 * Errors: TERN_EINVAL (not bound, or connected), TERN_EOPNOTSUPP (UDP),
 * TERN_ENOMEM (no memory for the queues' heads, kept out of line). */
int tern_socket_listen(tern_socket *s, int backlog);

/* Take an established connection from a listener. *out is a new socket
 * the caller closes. Errors: TERN_EAGAIN (none yet), TERN_EINVAL (not
 * listening). */
int tern_socket_accept(tern_socket *s, tern_socket **out, tern_endpoint *peer);

/* For TCP, tern_socket_connect starts an active OPEN and returns
 * TERN_EINPROGRESS; the socket becomes writable when established, or gets
 * an error (TERN_ECONNREFUSED, TERN_ETIMEDOUT, TERN_ENETUNREACH). */

enum {
	TERN_MSG_PEEK = 1,   /* recv: leave the data queued */
	TERN_MSG_OOB = 2,    /* send: mark the data urgent (RFC 9293 3.8.5) */
};

/* SEND: queue bytes; returns how many were taken (short when the send
 * buffer fills). Errors: TERN_EAGAIN (buffer full), TERN_ENOTCONN,
 * TERN_EPIPE (after shutdown of the write side or a peer reset),
 * TERN_ECONNRESET, TERN_ETIMEDOUT. */
int tern_socket_send(tern_socket *s, const void *buf, size_t len, int flags);

/* RECEIVE: copy in-order bytes out. Returns bytes, 0 at end of stream (the
 * peer's FIN), TERN_EAGAIN when nothing is there yet, or the connection's
 * error. */
int tern_socket_recv(tern_socket *s, void *buf, size_t cap, int flags);

/* Zero-copy SEND and RECEIVE (TCP; smoltcp's send/recv with a closure, in
 * two calls): the application works in the connection's own rings, so a
 * byte is copied once by the stack on the way in (ring to packet) and once
 * on the way out (packet to ring). A view stays valid only until the next
 * call into the stack (input, poll, or any call on a socket of it): an ACK
 * or a read may release or move the ring.
 *
 * tern_socket_send_view: *buf points at free space in the send ring;
 * returns its length (> 0; the ring may have more after it wraps), or the
 * errors of tern_socket_send (TERN_EAGAIN when full), TERN_EOPNOTSUPP
 * (UDP). Write up to that many bytes there, then tern_socket_send_done(s,
 * n) queues them and sends as tern_socket_send would (no urgent data).
 * send_done with n = 0 queues nothing (and releases storage the view took
 * for nothing). Errors of send_done: those of send_view, TERN_EINVAL when n
 * is more than the view gave. */
int tern_socket_send_view(tern_socket *s, void **buf);
int tern_socket_send_done(tern_socket *s, size_t n);

/* tern_socket_recv_view: *data points at the unread in-order bytes at the
 * front of the receive ring; returns how many (> 0; more may follow where
 * the ring wraps), 0 at end of stream, or the errors of tern_socket_recv,
 * TERN_EOPNOTSUPP (UDP). Nothing is consumed until
 * tern_socket_recv_done(s, n), which consumes n of them (and opens the
 * window as a read does); TERN_EINVAL when n is more than the view gave. */
int tern_socket_recv_view(tern_socket *s, const void **data);
int tern_socket_recv_done(tern_socket *s, size_t n);

enum { TERN_SHUT_RD = 1, TERN_SHUT_WR = 2, TERN_SHUT_RDWR = 3 };
/* Half-close: SHUT_WR sends FIN after the queued data; reading goes on.
 * Errors: TERN_ENOTCONN, TERN_EINVAL. */
int tern_socket_shutdown(tern_socket *s, int how);

/* ABORT: send RST (when synchronized), drop all data, free the socket. */
int tern_socket_abort(tern_socket *s);

/* Connection STATUS (RFC 793 3.8) plus the figures TCP_INFO gives. */
typedef struct tern_tcp_info {
	int state;                      /* enum tern_tcp_state */
	tern_endpoint local, remote;
	uint32_t snd_wnd, rcv_wnd;      /* send and receive windows (bytes) */
	uint32_t unacked;               /* bytes awaiting acknowledgment */
	uint32_t unsent;                /* bytes queued, not yet sent */
	uint32_t unread;                /* bytes awaiting receipt by the application */
	uint32_t rcvbuf;                /* receive buffer now (auto-tuning grows it) */
	uint32_t sndbuf;                /* send buffer now (auto-tuning grows it) */
	uint32_t ooo_bytes;             /* bytes held beyond a gap (out of order) */
	bool urgent;                    /* urgent data ahead of the reader */
	tern_time user_timeout;         /* RFC 5482; 0 = by retransmission count */
	tern_time srtt, rttvar, rto;
	uint32_t cwnd, ssthresh, smss, rmss;
	uint64_t retransmits, bytes_acked, bytes_received, segs_out, segs_in;
	char cc[16];
} tern_tcp_info;
/* Errors: TERN_EINVAL (not a TCP socket). */
int tern_socket_info(const tern_socket *s, tern_tcp_info *out);

/* Bytes of TCP buffer storage held now (send and receive rings of every
 * connection, out-of-order data included; at most cfg.tcp_mem_max), and
 * the most held at once since the stack was made. */
uint64_t tern_tcp_mem_used(const tern_stack *st);
uint64_t tern_tcp_mem_peak(const tern_stack *st);

/* Walk every TCP connection, listener and TIME-WAIT record (for `tern ss`).
 * The callback must not change the stack. */
typedef void (*tern_tcp_walk_fn)(const tern_tcp_info *info, void *ctx);
void tern_tcp_walk(tern_stack *st, tern_tcp_walk_fn fn, void *ctx);

/* Send along an IP source route (RFC 791; loose, or strict): `hops` in
 * order, not counting the destination, at most 9. Set before connect
 * (RFC 9293 3.9.1.9, MUST-51), or on a listener for every connection it
 * accepts, where it takes precedence over a route that arrives with the SYN
 * (MUST-52); without one, a connection answers along the reverse of the
 * route its SYN came by (MUST-53, when cfg.ip_accept_source_route lets such
 * SYNs in). n = 0 removes it. Errors: TERN_EINVAL (n > 9, not TCP, or the
 * connection already exists), TERN_ENOMEM (no memory for the route, which
 * is kept out of line). */
int tern_socket_set_source_route(tern_socket *s, const uint32_t *hops, size_t n, bool strict);

/* Choose the congestion control module by name ("newreno").
 * Errors: TERN_ENOENT (unknown), TERN_EINVAL. */
int tern_socket_set_cc(tern_socket *s, const char *name);

#ifdef __cplusplus
}
#endif
#endif
