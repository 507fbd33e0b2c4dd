/* socket.h - the socket object behind the public handle, shared by the
 * socket API (src/sock) and the transports (src/udp, later src/tcp). */
#ifndef TERN_SOCK_SOCKET_H
#define TERN_SOCK_SOCKET_H

#include "core/stack.h"

enum tern_sock_kind { TERN_SOCK_UDP = 1 };

struct tern_socket {
	tern_stack *st;
	enum tern_sock_kind kind;
	tern_endpoint local, remote;
	bool bound, connected;
	int err;                      /* pending error, TERN_E* or 0 */
	tern_socket_cb cb;
	void *cb_ctx;
	struct tern_socket *hnext;    /* UDP port-table chain */
	struct tern_socket *next, **pprev; /* the stack's list of all sockets */

	/* UDP */
	tern_pkt *rq_head, *rq_tail;  /* received datagrams, oldest first */
	uint32_t rq_bytes, rcvbuf;
	bool udp_csum;
};

/* Tell the application about readiness (calls its callback, if any). */
void tern_socket_notify(struct tern_socket *s);
void tern_sockets_free_all(tern_stack *st);

/* src/udp/udp.c */
int tern_udp_bind(struct tern_socket *s, const tern_endpoint *local);
int tern_udp_connect(struct tern_socket *s, const tern_endpoint *remote);
int tern_udp_sendto(struct tern_socket *s, const void *buf, size_t len, const tern_endpoint *dst);
int tern_udp_recvfrom(struct tern_socket *s, void *buf, size_t cap, tern_endpoint *src);
void tern_udp_close(struct tern_socket *s);

#endif
