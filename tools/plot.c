/* plot.c - the library face of `tern plot`: load the input, pick the
 * connection, draw the figure asked for. */
#include <string.h>

#include "plot_int.h"

typedef struct plot_kind {
	const char *name;
	int (*draw)(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out);
	bool needs_trace; /* drawn from events a pcap does not hold */
} plot_kind;

static const plot_kind kinds[] = {
    {"ladder", tern_plot_ladder_svg, false}, {"tsg", tern_plot_tsg_svg, false},
    {"cwnd", tern_plot_cwnd_svg, true},      {"rtt", tern_plot_rtt_svg, true},
    {"states", tern_plot_states_svg, false},
};

const char *const tern_plot_kinds[] = {"ladder", "tsg", "cwnd", "rtt", "states", NULL};

static int run(const char *input, const plot_kind *k, const tern_plot_opts *o, FILE *out)
{
	tern_plot_trace t;
	tern_plot_conn c;
	int rc = tern_plot_load(input, &t);
	if (rc)
		return rc;
	if (k->needs_trace && t.from_pcap) {
		tern_plot_trace_free(&t);
		return tern_plot_err(2, "a %s plot needs an event trace (docs/TRACE.md): a pcap "
					"does not hold the sender's %s",
				     k->name, !strcmp(k->name, "cwnd") ? "cwnd and ssthresh"
								       : "RTT estimates and RTO");
	}
	rc = tern_plot_conn_build(&t, o, &c);
	if (rc == 0) {
		rc = k->draw(&c, o, out);
		tern_plot_conn_free(&c);
	}
	tern_plot_trace_free(&t);
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = tern_plot_err(1, "write error");
	return rc;
}

int tern_plot_write(const char *input, const char *kind, const tern_plot_opts *o, FILE *out)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kind, kinds[i].name))
			return run(input, &kinds[i], o, out);
	return tern_plot_err(2, "unknown kind '%s' (ladder, tsg, cwnd, rtt, states)", kind);
}

int tern_plot_text_ladder(const char *input, const tern_plot_opts *o, FILE *out)
{
	static const plot_kind text = {"ladder", tern_plot_ladder_text, false};
	return run(input, &text, o, out);
}
