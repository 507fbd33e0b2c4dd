/* plot_svg.c - the SVG writer behind every figure. Numbers are written with
 * one decimal: a tenth of a pixel is finer than any screen shows, and it
 * keeps files of thousands of segments small. */
#include <math.h>
#include <string.h>

#include "plot_svg.h"

double tern_svg_text_w(const char *text, double size)
{
	size_t glyphs = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		glyphs += (*p & 0xc0) != 0x80; /* count UTF-8 lead bytes only */
	return (double)glyphs * size * 0.6;
}

void tern_svg_begin(FILE *f, double w, double h, const char *title)
{
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n<title>",
		w, h, w, h, TERN_SVG_FONT);
	tern_svg_esc(f, title);
	fputs("</title>\n", f);
	tern_svg_rect(f, 0, 0, w, h, "#ffffff", NULL, 1);
}

void tern_svg_marker(FILE *f, const char *id, const char *color)
{
	fprintf(f, "<defs><marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
		   "markerWidth=\"8\" markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" "
		   "orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"%s\"/></marker></defs>\n",
		id, color);
}

void tern_svg_end(FILE *f)
{
	fputs("</svg>\n", f);
}

/* Length of the well-formed UTF-8 sequence at p, or 0. */
static int utf8_len(const unsigned char *p)
{
	int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (p[0] >= 0xf5)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void tern_svg_esc(FILE *f, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		int n = *p < 0x80 ? 1 : utf8_len(p);
		if (*p == '&')
			fputs("&amp;", f);
		else if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '"')
			fputs("&quot;", f);
		else if (n == 0 || (*p < 0x20 && *p != '\t'))
			fputc('?', f); /* XML 1.0 allows neither */
		else
			fwrite(p, 1, (size_t)n, f);
		p += n ? n : 1;
	}
}

void tern_svg_text(FILE *f, double x, double y, double size, const char *anchor,
		   const char *fill, const char *attrs, const char *text)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" text-anchor=\"%s\" fill=\"%s\"%s%s>",
		x, y, size, anchor, fill, attrs ? " " : "", attrs ? attrs : "");
	tern_svg_esc(f, text);
	fputs("</text>\n", f);
}

void tern_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
		   double width, const char *dash)
{
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		   "stroke-width=\"%.1f\"",
		x1, y1, x2, y2, stroke, width);
	if (dash)
		fprintf(f, " stroke-dasharray=\"%s\"", dash);
	fputs("/>\n", f);
}

void tern_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
		   const char *stroke, double opacity)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"", x, y,
		w, h, fill);
	if (stroke)
		fprintf(f, " stroke=\"%s\"", stroke);
	if (opacity < 1)
		fprintf(f, " fill-opacity=\"%.2f\"", opacity);
	fputs("/>\n", f);
}

void tern_svg_path_begin(FILE *f, const char *stroke, double width, const char *dash)
{
	fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" stroke-linejoin=\"round\"",
		stroke, width);
	if (dash)
		fprintf(f, " stroke-dasharray=\"%s\"", dash);
	fputs(" d=\"", f);
}

void tern_svg_path_pt(FILE *f, bool first, double x, double y)
{
	fprintf(f, "%s%.1f,%.1f", first ? "M" : " L", x, y);
}

void tern_svg_path_end(FILE *f)
{
	fputs("\"/>\n", f);
}

double tern_axis_map(const tern_axis *a, double v)
{
	if (a->hi <= a->lo)
		return a->p0;
	return a->p0 + (v - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

static double tick_step(const tern_axis *a)
{
	double span = (a->hi - a->lo) / a->div;
	if (!(span > 0))
		span = 1;
	double raw = span / 6, mag = pow(10, floor(log10(raw))), r = raw / mag;
	double step = r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10;
	return step * mag * a->div;
}

void tern_axis_nice(tern_axis *a)
{
	if (!(a->hi > a->lo))
		a->hi = a->lo + a->div;
	double step = tick_step(a);
	a->lo = floor(a->lo / step) * step;
	a->hi = ceil(a->hi / step) * step;
}

static void tick_label(char *buf, size_t n, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	snprintf(buf, n, "%.*f", dec > 6 ? 6 : dec, fabs(v) < step / 1e6 ? 0.0 : v);
}

static void x_ticks(FILE *f, const tern_axis *x, const tern_axis *y)
{
	double step = tick_step(x);
	char buf[32];
	for (int i = 0; i <= 1000; i++) {
		double v = ceil(x->lo / step - 1e-9) * step + i * step;
		if (v > x->hi + step * 1e-6)
			break;
		double px = tern_axis_map(x, v);
		tern_svg_line(f, px, y->p1, px, y->p0, "#e4e4e4", 1, NULL);
		tern_svg_line(f, px, y->p0, px, y->p0 + 5, "#333333", 1, NULL);
		tick_label(buf, sizeof buf, v / x->div, step / x->div);
		tern_svg_text(f, px, y->p0 + 18, 11, "middle", "#333333", NULL, buf);
	}
}

static void y_ticks(FILE *f, const tern_axis *x, const tern_axis *y)
{
	double step = tick_step(y);
	char buf[32];
	for (int i = 0; i <= 1000; i++) {
		double v = ceil(y->lo / step - 1e-9) * step + i * step;
		if (v > y->hi + step * 1e-6)
			break;
		double py = tern_axis_map(y, v);
		tern_svg_line(f, x->p0, py, x->p1, py, "#e4e4e4", 1, NULL);
		tern_svg_line(f, x->p0 - 5, py, x->p0, py, "#333333", 1, NULL);
		tick_label(buf, sizeof buf, v / y->div, step / y->div);
		tern_svg_text(f, x->p0 - 8, py + 4, 11, "end", "#333333", NULL, buf);
	}
}

void tern_svg_axes(FILE *f, const tern_axis *x, const tern_axis *y)
{
	x_ticks(f, x, y);
	y_ticks(f, x, y);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
		   "stroke=\"#333333\"/>\n",
		x->p0, y->p1, x->p1 - x->p0, y->p0 - y->p1);
	tern_svg_text(f, (x->p0 + x->p1) / 2, y->p0 + 40, 13, "middle", "#111111", NULL, x->label);
	char attrs[96];
	double ly = (y->p0 + y->p1) / 2, lx = x->p0 - 62;
	snprintf(attrs, sizeof attrs, "transform=\"rotate(-90 %.1f %.1f)\"", lx, ly);
	tern_svg_text(f, lx, ly, 13, "middle", "#111111", attrs, y->label);
}

static void legend_key(FILE *f, double x, double y, const tern_legend_item *it)
{
	switch (it->style) {
	case TERN_LEG_LINE:
		tern_svg_line(f, x, y, x + 28, y, it->color, 2, NULL);
		break;
	case TERN_LEG_DASH:
		tern_svg_line(f, x, y, x + 28, y, it->color, 2, "5,3");
		break;
	case TERN_LEG_DOT:
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x + 14, y,
			it->color);
		break;
	case TERN_LEG_BAR:
		tern_svg_line(f, x + 14, y - 7, x + 14, y + 7, it->color, 3, NULL);
		break;
	case TERN_LEG_BOX:
		tern_svg_rect(f, x + 6, y - 6, 16, 12, it->color, "#666666", 1);
		break;
	case TERN_LEG_CROSS:
		tern_svg_line(f, x + 9, y - 5, x + 19, y + 5, it->color, 2.5, NULL);
		tern_svg_line(f, x + 9, y + 5, x + 19, y - 5, it->color, 2.5, NULL);
		break;
	}
}

void tern_svg_legend(FILE *f, double x, double y, const tern_legend_item *items, int n)
{
	double w = 0;
	for (int i = 0; i < n; i++) {
		double tw = tern_svg_text_w(items[i].label, 11);
		w = tw > w ? tw : w;
	}
	tern_svg_rect(f, x, y, w + 56, 12 + 20.0 * n, "#ffffff", "#999999", 1);
	for (int i = 0; i < n; i++) {
		double ry = y + 16 + 20.0 * i;
		legend_key(f, x + 8, ry, &items[i]);
		tern_svg_text(f, x + 44, ry + 4, 11, "start", "#111111", NULL, items[i].label);
	}
}

void tern_svg_title(FILE *f, double w, const char *title, const char *subtitle)
{
	tern_svg_text(f, w / 2, 26, 17, "middle", "#111111", "font-weight=\"bold\"", title);
	if (subtitle && *subtitle)
		tern_svg_text(f, w / 2, 45, 12, "middle", "#555555", NULL, subtitle);
}
