/* demo_tcp.h - the TCP phase of `tern demo`: host A sends a generated file
 * to host B across the simulated link and the phase narrates the
 * handshake, the transfer, the close and the TIME-WAIT record. */
#ifndef TERN_TOOLS_DEMO_TCP_H
#define TERN_TOOLS_DEMO_TCP_H

#include <stdbool.h>

#include "tern/sim.h"

typedef struct demo_tcp demo_tcp;

/* The MSL the demo's hosts are configured with, so the TIME-WAIT line can
 * name 2*MSL. */
#define DEMO_TCP_MSL TERN_SEC(30)

typedef struct demo_tcp_opts {
	uint16_t port;  /* B listens on it */
	size_t size;    /* bytes A sends */
	bool progress;  /* a progress bar on stdout while the transfer runs */
	bool tty;       /* stdout is a terminal: redraw the bar in place */
} demo_tcp_opts;

/* Run the phase from the simulation's current time: connect, transfer,
 * close, then let A's TIME-WAIT record expire.
 * Errors: TERN_ENOMEM, or the simulator's and sockets' errors; a transfer
 * that does not finish is not an error here (demo_tcp_ok says so). */
int demo_tcp_run(tern_sim *sim, tern_sim_host *a, tern_sim_host *b, const demo_tcp_opts *o,
		 demo_tcp **out);

/* A few lines on stdout. */
void demo_tcp_report(const demo_tcp *t);

/* The whole file arrived intact and the connection closed. */
bool demo_tcp_ok(const demo_tcp *t);

void demo_tcp_del(demo_tcp *t);

#endif
