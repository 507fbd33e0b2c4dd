/* plot_ladder.c - the ladder (sequence) diagram as SVG: the two ends as
 * vertical lines, time running down, each segment an arrow from its send
 * time to its arrival time with its textbook label, state names beside the
 * lines where they change, TIME-WAIT shaded.
 *
 * Time is not drawn to one scale: segments sent at the same instant would
 * pile up, and a 60 s TIME-WAIT would dwarf the handshake. Each moment that
 * needs its own row gets at least ROW pixels; beyond that, time is
 * proportional (one one-way delay ~ 4 rows) up to MAX_GAP rows, and longer
 * silences are cut short and marked on the time axis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"
#include "plot_ladder.h"
#include "plot_svg.h"

enum { K_RECV, K_SEND, K_STATE };

typedef tern_ladder_pt lpt;

static int pt_order(const void *x, const void *y)
{
	const lpt *a = x, *b = y;
	if (a->part != b->part)
		return a->part - b->part;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static bool shown(const tern_plot_ladder *l, size_t i)
{
	return i < l->head || i >= l->tail;
}

static void add_pt(tern_plot_ladder *l, int64_t t, int side, int kind, size_t ref, int part,
		   size_t order)
{
	l->pts[l->npts++] = (lpt){t, side, kind, part, ref, order, 0};
}

/* The moments to lay out: each shown arrow's ends and each state change. */
static void collect(tern_plot_ladder *l)
{
	const tern_plot_conn *c = l->c;
	int64_t tail_t = l->tail < c->narrows ? c->arrows[l->tail].t_send : INT64_MAX;
	if (l->tail < c->narrows && tail_t < 0)
		tail_t = c->arrows[l->tail].t_recv;
	for (size_t i = 0; i < c->narrows; i++) {
		const tern_plot_arrow *a = &c->arrows[i];
		if (!shown(l, i))
			continue;
		int part = l->has_break && i >= l->tail;
		if (a->t_send >= 0)
			add_pt(l, a->t_send, a->dir, K_SEND, i, part, a->order);
		if (a->t_recv >= 0)
			add_pt(l, a->t_recv, 1 - a->dir, K_RECV, i, part, a->order_in);
	}
	for (size_t i = 0; i < c->nstates; i++)
		add_pt(l, c->states[i].t, c->states[i].side, K_STATE, i,
		       c->states[i].t >= tail_t && l->has_break, c->states[i].order);
	qsort(l->pts, l->npts, sizeof *l->pts, pt_order);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* Pixels per microsecond: the median one-way delay (or, with one capture
 * point, the median gap between moments) spans a few rows. */
static double time_scale(const tern_plot_ladder *l)
{
	const tern_plot_conn *c = l->c;
	int64_t *d = malloc((c->narrows + l->npts + 1) * sizeof *d);
	size_t n = 0;
	if (!d)
		return 0.01;
	for (size_t i = 0; i < c->narrows; i++)
		if (c->arrows[i].t_send >= 0 && c->arrows[i].t_recv > c->arrows[i].t_send)
			d[n++] = c->arrows[i].t_recv - c->arrows[i].t_send;
	for (size_t i = 1; n == 0 && i < l->npts; i++)
		if (l->pts[i].t > l->pts[i - 1].t)
			d[n++] = l->pts[i].t - l->pts[i - 1].t;
	double rows = c->two_hosts ? 4 : 1.5;
	if (n == 0) {
		free(d);
		return 0.01;
	}
	qsort(d, n, sizeof *d, cmp_i64);
	double s = rows * TERN_LADDER_ROW / (double)d[n / 2];
	free(d);
	return s;
}

/* Gives every moment its y: a new row unless it shares its time with the
 * current row and that row has no moment of the same kind at that side. */
static void assign_rows(tern_plot_ladder *l)
{
	double scale = time_scale(l), y = TERN_LADDER_TOP;
	unsigned used = 0;
	for (size_t i = 0; i < l->npts; i++) {
		lpt *p = &l->pts[i], *prev = i ? &l->pts[i - 1] : NULL;
		unsigned slot = 1u << (p->side * 3 + p->kind);
		if (prev && p->part != prev->part) {
			l->break_y0 = y + TERN_LADDER_ROW * 0.6;
			y += TERN_LADDER_ROW * 3.2;
			l->break_y1 = y - TERN_LADDER_ROW * 0.6;
			used = 0;
		} else if (prev && (p->t != prev->t || (used & slot))) {
			double dy = (double)(p->t - prev->t) * scale;
			if (dy > TERN_LADDER_MAX_GAP * TERN_LADDER_ROW && l->ncut < TERN_LADDER_MAX_CUTS) {
				dy = TERN_LADDER_MAX_GAP * TERN_LADDER_ROW;
				l->cut_y[l->ncut++] = y + dy / 2;
			}
			y += dy > TERN_LADDER_ROW ? dy : TERN_LADDER_ROW;
			used = 0;
		}
		used |= slot;
		p->y = y;
	}
	l->bottom = y;
}

/* Per arrow, the y of its send and arrival (NAN where unknown); per state
 * change its y. */
static void arrow_ys(tern_plot_ladder *l)
{
	for (size_t i = 0; i < l->c->narrows; i++)
		l->ys[i] = l->ye[i] = NAN;
	for (size_t i = 0; i < l->npts; i++) {
		const lpt *p = &l->pts[i];
		if (p->kind == K_SEND)
			l->ys[p->ref] = p->y;
		else if (p->kind == K_RECV)
			l->ye[p->ref] = p->y;
		else
			l->sty[p->ref] = p->y;
	}
}

static double label_width(const tern_plot_ladder *l)
{
	double w = 0;
	char buf[256];
	for (size_t i = 0; i < l->c->narrows; i++) {
		if (!shown(l, i))
			continue;
		tern_plot_label(l->c, &l->c->arrows[i], l->o->absolute, buf, sizeof buf);
		double a = tern_svg_text_w(buf, TERN_LADDER_FONT);
		tern_plot_small(l->c, &l->c->arrows[i], l->o->absolute, buf, sizeof buf);
		double b = tern_svg_text_w(buf, TERN_LADDER_SMALL);
		w = fmax(w, fmax(a, b));
	}
	return w;
}

int tern_plot_ladder_layout(const tern_plot_conn *c, const tern_plot_opts *o,
			    tern_plot_ladder *l)
{
	memset(l, 0, sizeof *l);
	l->c = c;
	l->o = o;
	tern_plot_window(c, o, &l->head, &l->tail);
	l->has_break = l->tail > l->head;
	size_t n = c->narrows ? c->narrows : 1;
	l->pts = malloc((2 * c->narrows + c->nstates + 1) * sizeof *l->pts);
	l->ys = malloc(n * sizeof *l->ys);
	l->ye = malloc(n * sizeof *l->ye);
	l->sty = malloc((c->nstates + 1) * sizeof *l->sty);
	if (!l->pts || !l->ys || !l->ye || !l->sty) {
		tern_plot_ladder_free(l);
		return -1;
	}
	collect(l);
	assign_rows(l);
	arrow_ys(l);
	double gap = fmin(fmax(label_width(l) + 110, 460), 1100);
	l->x[0] = 230;
	l->x[1] = l->x[0] + gap;
	l->width = l->x[1] + 200;
	l->height = l->bottom + 180;
	return 0;
}

void tern_plot_ladder_free(tern_plot_ladder *l)
{
	free(l->pts);
	free(l->ys);
	free(l->ye);
	free(l->sty);
	l->pts = NULL;
	l->ys = l->ye = l->sty = NULL;
}
