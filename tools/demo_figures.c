/* demo_figures.c - what `tern demo` leaves behind besides its capture and
 * trace: each figure of `tern plot` drawn from the trace into the output
 * directory, and the ladder of the handshake and the close in the terminal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "demo_figures.h"
#include "plot.h"

const char *const demo_figure_kinds[] = {"ladder", "tsg", "cwnd", "rtt", "states", NULL};
const char *const demo_figure_files[] = {"ladder.svg", "tsg.svg", "cwnd.svg", "rtt.svg",
					 "states.svg", NULL};
const char *const demo_figure_what[] = {
	"the segments between A and B, first and last ones, with each side's states",
	"Stevens' time-sequence graph: data, ACKs, window, SACK blocks, retransmissions",
	"A's congestion window and ssthresh over time, losses marked",
	"A's RTT samples, SRTT and RTO over time",
	"the RFC 9293 state diagram, the transitions each side took highlighted",
	NULL};

/* dir/name.svg from the trace; 0 or -1 (said on stderr). */
static int figure(const char *dir, const char *trace, const char *kind)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.svg", dir, kind);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "tern demo: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	tern_plot_opts o = {0};
	int rc = tern_plot_write(trace, kind, &o, f);
	if (fclose(f) != 0 && rc == 0)
		rc = 1;
	if (rc) {
		fprintf(stderr, "tern demo: could not draw %s\n", path);
		return -1;
	}
	return 0;
}

int demo_figures_write(const char *dir, const char *trace)
{
	int failed = 0;
	for (size_t i = 0; demo_figure_kinds[i]; i++)
		failed += figure(dir, trace, demo_figure_kinds[i]) < 0;
	return failed ? -1 : 0;
}

/* The first segments are the handshake (and the first data); the last are
 * the close: FINs and their ACKs. */
int demo_ladder_print(const char *trace, FILE *out)
{
	tern_plot_opts o = {.first = 4, .last = 8};
	return tern_plot_text_ladder(trace, &o, out) ? -1 : 0;
}
