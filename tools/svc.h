/* svc.h - the TCP services of `tern up` (echo, discard, daytime, qotd,
 * chargen, http) behind one small interface, and the host that runs them.
 *
 * A connection's life: the host accepts it and calls open() on zeroed
 * per-connection state; whenever the socket's readiness changes (a socket
 * callback, which runs inside the stack and only marks the connection) the
 * host calls step() from the loop hook, where sending and receiving are
 * safe; step() says what comes next; close() releases the state once,
 * however the connection ended.
 *
 * The services live in tools/, not in the library: they are applications
 * of the public socket API, the same on any embedding, and a file server
 * has no place in libtern. */
#ifndef TERN_TOOLS_SVC_H
#define TERN_TOOLS_SVC_H

#include <stdbool.h>
#include <stdio.h>

#include "tern/tern.h"

/* What the host does after a step. */
enum svc_next {
	SVC_WAIT,  /* nothing to do until the socket's readiness changes */
	SVC_MORE,  /* a batch limit was reached: step again next iteration */
	SVC_CLOSE, /* done: close gracefully (FIN after the queued data) */
	SVC_ABORT, /* give up: reset the connection */
};

typedef struct svc_host svc_host;
struct tern_smsc;

/* What services share, read-only. */
typedef struct svc_env {
	int http_root_fd;       /* directory the HTTP service serves (O_PATH is enough) */
	struct tern_smsc *smsc; /* the SMPP message centre (svc_smpp.h), when it runs */
	const char *cc;         /* congestion control for every listener, NULL: default */
	svc_host *host;         /* filled by svc_host_new: for svc_host_wake */
} svc_env;

typedef struct svc_ops {
	const char *name;
	uint16_t port;     /* well-known port (http's is --http's) */
	size_t state_size; /* per-connection state, zeroed before open */
	uint32_t sndbuf;   /* send buffer for its connections, 0: the stack's */
	bool opt_in;       /* runs only when --services names it (smpp) */
	/* Returns 0, or a negative TERN_E* / errno to reset the connection. */
	int (*open)(void *state, tern_socket *s, const svc_env *env);
	enum svc_next (*step)(void *state, tern_socket *s);
	void (*close)(void *state); /* NULL when there is nothing to release */
} svc_ops;

extern const svc_ops svc_echo, svc_discard, svc_daytime, svc_qotd, svc_chargen, svc_http,
    svc_smpp;

/* Every service, in `--services` order; NULL past the last. */
const svc_ops *svc_at(unsigned i);
/* The service called `name` (name[0..len)), or NULL. */
const svc_ops *svc_find(const char *name, size_t len);

/* ---- helpers for services --------------------------------------------------- */

/* Read and throw away whatever has arrived. Returns 1 when all of it was
 * read, 2 when a bound stopped it with more waiting, 0 at the end of the
 * peer's stream, or the connection's error. */
int svc_drain(tern_socket *s);

/* A short message sent whole, then the connection closed (daytime, qotd). */
typedef struct svc_msg {
	char text[512];
	size_t len, off;
} svc_msg;
enum svc_next svc_msg_step(svc_msg *m, tern_socket *s);

/* ---- the host ------------------------------------------------------------ */

int svc_host_new(tern_stack *st, const svc_env *env, svc_host **out);
/* Listen for `ops` on `port`. Errors: tern_tcp_open/bind/listen's, -ENOSPC. */
int svc_host_listen(svc_host *h, const svc_ops *ops, uint16_t port);
/* The loop hook's share: accept, step marked connections. Returns now when
 * work is still queued (a connection to step again, a listener whose
 * accept batch ran out), else TERN_TIME_NEVER; stack timers the steps
 * armed are read by the loop after its hook. */
tern_time svc_host_run(svc_host *h, tern_time now);
/* Queue for a step the connection whose service state is `state` (a
 * service's own timer or another connection's event, e.g. a message for
 * an SMPP bind). Safe from the loop hook and from steps; not from socket
 * callbacks of other connections, nor after the connection's close(). */
void svc_host_wake(svc_host *h, void *state);
/* Counters for --stats. */
void svc_host_print_stats(const svc_host *h, FILE *f);
/* Reset every connection, close the listeners. */
void svc_host_del(svc_host *h);

#endif
