/* plot_int.h - what the parts of `tern plot` share: the in-memory event list
 * that a trace or a pcap becomes (plot_input.c, plot_pcap.c), the chosen
 * connection seen as segments between two sides (plot_conn.c), the SVG
 * writer (plot_svg.c) and one entry per figure. */
#ifndef TERN_TOOLS_PLOT_INT_H
#define TERN_TOOLS_PLOT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plot.h"

/* ---- events ------------------------------------------------------------- */

typedef enum tern_plot_evkind {
	TERN_PLOT_SEG_OUT,  /* trace: a segment left `local` */
	TERN_PLOT_SEG_IN,   /* trace: a segment reached `local` */
	TERN_PLOT_WIRE,     /* pcap: a segment seen from `local` to `remote` */
	TERN_PLOT_STATE,
	TERN_PLOT_RTT,
	TERN_PLOT_CWND,
	TERN_PLOT_RTX,
	TERN_PLOT_RTO_FIRE, /* timer rexmt fire */
} tern_plot_evkind;

/* TCP flags as on the wire. */
enum {
	TERN_PF_FIN = 0x01,
	TERN_PF_SYN = 0x02,
	TERN_PF_RST = 0x04,
	TERN_PF_PSH = 0x08,
	TERN_PF_ACK = 0x10,
	TERN_PF_URG = 0x20,
	TERN_PF_ECE = 0x40,
	TERN_PF_CWR = 0x80,
};

/* Retransmission kinds of docs/TRACE.md; 0 = not a retransmission, and
 * TERN_PLOT_RTX_SEEN one found in a pcap (seq below the highest sent). */
enum {
	TERN_PLOT_RTX_NONE,
	TERN_PLOT_RTX_FAST,
	TERN_PLOT_RTX_RACK,
	TERN_PLOT_RTX_RTO,
	TERN_PLOT_RTX_TLP,
	TERN_PLOT_RTX_SYN,
	TERN_PLOT_RTX_SEEN,
	TERN_PLOT_RTX_N
};
extern const char *const tern_plot_rtx_names[TERN_PLOT_RTX_N];

/* RFC 9293 states in tern_tcp_state_name()'s order. */
enum {
	TERN_PLOT_ST_CLOSED,
	TERN_PLOT_ST_LISTEN,
	TERN_PLOT_ST_SYN_SENT,
	TERN_PLOT_ST_SYN_RCVD,
	TERN_PLOT_ST_ESTAB,
	TERN_PLOT_ST_FIN_WAIT_1,
	TERN_PLOT_ST_FIN_WAIT_2,
	TERN_PLOT_ST_CLOSE_WAIT,
	TERN_PLOT_ST_CLOSING,
	TERN_PLOT_ST_LAST_ACK,
	TERN_PLOT_ST_TIME_WAIT,
	TERN_PLOT_ST_N
};
extern const char *const tern_plot_state_names[TERN_PLOT_ST_N];
int tern_plot_state_parse(const char *name); /* -1 when unknown */

#define TERN_PLOT_MAX_SACK 4

typedef struct tern_plot_ep {
	uint32_t addr; /* host order */
	uint16_t port;
} tern_plot_ep;

typedef struct tern_plot_seg {
	uint32_t seq, ack, len, win;
	uint8_t flags, rtx, nsack;
	int8_t ws; /* shift, -1 when absent */
	bool sackok, has_ts;
	uint16_t mss; /* 0 when absent */
	uint32_t tsval, tsecr;
	uint32_t sack[TERN_PLOT_MAX_SACK][2];
} tern_plot_seg;

typedef struct tern_plot_ev {
	int64_t t; /* microseconds */
	uint8_t kind, host;
	tern_plot_ep local, remote;
	union {
		tern_plot_seg seg;
		struct {
			uint8_t old_st, new_st;
			bool inferred;
			char cause[28];
		} st;
		struct {
			int64_t sample, srtt, rttvar, rto;
		} rtt;
		struct {
			uint64_t cwnd, ssthresh;
			char reason[12];
		} cw;
		struct {
			uint8_t kind;
			uint32_t seq, len;
		} rtx;
	} u;
} tern_plot_ev;

#define TERN_PLOT_MAX_HOSTS 64

typedef struct tern_plot_trace {
	tern_plot_ev *ev;
	size_t n, cap;
	bool from_pcap;
	char hosts[TERN_PLOT_MAX_HOSTS][32]; /* names by tern_plot_ev.host */
	unsigned nhosts;
} tern_plot_trace;

/* Reads a trace or a pcap (told apart by the first bytes) into t. Returns 0,
 * or 1 after saying on stderr what is wrong and where. */
int tern_plot_load(const char *path, tern_plot_trace *t);
void tern_plot_trace_free(tern_plot_trace *t);
/* Appends a zeroed event; NULL when out of memory. */
tern_plot_ev *tern_plot_trace_add(tern_plot_trace *t);
/* plot_pcap.c: the reader behind tern_plot_load for pcap files. */
int tern_plot_load_pcap(FILE *f, const char *path, tern_plot_trace *t);

int tern_plot_ep_parse(const char *s, tern_plot_ep *ep);
void tern_plot_ep_str(tern_plot_ep ep, char *buf, size_t n); /* "a.b.c.d:p" */
bool tern_plot_ep_eq(tern_plot_ep a, tern_plot_ep b);

/* ---- the connection ------------------------------------------------------ */

/* One segment of the connection: dir 0 from side 0 (the opener) to side 1.
 * t_send/t_recv are microseconds since the connection's first event, -1
 * where unknown (one capture point) or never (t_recv of a lost segment). */
typedef struct tern_plot_arrow {
	int dir;
	int64_t t_send, t_recv;
	bool lost;
	size_t order, order_in; /* trace positions of the send and the arrival event */
	tern_plot_seg seg;
} tern_plot_arrow;

/* A state change at one side, time relative like the arrows'. */
typedef struct tern_plot_stchg {
	int side;
	int64_t t;
	uint8_t old_st, new_st;
	bool inferred;
	size_t order; /* trace position: orders changes and segments at one time */
	const char *cause;
} tern_plot_stchg;

typedef struct tern_plot_conn {
	const tern_plot_trace *tr;
	tern_plot_ep ep[2];    /* side 0 opened the connection, as far as seen */
	int host[2];           /* trace host of each side, -1 when not traced */
	bool two_hosts;        /* both sides traced: send and arrival times known */
	bool opened;           /* side 0 was seen sending the opening SYN */
	int capture_side;      /* one capture point: the side it is at, or -1 */
	int64_t t0;            /* microseconds: the connection's first event */
	int64_t t_end;         /* relative: its last event */
	uint32_t isn[2];       /* each direction's ISN (or first seq seen) */
	bool have_isn[2];
	int8_t ws[2];          /* window shift each side announced, -1 none */
	uint16_t mss[2];
	tern_plot_arrow *arrows; /* in order of sending */
	size_t narrows;
	tern_plot_stchg *states; /* in time order */
	size_t nstates;
	bool states_inferred;
} tern_plot_conn;

/* Picks the connection (o->conn or the first seen) and builds its arrows
 * and state changes. Returns 0, 1 (no TCP connection), 2 (bad --conn). */
int tern_plot_conn_build(const tern_plot_trace *t, const tern_plot_opts *o, tern_plot_conn *c);
void tern_plot_conn_free(tern_plot_conn *c);
/* plot_infer.c: state changes guessed from the flags (pcap, one capture
 * point). Fills c->states; returns 0 or -1 (out of memory). */
int tern_plot_infer_states(tern_plot_conn *c);
/* The event's time relative to the connection's start. */
int64_t tern_plot_rel_t(const tern_plot_conn *c, const tern_plot_ev *e);
/* Which side the event's local end is: 0, 1 or -1 (another connection). */
int tern_plot_ev_side(const tern_plot_conn *c, const tern_plot_ev *e);
/* The side whose data dominates (the one a tsg or cwnd plot is about). */
int tern_plot_data_side(const tern_plot_conn *c);

/* Textbook label of an arrow ("SYN-ACK seq=0 ack=1", "seq=1:1449 ack=1")
 * and its small print (window, options, retransmission). */
void tern_plot_label(const tern_plot_conn *c, const tern_plot_arrow *a, bool absolute, char *buf,
		     size_t n);
void tern_plot_small(const tern_plot_conn *c, const tern_plot_arrow *a, bool absolute, char *buf,
		     size_t n);
/* Only the options: "<mss 1460,ws 7,sackok,ts>", or "". */
void tern_plot_optstr(const tern_plot_conn *c, const tern_plot_arrow *a, bool absolute, char *buf,
		      size_t n);
/* Sequence number relative to direction dir's ISN (or raw). */
uint32_t tern_plot_rel_seq(const tern_plot_conn *c, int dir, uint32_t seq, bool absolute);
/* "a (10.0.0.1:49152)" or "10.0.0.1:49152": how a side is named in figures. */
void tern_plot_side_name(const tern_plot_conn *c, int side, char *buf, size_t n);
/* Which arrows a ladder shows: [0, head) and [tail, narrows). */
void tern_plot_window(const tern_plot_conn *c, const tern_plot_opts *o, size_t *head,
		      size_t *tail);

/* ---- the figures --------------------------------------------------------- */

int tern_plot_ladder_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out);
int tern_plot_ladder_text(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out);
int tern_plot_tsg_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out);
int tern_plot_cwnd_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out);
int tern_plot_rtt_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out);
int tern_plot_states_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out);

/* Times in ms with the decimals the connection's span needs: "%.*f". */
int tern_plot_ms_decimals(const tern_plot_conn *c);
/* "350 µs", "20.5 ms", "60.0 s" */
void tern_plot_duration(int64_t us, char *buf, size_t n);

/* Prints "tern plot: ..." on stderr and returns status. */
int tern_plot_err(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
