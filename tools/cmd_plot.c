/* cmd_plot.c - `tern plot`: the arguments; the drawing is in plot*.c behind
 * plot.h (which `tern demo` calls too). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "plot.h"

typedef struct plot_args {
	const char *input, *kind, *out;
	bool text;
	tern_plot_opts o;
} plot_args;

static const struct option long_opts[] = {
    {"kind", required_argument, NULL, 'k'},  {"output", required_argument, NULL, 'o'},
    {"text", no_argument, NULL, 't'},        {"conn", required_argument, NULL, 'c'},
    {"first", required_argument, NULL, 'F'}, {"last", required_argument, NULL, 'L'},
    {"title", required_argument, NULL, 'T'}, {"absolute", no_argument, NULL, 'a'},
    {"segments", no_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: tern plot INPUT --kind ladder|tsg|cwnd|rtt|states [-o FILE.svg] [options]\n"
    "       tern plot INPUT --kind ladder --text\n"
    "INPUT is an event trace (JSON lines, docs/TRACE.md) or a pcap file.\n"
    "  -k, --kind K       ladder, tsg (time-sequence graph), cwnd, rtt, states\n"
    "  -o, --output FILE  write the SVG there (default: standard output)\n"
    "      --text         the ladder as text for a terminal\n"
    "      --conn A:P-B:P the connection to draw (default: the first one seen)\n"
    "      --first N      ladder: show the first N segments ...\n"
    "      --last N       ... and the last N (default: all, or 30 and 30 past 80)\n"
    "      --title TEXT   the figure's title\n"
    "      --absolute     raw sequence numbers (default: relative to the ISN)\n"
    "      --segments     cwnd in segments of the MSS (default: bytes)\n"
    "cwnd and rtt need a trace; a pcap gives ladder, tsg and states (inferred).\n"
    "See docs/PLOT.md.\n";

static int bad(const char *fmt, const char *arg)
{
	fputs("tern plot: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try 'tern plot --help')\n", stderr);
	return 2;
}

static int count(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || *s == '-' || v > 1000000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* One option into a; returns 0, 2 for a bad one, -1 after --help. */
static int option(int c, const char *arg, plot_args *a)
{
	switch (c) {
	case 'k': a->kind = arg; return 0;
	case 'o': a->out = arg; return 0;
	case 't': a->text = true; return 0;
	case 'c': a->o.conn = arg; return 0;
	case 'T': a->o.title = arg; return 0;
	case 'a': a->o.absolute = true; return 0;
	case 's': a->o.segments = true; return 0;
	case 'F': return count(arg, &a->o.first) ? bad("--first wants a count, not '%s'", arg) : 0;
	case 'L': return count(arg, &a->o.last) ? bad("--last wants a count, not '%s'", arg) : 0;
	case 'h': fputs(usage_text, stdout); return -1;
	}
	return 2;
}

static int parse(int argc, char **argv, plot_args *a)
{
	int c, rc;
	memset(a, 0, sizeof *a);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":k:o:h", long_opts, NULL)) != -1) {
		if (c == ':')
			return bad("option '%s' needs a value", argv[optind - 1]);
		if (c == '?')
			return bad("unknown option '%s'", argv[optind - 1]);
		if ((rc = option(c, optarg, a)) != 0)
			return rc;
	}
	if (optind != argc - 1)
		return bad("%s", optind >= argc ? "no INPUT given" : "more than one INPUT given");
	a->input = argv[optind];
	if (!a->kind && !a->text)
		return bad("%s", "no --kind given");
	if (a->text && a->kind && strcmp(a->kind, "ladder"))
		return bad("--text draws the ladder only, not '%s'", a->kind);
	return 0;
}

static int write_file(const plot_args *a)
{
	FILE *f = fopen(a->out, "w");
	if (!f) {
		fprintf(stderr, "tern plot: cannot write %s: %s\n", a->out, strerror(errno));
		return 1;
	}
	int rc = tern_plot_write(a->input, a->kind, &a->o, f);
	if (fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "tern plot: cannot write %s: %s\n", a->out, strerror(errno));
		rc = 1;
	}
	if (rc)
		remove(a->out); /* no half-written figure left behind */
	return rc;
}

int tern_cmd_plot(int argc, char **argv)
{
	plot_args a;
	int rc = parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.text)
		return tern_plot_text_ladder(a.input, &a.o, stdout);
	if (!a.out || !strcmp(a.out, "-"))
		return tern_plot_write(a.input, a.kind, &a.o, stdout);
	return write_file(&a);
}
