/* socket.h - the socket object behind the public handle, shared by the
 * socket API (src/sock) and the transports (src/udp, later src/tcp). */
#ifndef TERN_SOCK_SOCKET_H
#define TERN_SOCK_SOCKET_H

#include "core/stack.h"

enum tern_sock_kind { TERN_SOCK_UDP = 1, TERN_SOCK_TCP = 2 };

struct tern_tcb;

/* Per-socket TCP knobs, copied into each TCB the socket creates. */
typedef struct tern_tcp_knobs {
	bool nodelay, keepalive;
	bool reuseaddr;               /* may share a port (see tern_tcp_port_bound) */
	bool rcvbuf_set;              /* TERN_SO_RCVBUF given: no auto-tuning */
	bool sndbuf_set;              /* TERN_SO_SNDBUF given: no auto-tuning */
	int linger;                   /* -1: graceful close; 0: close aborts */
	tern_ip4_srcroute *sr;        /* application's source route (MUST-51/52),
	                                 NULL: none; out of line, as few sockets
	                                 have one (issue 4: lean connections) */
	/* in the units they are set in, so nothing is lost (issue 4: lean
	 * connections): whole seconds 1..32767, milliseconds */
	uint16_t keep_idle, keep_intvl;
	uint32_t user_timeout;
	unsigned keep_cnt;
	uint32_t sndbuf, rcvbuf;
	const struct tern_cc_ops *cc;
} tern_tcp_knobs;

/* A listener's queues (RFC 9293 3.10.1, passive OPEN), out of line from
 * listen() to close: a connected socket has none (issue 4: lean
 * connections). */
typedef struct tern_listen_q {
	uint32_t synq_len, acceptq_len;
	tern_time cookies_until;      /* cookie ACKs accepted until then (RFC 4987 3.6) */
	struct tern_tcb *synq;        /* SYN-RECEIVED children */
	struct tern_tcb *acceptq_head, *acceptq_tail;  /* established, not accepted */
} tern_listen_q;

/* The small fields are gathered so that the compiler pads little: every
 * connection has a socket (issue 4: lean connections). */
struct tern_socket {
	tern_stack *st;
	enum tern_sock_kind kind;
	int err;                      /* pending error, TERN_E* or 0 */
	tern_endpoint local, remote;
	bool bound, connected;
	uint8_t tos, ttl;             /* IP header fields of what it sends; ttl 0 = default */
	bool udp_csum;                /* UDP */
	bool listening;               /* TCP */
	bool in_port_table;           /* TCP: in the bound-port table */
	tern_socket_cb cb;
	void *cb_ctx;
	struct tern_socket *hnext;    /* port-table chain (UDP's or TCP's) */
	struct tern_socket *next, **pprev; /* the stack's list of all sockets */

	/* A socket is one transport's for life (kind): the fields of the
	 * other share its storage (issue 4: lean connections), so only code
	 * that has checked kind touches them. */
	union {
		struct {  /* UDP */
			tern_pkt *rq_head, *rq_tail;  /* received datagrams, oldest first */
			uint32_t rq_bytes, rcvbuf;
		};
		struct {  /* TCP */
			struct tern_tcb *tcb;         /* the connection, once there is one */
			tern_tcp_knobs knobs;
			uint32_t backlog;
			tern_listen_q *lq;            /* while listening */
		};
	};
};

/* Would binding self to addr:port (addr 0 = any) clash with a socket of
 * this transport? self is NULL when picking a port for a connection. */
typedef bool (*tern_port_taken_fn)(tern_stack *st, const struct tern_socket *self,
				   uint32_t addr, uint16_t port);
/* The bind rules both transports share: the address must be one of ours or
 * any; port 0 takes an ephemeral port (RFC 6056) that `taken` says is free.
 * Sets s->local and s->bound; the caller adds s to its port table.
 * Errors: TERN_EINVAL (bound), TERN_EADDRNOTAVAIL, TERN_EADDRINUSE. */
int tern_sock_claim_local(struct tern_socket *s, const tern_endpoint *local,
			  tern_port_taken_fn taken);

/* Tell the application about readiness (calls its callback, if any). */
void tern_socket_notify(struct tern_socket *s);
void tern_sockets_free_all(tern_stack *st);

/* src/udp/udp.c */
int tern_udp_bind(struct tern_socket *s, const tern_endpoint *local);
int tern_udp_connect(struct tern_socket *s, const tern_endpoint *remote);
int tern_udp_sendto(struct tern_socket *s, const void *buf, size_t len, const tern_endpoint *dst);
int tern_udp_recvfrom(struct tern_socket *s, void *buf, size_t cap, tern_endpoint *src);
void tern_udp_close(struct tern_socket *s);

/* src/tcp/tcp_user.c */
void tern_tcp_knobs_default(tern_stack *st, tern_tcp_knobs *k);
int tern_tcp_bind(struct tern_socket *s, const tern_endpoint *local);
int tern_tcp_connect(struct tern_socket *s, const tern_endpoint *remote);
void tern_tcp_close(struct tern_socket *s);
unsigned tern_tcp_events(const struct tern_socket *s);
int tern_tcp_setopt(struct tern_socket *s, int opt, int value);
int tern_tcp_getopt(struct tern_socket *s, int opt, int *value);
void tern_tcp_port_add(struct tern_socket *s);
void tern_tcp_ip_fields_changed(struct tern_socket *s);
void tern_tcp_port_remove(struct tern_socket *s);

#endif
