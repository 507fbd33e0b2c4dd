/* plot_ladder_draw.c - the ladder's layout drawn as SVG. Labels sit on
 * their arrow, horizontal for reading, on a white halo so crossing arrows
 * do not hide them; a label that would cover another slides along its
 * arrow to the first free place. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"
#include "plot_ladder.h"
#include "plot_svg.h"

static const char *const dir_color[2] = {"#1f5fa8", "#2e7d32"};
#define RTX_COLOR   "#c62828"
#define STATE_COLOR "#6a1b9a"

typedef struct box {
	double x0, y0, x1, y1;
} box;

typedef struct seg_geom {
	double x0, y0, x1, y1;
	bool lost;
} seg_geom;

/* Where an arrow runs. One capture point gives one time: the far end is
 * drawn a little later (or earlier) at a fixed slant. */
static bool geom(const tern_plot_ladder *l, size_t i, double lost_drop, seg_geom *g)
{
	const tern_plot_arrow *a = &l->c->arrows[i];
	double slant = TERN_LADDER_ROW * 0.6, ys = l->ys[i], ye = l->ye[i];
	g->x0 = l->x[a->dir];
	g->x1 = l->x[1 - a->dir];
	g->lost = a->lost && !isnan(ys);
	if (isnan(ys) && isnan(ye))
		return false;
	if (g->lost) {
		g->x1 = (g->x0 + g->x1) / 2;
		ye = ys + lost_drop / 2;
	} else if (isnan(ye)) {
		ye = ys + slant;
	} else if (isnan(ys)) {
		ys = ye - slant;
	}
	g->y0 = ys;
	g->y1 = ye;
	return true;
}

/* Half the usual drop of a complete arrow: how far a lost one gets. */
static double usual_drop(const tern_plot_ladder *l)
{
	double sum = 0;
	int n = 0;
	for (size_t i = 0; i < l->c->narrows && n < 200; i++)
		if (!isnan(l->ys[i]) && !isnan(l->ye[i]))
			sum += l->ye[i] - l->ys[i], n++;
	return n ? sum / n : 4 * TERN_LADDER_ROW;
}

static bool overlaps(const box *a, const box *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* The label's centre: the first point along the arrow where its box covers
 * no earlier label (only the recent ones can be near), else the middle. */
static bool clear_of(const box *b, const box *placed, size_t n, size_t nx)
{
	for (size_t j = 0; j < nx; j++) /* the marks of lost segments */
		if (overlaps(b, &placed[j]))
			return false;
	for (size_t j = n > nx + 80 ? n - 80 : nx; j < n; j++)
		if (overlaps(b, &placed[j]))
			return false;
	return true;
}

static box place(const tern_plot_ladder *l, const seg_geom *g, double w, const box *placed,
		 size_t n, size_t nx)
{
	static const double at[] = {0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78};
	double lo = l->x[0] + w / 2 + 6, hi = l->x[1] - w / 2 - 6;
	box b = {0};
	for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
		double f = g->lost ? at[k] * 0.8 : at[k];
		double cx = fmin(fmax(g->x0 + (g->x1 - g->x0) * f, lo), hi);
		double cy = g->y0 + (g->y1 - g->y0) * f;
		b = (box){cx - w / 2, cy - 15, cx + w / 2, cy + 13};
		if (clear_of(&b, placed, n, nx))
			return b;
	}
	double f = g->lost ? 0.4 : 0.5, cx = fmin(fmax(g->x0 + (g->x1 - g->x0) * f, lo), hi);
	double cy = g->y0 + (g->y1 - g->y0) * f;
	return (box){cx - w / 2, cy - 15, cx + w / 2, cy + 13};
}

static const char *arrow_color(const tern_plot_arrow *a)
{
	return a->seg.rtx ? RTX_COLOR : dir_color[a->dir];
}

static void draw_arrow(FILE *f, const tern_plot_arrow *a, const seg_geom *g)
{
	const char *col = arrow_color(a);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		   "stroke-width=\"1.6\"%s%s/>\n",
		g->x0, g->y0, g->x1, g->y1, col, g->lost ? " stroke-dasharray=\"6,4\"" : "",
		g->lost ? "" : a->seg.rtx ? " marker-end=\"url(#ahr)\""
			       : a->dir	  ? " marker-end=\"url(#ah1)\""
					  : " marker-end=\"url(#ah0)\"");
}

static void lost_mark(FILE *f, const seg_geom *g)
{
	tern_svg_line(f, g->x1 - 7, g->y1 - 7, g->x1 + 7, g->y1 + 7, RTX_COLOR, 3, NULL);
	tern_svg_line(f, g->x1 - 7, g->y1 + 7, g->x1 + 7, g->y1 - 7, RTX_COLOR, 3, NULL);
}

static void draw_label(FILE *f, const tern_plot_ladder *l, size_t i, const box *b)
{
	const tern_plot_arrow *a = &l->c->arrows[i];
	char main[128], small[256];
	tern_plot_label(l->c, a, l->o->absolute, main, sizeof main);
	tern_plot_small(l->c, a, l->o->absolute, small, sizeof small);
	double cx = (b->x0 + b->x1) / 2, cy = b->y0 + 15;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\" "
		   "fill=\"#ffffff\" fill-opacity=\"0.88\"/>\n",
		b->x0 - 3, b->y0 + 1, b->x1 - b->x0 + 6, b->y1 - b->y0 - 1);
	tern_svg_text(f, cx, cy - 4, TERN_LADDER_FONT, "middle", arrow_color(a),
		      "font-weight=\"bold\"", main);
	tern_svg_text(f, cx, cy + 10, TERN_LADDER_SMALL, "middle", "#555555", NULL, small);
}

/* The marks of lost segments go in first, so labels keep clear of them. */
static size_t lost_boxes(const tern_plot_ladder *l, double drop, box *placed)
{
	size_t n = 0;
	for (size_t i = 0; i < l->c->narrows; i++) {
		seg_geom g;
		if ((i < l->head || i >= l->tail) && geom(l, i, drop, &g) && g.lost)
			placed[n++] = (box){g.x1 - 9, g.y1 - 9, g.x1 + 9, g.y1 + 9};
	}
	return n;
}

static double label_w(const tern_plot_ladder *l, const tern_plot_arrow *a)
{
	char buf[256];
	tern_plot_label(l->c, a, l->o->absolute, buf, sizeof buf);
	double w = tern_svg_text_w(buf, TERN_LADDER_FONT);
	tern_plot_small(l->c, a, l->o->absolute, buf, sizeof buf);
	return fmax(w, tern_svg_text_w(buf, TERN_LADDER_SMALL));
}

static int draw_arrows(FILE *f, const tern_plot_ladder *l)
{
	const tern_plot_conn *c = l->c;
	box *placed = malloc((2 * c->narrows + 1) * sizeof *placed);
	size_t *which = malloc((c->narrows + 1) * sizeof *which), n = 0;
	if (!placed || !which) {
		free(placed);
		free(which);
		return -1;
	}
	double drop = usual_drop(l);
	size_t nx = lost_boxes(l, drop, placed);
	for (size_t i = 0; i < c->narrows; i++) {
		seg_geom g;
		if ((i >= l->head && i < l->tail) || !geom(l, i, drop, &g))
			continue;
		draw_arrow(f, &c->arrows[i], &g);
		placed[nx + n] = place(l, &g, label_w(l, &c->arrows[i]), placed, nx + n, nx);
		which[n++] = i;
	}
	/* Labels after every arrow, so no arrow is drawn over a label; the
	 * marks of lost segments last, so no label hides one. */
	for (size_t k = 0; k < n; k++)
		draw_label(f, l, which[k], &placed[nx + k]);
	for (size_t i = 0; i < c->narrows; i++) {
		seg_geom g;
		if ((i < l->head || i >= l->tail) && geom(l, i, drop, &g) && g.lost)
			lost_mark(f, &g);
	}
	free(placed);
	free(which);
	return 0;
}

static void time_axis(FILE *f, const tern_plot_ladder *l)
{
	double ax = 84, last_y = -100;
	int64_t last_t = -1;
	char buf[32];
	tern_svg_line(f, ax, TERN_LADDER_TOP - 20, ax, l->bottom + 20, "#333333", 1, NULL);
	for (size_t i = 0; i < l->npts; i++) {
		double y = l->pts[i].y;
		int64_t t = l->pts[i].t;
		if (t == last_t || y - last_y < 15)
			continue;
		snprintf(buf, sizeof buf, "%.*f", tern_plot_ms_decimals(l->c), (double)t / 1000.0);
		tern_svg_line(f, ax - 4, y, ax, y, "#333333", 1, NULL);
		tern_svg_text(f, ax - 7, y + 4, 10, "end", "#333333", NULL, buf);
		last_t = t;
		last_y = y;
	}
	for (int k = 0; k < l->ncut; k++) {
		double y = l->cut_y[k];
		tern_svg_rect(f, ax - 6, y - 5, 12, 10, "#ffffff", NULL, 1);
		tern_svg_line(f, ax - 7, y - 1, ax + 7, y - 6, "#333333", 1.2, NULL);
		tern_svg_line(f, ax - 7, y + 6, ax + 7, y + 1, "#333333", 1.2, NULL);
	}
	char attrs[96];
	double my = (TERN_LADDER_TOP + l->bottom) / 2;
	snprintf(attrs, sizeof attrs, "transform=\"rotate(-90 %.1f %.1f)\"", 24.0, my);
	tern_svg_text(f, 24, my, 13, "middle", "#111111", attrs,
		      "time (ms)  —  rows not to scale, long silences cut (≈)");
}

/* TIME-WAIT shaded on the line from entry to CLOSED (or the trace end),
 * with how long it lasted. */
static void time_wait(FILE *f, const tern_plot_ladder *l)
{
	const tern_plot_conn *c = l->c;
	for (size_t i = 0; i < c->nstates; i++) {
		const tern_plot_stchg *s = &c->states[i];
		if (s->new_st != TERN_PLOT_ST_TIME_WAIT)
			continue;
		double y0 = l->sty[i], y1 = l->bottom + 14;
		int64_t t1 = c->t_end;
		for (size_t j = i + 1; j < c->nstates; j++)
			if (c->states[j].side == s->side) {
				y1 = l->sty[j];
				t1 = c->states[j].t;
				break;
			}
		double x = l->x[s->side];
		tern_svg_rect(f, x - 5, y0, 10, y1 - y0, "#ce93d8", "#8e24aa", 0.7);
		char buf[64], d[32];
		tern_plot_duration(t1 - s->t, d, sizeof d);
		snprintf(buf, sizeof buf, "%s %s", y1 > l->bottom ? "trace ends after" : "2MSL wait", d);
		double tx = s->side ? x + 14 : x - 14;
		tern_svg_text(f, tx, (y0 + y1) / 2 + 4, 10, s->side ? "start" : "end", STATE_COLOR,
			      "font-style=\"italic\"", buf);
	}
}

static void state_label(FILE *f, const tern_plot_ladder *l, int side, double y, int st)
{
	double x = l->x[side], dx = side ? 10 : -10;
	tern_svg_line(f, x, y, x + dx * 0.7, y, STATE_COLOR, 2, NULL);
	tern_svg_text(f, x + dx * 1.2, y + 4, 11, side ? "start" : "end", STATE_COLOR,
		      "font-weight=\"bold\"", tern_plot_state_names[st]);
}

static void states(FILE *f, const tern_plot_ladder *l)
{
	const tern_plot_conn *c = l->c;
	bool first[2] = {true, true};
	for (size_t i = 0; i < c->nstates; i++) {
		const tern_plot_stchg *s = &c->states[i];
		if (first[s->side])
			state_label(f, l, s->side, TERN_LADDER_TOP - 26, s->old_st);
		first[s->side] = false;
		state_label(f, l, s->side, l->sty[i], s->new_st);
	}
}

static void header(FILE *f, const tern_plot_ladder *l)
{
	const tern_plot_conn *c = l->c;
	char name[96], title[256], sub[256];
	size_t omitted = l->tail - l->head;
	for (int s = 0; s < 2; s++) {
		tern_plot_side_name(c, s, name, sizeof name);
		tern_svg_text(f, l->x[s], 82, 13, "middle", "#111111", "font-weight=\"bold\"", name);
		tern_svg_text(f, l->x[s], 98, 11, "middle", "#555555", NULL,
			      !c->opened ? (s ? "peer" : "sends first")
			      : s	 ? "answers (server)"
					 : "opens (client)");
		tern_svg_line(f, l->x[s], 106, l->x[s], l->bottom + 24, "#444444", 2, NULL);
	}
	char a[40], b[40];
	tern_plot_ep_str(c->ep[0], a, sizeof a);
	tern_plot_ep_str(c->ep[1], b, sizeof b);
	snprintf(title, sizeof title, "TCP ladder: %s \u21c4 %s", a, b);
	snprintf(sub, sizeof sub, "%zu segments%s%s \u00b7 %s \u00b7 %s", c->narrows,
		 omitted ? ", middle omitted" : "",
		 l->o->absolute ? "" : " \u00b7 seq/ack relative to each ISN",
		 c->two_hosts		? "trace of both hosts: arrows from send to arrival"
		 : c->tr->from_pcap ? "pcap: one capture point, fixed slant"
				    : "trace of one host: fixed slant",
		 c->states_inferred ? "states inferred from flags" : "states from the trace");
	tern_svg_title(f, l->width, l->o->title ? l->o->title : title, sub);
}

static void omitted_band(FILE *f, const tern_plot_ladder *l)
{
	if (!l->has_break)
		return;
	const tern_plot_conn *c = l->c;
	double y0 = l->break_y0, y1 = l->break_y1;
	tern_svg_rect(f, l->x[0] - 30, y0, l->x[1] - l->x[0] + 60, y1 - y0, "#eeeeee", "#bbbbbb", 1);
	char buf[128];
	const tern_plot_arrow *a = &c->arrows[l->head], *b = &c->arrows[l->tail - 1];
	int64_t t0 = a->t_send >= 0 ? a->t_send : a->t_recv, t1 = b->t_send >= 0 ? b->t_send : b->t_recv;
	int dec = tern_plot_ms_decimals(c);
	snprintf(buf, sizeof buf, "\u2026 %zu segments omitted (%.*f \u2013 %.*f ms) \u2026",
		 l->tail - l->head, dec, (double)t0 / 1000, dec, (double)t1 / 1000);
	tern_svg_text(f, (l->x[0] + l->x[1]) / 2, (y0 + y1) / 2 + 5, 13, "middle", "#444444",
		      "font-style=\"italic\"", buf);
}

static void legend(FILE *f, const tern_plot_ladder *l)
{
	const tern_plot_conn *c = l->c;
	tern_legend_item it[5];
	int n = 0;
	bool rtx = false, lost = false, tw = false;
	for (size_t i = 0; i < c->narrows; i++)
		if (i < l->head || i >= l->tail) {
			rtx |= c->arrows[i].seg.rtx != 0;
			lost |= c->arrows[i].lost;
		}
	for (size_t i = 0; i < c->nstates; i++)
		tw |= c->states[i].new_st == TERN_PLOT_ST_TIME_WAIT;
	char from[2][128], name[96];
	for (int s = 0; s < 2; s++) {
		tern_plot_side_name(c, s, name, sizeof name);
		snprintf(from[s], sizeof from[s], "sent by %s", name);
		it[n++] = (tern_legend_item){from[s], dir_color[s], TERN_LEG_LINE};
	}
	if (rtx)
		it[n++] = (tern_legend_item){"retransmission", RTX_COLOR, TERN_LEG_LINE};
	if (lost)
		it[n++] = (tern_legend_item){"lost (never arrived)", RTX_COLOR, TERN_LEG_CROSS};
	if (tw)
		it[n++] = (tern_legend_item){"TIME-WAIT", "#ce93d8", TERN_LEG_BOX};
	tern_svg_legend(f, l->x[0], l->bottom + 50, it, n);
}

int tern_plot_ladder_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out)
{
	tern_plot_ladder l;
	if (tern_plot_ladder_layout(c, o, &l) < 0)
		return tern_plot_err(1, "out of memory");
	tern_svg_begin(out, l.width, l.height, o->title ? o->title : "TCP ladder");
	tern_svg_marker(out, "ah0", dir_color[0]);
	tern_svg_marker(out, "ah1", dir_color[1]);
	tern_svg_marker(out, "ahr", RTX_COLOR);
	header(out, &l);
	time_axis(out, &l);
	time_wait(out, &l);
	int rc = draw_arrows(out, &l);
	states(out, &l);
	omitted_band(out, &l);
	legend(out, &l);
	tern_svg_end(out);
	tern_plot_ladder_free(&l);
	return rc < 0 ? tern_plot_err(1, "out of memory") : 0;
}
