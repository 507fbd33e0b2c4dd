/* plot_tsg.c - the Stevens time-sequence graph of the direction that
 * carries the data, as its sender sees it where that is traced: each data
 * segment an I-beam from seq to seq+len at its send time, retransmissions
 * in red, the cumulative ACK and the receive window's right edge as step
 * lines at the ACKs' arrival, SACK blocks as purple ranges. */
#include <math.h>
#include <string.h>

#include "plot_int.h"
#include "plot_svg.h"

#define W      1110.0
#define H      640.0
#define PX0    100.0
#define PX1    790.0
#define PY0    560.0 /* bottom */
#define PY1    70.0  /* top */
#define C_DATA "#1f5fa8"
#define C_RTX  "#d62728"
#define C_ACK  "#2e7d32"
#define C_WIN  "#ef6c00"
#define C_SACK "#8e24aa"

typedef struct tsg {
	const tern_plot_conn *c;
	int d; /* the data direction */
	tern_axis x, y;
	bool rtx, sack, lost, win;
	double wmax; /* the window edge's highest value */
} tsg;

static int64_t data_t(const tern_plot_arrow *a)
{
	return a->t_send >= 0 ? a->t_send : a->t_recv;
}

/* ACKs count where the data sender gets them. */
static int64_t ack_t(const tern_plot_arrow *a)
{
	return a->t_recv >= 0 ? a->t_recv : a->t_send;
}

static double rel(const tsg *g, uint32_t seq)
{
	return (double)(uint32_t)(seq - g->c->isn[g->d]);
}

static double win_edge(const tsg *g, const tern_plot_arrow *a)
{
	int ws = g->c->ws[0] >= 0 && g->c->ws[1] >= 0 && !(a->seg.flags & TERN_PF_SYN)
			 ? g->c->ws[1 - g->d]
			 : 0;
	return rel(g, a->seg.ack) + (double)a->seg.win * (double)(1u << ws);
}

/* Axis ranges from the data, the ACKs and (up to twice the data) the
 * window. */
static void ranges(tsg *g)
{
	const tern_plot_conn *c = g->c;
	double ymax = 1, wmax = 0, tmax = 1;
	for (size_t i = 0; i < c->narrows; i++) {
		const tern_plot_arrow *a = &c->arrows[i];
		tmax = fmax(tmax, (double)(a->dir == g->d ? data_t(a) : ack_t(a)));
		if (a->dir == g->d && a->seg.len)
			ymax = fmax(ymax, rel(g, a->seg.seq) + a->seg.len);
		if (a->dir != g->d && (a->seg.flags & TERN_PF_ACK)) {
			ymax = fmax(ymax, rel(g, a->seg.ack));
			wmax = fmax(wmax, win_edge(g, a));
		}
	}
	/* The window edge is often far above the data: shown when near it. */
	double yhi = wmax <= 1.6 * ymax ? fmax(ymax, wmax) : ymax;
	g->wmax = wmax;
	double ydiv = yhi < 20000 ? 1 : yhi < 2e7 ? 1000 : 1e6;
	g->y = (tern_axis){0, yhi * 1.03, PY0, PY1, ydiv,
			   ydiv == 1	  ? "relative sequence number (bytes)"
			   : ydiv == 1000 ? "relative sequence number (kB)"
					  : "relative sequence number (MB)"};
	double xdiv = tmax < 10e6 ? 1000 : 1e6;
	g->x = (tern_axis){0, tmax, PX0, PX1, xdiv, xdiv == 1000 ? "time (ms)" : "time (s)"};
	tern_axis_nice(&g->x);
	tern_axis_nice(&g->y);
}

static void ibeam(FILE *f, double x, double y0, double y1, const char *col)
{
	tern_svg_line(f, x, y0, x, y1, col, 1.6, NULL);
	if (y0 - y1 > 4) {
		tern_svg_line(f, x - 2.5, y0, x + 2.5, y0, col, 1, NULL);
		tern_svg_line(f, x - 2.5, y1, x + 2.5, y1, col, 1, NULL);
	}
}

static void data(FILE *f, tsg *g)
{
	const tern_plot_conn *c = g->c;
	for (size_t i = 0; i < c->narrows; i++) {
		const tern_plot_arrow *a = &c->arrows[i];
		if (a->dir != g->d || (!a->seg.len && !(a->seg.flags & (TERN_PF_SYN | TERN_PF_FIN))))
			continue;
		bool r = a->seg.rtx != 0;
		double x = tern_axis_map(&g->x, (double)data_t(a));
		double y0 = tern_axis_map(&g->y, rel(g, a->seg.seq));
		double y1 = tern_axis_map(&g->y, rel(g, a->seg.seq) + fmax(a->seg.len, 1));
		g->rtx |= r;
		ibeam(f, x, y0, fmin(y1, y0 - 2), r ? C_RTX : C_DATA);
		if (a->lost) {
			double m = (y0 + y1) / 2;
			tern_svg_line(f, x - 4, m - 4, x + 4, m + 4, C_RTX, 1.8, NULL);
			tern_svg_line(f, x - 4, m + 4, x + 4, m - 4, C_RTX, 1.8, NULL);
			g->lost = true;
		}
	}
}

/* A step line through the ACKs: level v holds until the next ACK. */
static void steps(FILE *f, tsg *g, bool window)
{
	const tern_plot_conn *c = g->c;
	bool first = true;
	double last_y = 0;
	tern_svg_path_begin(f, window ? C_WIN : C_ACK, window ? 1.4 : 1.8, window ? "6,3" : NULL);
	for (size_t i = 0; i < c->narrows; i++) {
		const tern_plot_arrow *a = &c->arrows[i];
		if (a->dir == g->d || !(a->seg.flags & TERN_PF_ACK))
			continue;
		double x = tern_axis_map(&g->x, (double)ack_t(a));
		double y = tern_axis_map(&g->y, window ? win_edge(g, a) : rel(g, a->seg.ack));
		if (!first)
			tern_svg_path_pt(f, false, x, last_y);
		tern_svg_path_pt(f, first, x, y);
		first = false;
		last_y = y;
	}
	if (!first)
		tern_svg_path_pt(f, false, PX1, last_y);
	else
		tern_svg_path_pt(f, true, PX0, PY0);
	tern_svg_path_end(f);
	g->win |= window && !first;
}

static void sacks(FILE *f, tsg *g)
{
	const tern_plot_conn *c = g->c;
	for (size_t i = 0; i < c->narrows; i++) {
		const tern_plot_arrow *a = &c->arrows[i];
		if (a->dir == g->d)
			continue;
		double x = tern_axis_map(&g->x, (double)ack_t(a));
		for (unsigned k = 0; k < a->seg.nsack; k++) {
			double y0 = tern_axis_map(&g->y, rel(g, a->seg.sack[k][0]));
			double y1 = tern_axis_map(&g->y, rel(g, a->seg.sack[k][1]));
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
				   "stroke-width=\"4\" stroke-opacity=\"0.55\"/>\n",
				x + 3, y0, x + 3, fmin(y1, y0 - 1), C_SACK);
			g->sack = true;
		}
	}
}

static void tsg_legend(FILE *f, const tsg *g)
{
	tern_legend_item it[6];
	int n = 0;
	it[n++] = (tern_legend_item){"data segment (seq..seq+len)", C_DATA, TERN_LEG_BAR};
	if (g->rtx)
		it[n++] = (tern_legend_item){"retransmission", C_RTX, TERN_LEG_BAR};
	if (g->lost)
		it[n++] = (tern_legend_item){"lost (never arrived)", C_RTX, TERN_LEG_CROSS};
	it[n++] = (tern_legend_item){"cumulative ACK", C_ACK, TERN_LEG_LINE};
	char above[96];
	snprintf(above, sizeof above, "window edge (above, to %.0f kB)", g->wmax / 1000);
	if (g->win)
		it[n++] = (tern_legend_item){g->wmax > g->y.hi ? above : "receive window edge (ack+win)",
					     C_WIN, TERN_LEG_DASH};
	if (g->sack)
		it[n++] = (tern_legend_item){"SACK block", C_SACK, TERN_LEG_BAR};
	tern_svg_legend(f, PX1 + 14, PY1, it, n);
}

static void titles(FILE *f, const tsg *g, const tern_plot_opts *o)
{
	const tern_plot_conn *c = g->c;
	char a[40], b[40], title[160], sub[200];
	tern_plot_ep_str(c->ep[g->d], a, sizeof a);
	tern_plot_ep_str(c->ep[1 - g->d], b, sizeof b);
	snprintf(title, sizeof title, "Time-sequence graph: data %s \u2192 %s", a, b);
	snprintf(sub, sizeof sub, "%s \u00b7 sequence numbers relative to the ISN",
		 c->two_hosts ? "data at its send time, ACKs at their arrival (trace of both hosts)"
		 : c->tr->from_pcap ? "as captured (one capture point)"
				    : "as the traced host saw it");
	tern_svg_title(f, W, o->title ? o->title : title, sub);
}

int tern_plot_tsg_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out)
{
	tsg g = {.c = c, .d = tern_plot_data_side(c)};
	ranges(&g);
	tern_svg_begin(out, W, H, o->title ? o->title : "TCP time-sequence graph");
	titles(out, &g, o);
	tern_svg_axes(out, &g.x, &g.y);
	fprintf(out, "<clipPath id=\"plotarea\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		     "height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#plotarea)\">\n",
		PX0, PY1, PX1 - PX0, PY0 - PY1);
	steps(out, &g, true);
	steps(out, &g, false);
	sacks(out, &g);
	data(out, &g);
	fputs("</g>\n", out);
	tsg_legend(out, &g);
	tern_svg_end(out);
	return 0;
}
