/* plot_series.c - quantities over time from a trace's events: cwnd and
 * ssthresh (cwnd events) and RTT samples, SRTT and RTO (rtt events), with
 * the sender's retransmission decisions marked as vertical lines. Both are
 * about the data sender when it is traced, else whichever side is. */
#include <math.h>
#include <string.h>

#include "plot_int.h"
#include "plot_svg.h"

#define W   1110.0
#define H   600.0
#define PX0 100.0
#define PX1 790.0
#define PY0 520.0
#define PY1 70.0

/* ssthresh starts "infinite"; stacks write that as 2^31-1, 2^32-1 or the
 * like. Anything this large is drawn as unset. */
#define SSTHRESH_UNSET 0x7fffffffull

static const char *const mark_color[TERN_PLOT_RTX_N] = {
    "#000000", "#c2185b", "#8e24aa", "#d62728", "#757575", "#d62728", "#d62728",
};

typedef struct series {
	const tern_plot_conn *c;
	int side; /* whose events */
	int kind; /* TERN_PLOT_CWND or TERN_PLOT_RTT */
	tern_axis x, y;
	double tmax;
	unsigned mark_mask; /* which retransmission kinds are marked */
	bool marked[TERN_PLOT_RTX_N];
} series;

/* The side whose events of this kind are drawn: the data sender's if it
 * has any, else the other's; -1 when neither has. */
static int pick_side(const tern_plot_conn *c, int kind)
{
	int d = tern_plot_data_side(c), found = -1;
	for (size_t i = 0; i < c->tr->n; i++) {
		const tern_plot_ev *e = &c->tr->ev[i];
		int s = e->kind == kind ? tern_plot_ev_side(c, e) : -1;
		if (s == d)
			return d;
		if (s >= 0 && found < 0)
			found = s;
	}
	return found;
}

static bool mine(const series *s, const tern_plot_ev *e, int kind)
{
	return e->kind == kind && tern_plot_ev_side(s->c, e) == s->side;
}

static bool is_mark(const series *s, const tern_plot_ev *e)
{
	return mine(s, e, TERN_PLOT_RTX) || mine(s, e, TERN_PLOT_RTO_FIRE);
}

static int mark_kind(const tern_plot_ev *e)
{
	return e->kind == TERN_PLOT_RTO_FIRE ? TERN_PLOT_RTX_RTO : e->u.rtx.kind;
}

/* x runs to the last event drawn; y from 0 to ymax. */
static void frame(FILE *f, series *s, double ymax, double ydiv, const char *ylabel)
{
	double tmax = 1;
	for (size_t i = 0; i < s->c->tr->n; i++) {
		const tern_plot_ev *e = &s->c->tr->ev[i];
		if (mine(s, e, s->kind) || is_mark(s, e))
			tmax = fmax(tmax, (double)tern_plot_rel_t(s->c, e));
	}
	double xdiv = tmax < 10e6 ? 1000 : 1e6;
	s->tmax = tmax;
	s->x = (tern_axis){0, tmax, PX0, PX1, xdiv, xdiv == 1000 ? "time (ms)" : "time (s)"};
	s->y = (tern_axis){0, fmax(ymax, 1e-9) * 1.08, PY0, PY1, ydiv, ylabel};
	tern_axis_nice(&s->x);
	tern_axis_nice(&s->y);
	tern_svg_axes(f, &s->x, &s->y);
	fprintf(f, "<clipPath id=\"plotarea\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		   "height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#plotarea)\">\n",
		PX0, PY1, PX1 - PX0, PY0 - PY1);
}

/* Vertical lines where the sender decided to retransmit (one per pixel
 * column and kind, so a burst of decisions stays one line). */
static void marks(FILE *f, series *s)
{
	double last[TERN_PLOT_RTX_N];
	for (int k = 0; k < TERN_PLOT_RTX_N; k++)
		last[k] = -1;
	for (size_t i = 0; i < s->c->tr->n; i++) {
		const tern_plot_ev *e = &s->c->tr->ev[i];
		if (!is_mark(s, e))
			continue;
		int k = mark_kind(e);
		if (!(s->mark_mask & 1u << k))
			continue;
		double x = round(tern_axis_map(&s->x, (double)tern_plot_rel_t(s->c, e)));
		if (x == last[k])
			continue;
		last[k] = x;
		s->marked[k] = true;
		tern_svg_line(f, x, PY1, x, PY0, mark_color[k], k == TERN_PLOT_RTX_RTO ? 1.6 : 1.2,
			      k == TERN_PLOT_RTX_RTO ? NULL : "4,3");
	}
}

static int mark_legend(const series *s, tern_legend_item *it, int n)
{
	static const char *const what[TERN_PLOT_RTX_N] = {
	    "", "fast retransmit", "RACK loss detected", "retransmission timeout (RTO)",
	    "tail loss probe", "SYN retransmitted", "retransmission",
	};
	for (int k = 1; k < TERN_PLOT_RTX_N; k++)
		if (s->marked[k] && (k != TERN_PLOT_RTX_SYN || !s->marked[TERN_PLOT_RTX_RTO]))
			it[n++] = (tern_legend_item){what[k], mark_color[k],
						     k == TERN_PLOT_RTX_RTO ? TERN_LEG_LINE
									    : TERN_LEG_DASH};
	return n;
}

/* One of the numbers an event carries, in the plot's unit; NAN where unset. */
typedef double (*field_fn)(const tern_plot_ev *e, double unit);

static double f_cwnd(const tern_plot_ev *e, double unit)
{
	return (double)e->u.cw.cwnd / unit;
}

static double f_ssthresh(const tern_plot_ev *e, double unit)
{
	return e->u.cw.ssthresh >= SSTHRESH_UNSET ? NAN : (double)e->u.cw.ssthresh / unit;
}

static double f_srtt(const tern_plot_ev *e, double unit)
{
	return (double)e->u.rtt.srtt / unit;
}

static double f_rto(const tern_plot_ev *e, double unit)
{
	return (double)e->u.rtt.rto / unit;
}

/* A step line: each value holds until the next event; unset values lift
 * the pen. The last value holds to the end of the data. */
static void steps(FILE *f, const series *s, field_fn fn, double unit, const char *color,
		  const char *dash)
{
	bool down = false, any = false;
	double ly = 0;
	tern_svg_path_begin(f, color, 2, dash);
	for (size_t i = 0; i < s->c->tr->n; i++) {
		const tern_plot_ev *e = &s->c->tr->ev[i];
		if (!mine(s, e, s->kind))
			continue;
		double v = fn(e, unit), x = tern_axis_map(&s->x, (double)tern_plot_rel_t(s->c, e));
		if (down)
			tern_svg_path_pt(f, false, x, ly);
		if (!isnan(v)) {
			ly = tern_axis_map(&s->y, v);
			tern_svg_path_pt(f, !down, x, ly);
			any = true;
		}
		down = !isnan(v);
	}
	if (down)
		tern_svg_path_pt(f, false, tern_axis_map(&s->x, s->tmax), ly);
	if (!any)
		tern_svg_path_pt(f, true, PX0, PY0); /* a path needs one point */
	tern_svg_path_end(f);
}

static void titles(FILE *f, const series *s, const tern_plot_opts *o, const char *what)
{
	char name[96], title[200], sub[160];
	tern_plot_side_name(s->c, s->side, name, sizeof name);
	snprintf(title, sizeof title, "%s of %s", what, name);
	tern_plot_ep_str(s->c->ep[1 - s->side], name, sizeof name);
	snprintf(sub, sizeof sub, "sending to %s \u00b7 from the trace's %s events", name,
		 s->kind == TERN_PLOT_CWND ? "cwnd" : "rtt");
	tern_svg_title(f, W, o->title ? o->title : title, sub);
}

static double mss_of(const tern_plot_conn *c)
{
	unsigned a = c->mss[0], b = c->mss[1];
	unsigned m = a && b ? (a < b ? a : b) : a ? a : b;
	return m ? m : 536; /* RFC 9293's default */
}

int tern_plot_cwnd_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out)
{
	series s = {.c = c, .kind = TERN_PLOT_CWND, .mark_mask = ~0u};
	if ((s.side = pick_side(c, TERN_PLOT_CWND)) < 0)
		return tern_plot_err(2, "the trace has no cwnd events for this connection");
	double unit = o->segments ? mss_of(c) : 1, ymax = 0;
	for (size_t i = 0; i < c->tr->n; i++)
		if (mine(&s, &c->tr->ev[i], TERN_PLOT_CWND)) {
			ymax = fmax(ymax, f_cwnd(&c->tr->ev[i], unit));
			double t = f_ssthresh(&c->tr->ev[i], unit);
			ymax = isnan(t) ? ymax : fmax(ymax, t);
		}
	char ylabel[64];
	double ydiv = o->segments || ymax < 20000 ? 1 : ymax < 2e7 ? 1000 : 1e6;
	if (o->segments)
		snprintf(ylabel, sizeof ylabel, "segments (of %.0f bytes)", unit);
	else
		snprintf(ylabel, sizeof ylabel, "%s", ydiv == 1 ? "bytes" : ydiv == 1000 ? "kB" : "MB");
	tern_svg_begin(out, W, H, o->title ? o->title : "TCP congestion window");
	titles(out, &s, o, "Congestion window");
	frame(out, &s, ymax, ydiv, ylabel);
	marks(out, &s);
	steps(out, &s, f_cwnd, unit, "#1f5fa8", NULL);
	steps(out, &s, f_ssthresh, unit, "#ef6c00", "7,4");
	fputs("</g>\n", out);
	tern_legend_item it[2 + TERN_PLOT_RTX_N] = {
	    {"cwnd", "#1f5fa8", TERN_LEG_LINE},
	    {"ssthresh (not drawn while unset)", "#ef6c00", TERN_LEG_DASH},
	};
	tern_svg_legend(out, PX1 + 14, PY1, it, mark_legend(&s, it, 2));
	tern_svg_end(out);
	return 0;
}

static void samples(FILE *f, const series *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->c->tr->n; i++)
		n += mine(s, &s->c->tr->ev[i], TERN_PLOT_RTT);
	/* thousands of samples: smaller, lighter dots, so the lines stay visible */
	double r = n > 300 ? 2 : 3, op = n > 300 ? 0.45 : 0.75;
	for (size_t i = 0; i < s->c->tr->n; i++) {
		const tern_plot_ev *e = &s->c->tr->ev[i];
		if (!mine(s, e, TERN_PLOT_RTT))
			continue;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.0f\" fill=\"#1f5fa8\" "
			   "fill-opacity=\"%.2f\"/>\n",
			tern_axis_map(&s->x, (double)tern_plot_rel_t(s->c, e)),
			tern_axis_map(&s->y, (double)e->u.rtt.sample), r, op);
	}
}

int tern_plot_rtt_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out)
{
	series s = {.c = c, .kind = TERN_PLOT_RTT, .mark_mask = 1u << TERN_PLOT_RTX_RTO};
	if ((s.side = pick_side(c, TERN_PLOT_RTT)) < 0)
		return tern_plot_err(2, "the trace has no rtt events for this connection");
	double ymax = 0;
	for (size_t i = 0; i < c->tr->n; i++) {
		const tern_plot_ev *e = &c->tr->ev[i];
		if (mine(&s, e, TERN_PLOT_RTT))
			ymax = fmax(ymax, fmax((double)e->u.rtt.sample,
					       fmax((double)e->u.rtt.srtt, (double)e->u.rtt.rto)));
	}
	tern_svg_begin(out, W, H, o->title ? o->title : "TCP round-trip time");
	titles(out, &s, o, "Round-trip time");
	frame(out, &s, ymax, 1000, "milliseconds");
	marks(out, &s);
	samples(out, &s);
	steps(out, &s, f_rto, 1, "#d62728", "7,4");
	steps(out, &s, f_srtt, 1, "#2e7d32", NULL);
	fputs("</g>\n", out);
	tern_legend_item it[3 + TERN_PLOT_RTX_N] = {
	    {"RTT sample", "#1f5fa8", TERN_LEG_DOT},
	    {"SRTT (smoothed)", "#2e7d32", TERN_LEG_LINE},
	    {"RTO (retransmission timeout)", "#d62728", TERN_LEG_DASH},
	};
	tern_svg_legend(out, PX1 + 14, PY1, it, mark_legend(&s, it, 3));
	tern_svg_end(out);
	return 0;
}
