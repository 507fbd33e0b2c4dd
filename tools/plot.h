/* plot.h - `tern plot` as a library: textbook TCP figures (ladder, Stevens
 * time-sequence graph, cwnd, RTT, the RFC 9293 state diagram) drawn as
 * self-contained SVG from an event trace (docs/TRACE.md) or a pcap file.
 * docs/PLOT.md describes the figures. */
#ifndef TERN_TOOLS_PLOT_H
#define TERN_TOOLS_PLOT_H

#include <stdbool.h>
#include <stdio.h>

typedef struct tern_plot_opts {
	const char *conn;  /* "A:P-B:P" (either order); NULL: the first TCP connection */
	const char *title; /* NULL: one made from the kind and the connection */
	unsigned first;    /* ladder: the first N segments ... */
	unsigned last;     /* ... and the last N; both 0: all, or 30 + 30 past 80 */
	bool absolute;     /* raw sequence numbers, not relative to the ISN */
	bool segments;     /* cwnd: in segments of the MSS, not bytes */
} tern_plot_opts;

/* The kinds tern_plot_write knows, NULL-terminated. */
extern const char *const tern_plot_kinds[];

/* Draws `kind` ("ladder", "tsg", "cwnd", "rtt", "states") of the trace or
 * pcap at path `input` as SVG to `out`. Says what went wrong on stderr and
 * returns 0, 1 (the input cannot be read, is malformed, or holds no TCP
 * connection) or 2 (the request cannot be met: unknown kind, a figure the
 * input has no data for, a bad --conn). */
int tern_plot_write(const char *input, const char *kind, const tern_plot_opts *o, FILE *out);

/* The ladder as text for a terminal, one line per segment or state change;
 * the same status codes. */
int tern_plot_text_ladder(const char *input, const tern_plot_opts *o, FILE *out);

#endif
