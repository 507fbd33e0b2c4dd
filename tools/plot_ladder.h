/* plot_ladder.h - the ladder's layout (plot_ladder.c), shared with its SVG
 * drawing (plot_ladder_draw.c). */
#ifndef TERN_TOOLS_PLOT_LADDER_H
#define TERN_TOOLS_PLOT_LADDER_H

#include "plot_int.h"

#define TERN_LADDER_ROW      30.0  /* pixels: the least distance between rows */
#define TERN_LADDER_TOP      150.0 /* y of the first row */
#define TERN_LADDER_MAX_GAP  8     /* rows: longer silences are cut short */
#define TERN_LADDER_MAX_CUTS 64
#define TERN_LADDER_FONT     12.0
#define TERN_LADDER_SMALL    10.0

/* A moment to lay out: one end of an arrow or a state change. */
typedef struct tern_ladder_pt {
	int64_t t;
	int side, kind, part; /* kind: 0 arrival, 1 send, 2 state change */
	size_t ref, order;    /* arrow or state change index; input order */
	double y;
} tern_ladder_pt;

typedef struct tern_plot_ladder {
	const tern_plot_conn *c;
	const tern_plot_opts *o;
	size_t head, tail; /* arrows shown: [0, head) and [tail, narrows) */
	bool has_break;
	tern_ladder_pt *pts;
	size_t npts;
	double *ys, *ye; /* per arrow: y at its send and its arrival, NAN unknown */
	double *sty;     /* per state change: its y */
	double break_y0, break_y1;
	double cut_y[TERN_LADDER_MAX_CUTS]; /* where a silence was cut short */
	int ncut;
	double x[2], width, height, bottom;
} tern_plot_ladder;

int tern_plot_ladder_layout(const tern_plot_conn *c, const tern_plot_opts *o,
			    tern_plot_ladder *l);
void tern_plot_ladder_free(tern_plot_ladder *l);

#endif
