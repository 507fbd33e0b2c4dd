/* plot_svg.h - a tiny SVG writer for `tern plot`: escaped text, lines,
 * shapes, one frame with two axes, ticks and grid, and a legend. The output
 * is self-contained: attributes only, no fonts, CSS or images from outside. */
#ifndef TERN_TOOLS_PLOT_SVG_H
#define TERN_TOOLS_PLOT_SVG_H

#include <stdbool.h>
#include <stdio.h>

#define TERN_SVG_FONT "DejaVu Sans, Verdana, Arial, sans-serif"

/* Text width estimate for layout: DejaVu Sans averages 0.6 em a glyph. */
double tern_svg_text_w(const char *text, double size);

void tern_svg_begin(FILE *f, double w, double h, const char *title);
void tern_svg_end(FILE *f);
/* An arrowhead marker, used as marker-end="url(#id)". */
void tern_svg_marker(FILE *f, const char *id, const char *color);
void tern_svg_esc(FILE *f, const char *text);

/* `attrs` is inserted as is (constant attributes such as font-weight). */
void tern_svg_text(FILE *f, double x, double y, double size, const char *anchor,
		   const char *fill, const char *attrs, const char *text);
void tern_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
		   double width, const char *dash);
void tern_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
		   const char *stroke, double opacity);

/* A polyline built point by point (for series with thousands of points). */
void tern_svg_path_begin(FILE *f, const char *stroke, double width, const char *dash);
void tern_svg_path_pt(FILE *f, bool first, double x, double y);
void tern_svg_path_end(FILE *f);

/* An axis: data range lo..hi onto pixels p0..p1, ticks divided by `div`
 * when printed (ms from microseconds: 1000). */
typedef struct tern_axis {
	double lo, hi, p0, p1, div;
	const char *label;
} tern_axis;

double tern_axis_map(const tern_axis *a, double v);
/* Widens lo..hi to round tick values (a 1-2-5 step). */
void tern_axis_nice(tern_axis *a);

/* The plot frame: x along the bottom, y up the left, grid, ticks, labels. */
void tern_svg_axes(FILE *f, const tern_axis *x, const tern_axis *y);

typedef enum tern_legend_style {
	TERN_LEG_LINE,
	TERN_LEG_DASH,
	TERN_LEG_DOT,
	TERN_LEG_BAR,
	TERN_LEG_BOX,
	TERN_LEG_CROSS,
} tern_legend_style;

typedef struct tern_legend_item {
	const char *label, *color;
	tern_legend_style style;
} tern_legend_item;

/* A boxed legend with its top-left corner at x, y. */
void tern_svg_legend(FILE *f, double x, double y, const tern_legend_item *items, int n);

/* The figure's title and subtitle, centred at the top. */
void tern_svg_title(FILE *f, double w, const char *title, const char *subtitle);

#endif
