/* plot_states.c - the RFC 9293 state diagram (Figure 5, laid out as the
 * RFC draws it, CLOSED at the top and again at the bottom right) with the
 * transitions this connection's ends took drawn thick in each end's colour
 * and counted, and the states they visited filled (left half: the opener,
 * right half: its peer). Transitions outside Figure 5 (an RST, an abort, a
 * FIN that also acknowledges ours) are listed under the diagram. */
#include <math.h>
#include <string.h>

#include "plot_int.h"
#include "plot_svg.h"

#define W     1000.0
#define BOX_W 136.0
#define BOX_H 42.0

enum { CLOSED2 = TERN_PLOT_ST_N, NODES }; /* the bottom CLOSED box */

static const double node_xy[NODES][2] = {
    [TERN_PLOT_ST_CLOSED] = {500, 100},	    [TERN_PLOT_ST_LISTEN] = {500, 250},
    [TERN_PLOT_ST_SYN_SENT] = {830, 390},   [TERN_PLOT_ST_SYN_RCVD] = {170, 390},
    [TERN_PLOT_ST_ESTAB] = {500, 520},	    [TERN_PLOT_ST_FIN_WAIT_1] = {170, 640},
    [TERN_PLOT_ST_CLOSE_WAIT] = {830, 640}, [TERN_PLOT_ST_FIN_WAIT_2] = {170, 770},
    [TERN_PLOT_ST_CLOSING] = {500, 770},    [TERN_PLOT_ST_LAST_ACK] = {830, 770},
    [TERN_PLOT_ST_TIME_WAIT] = {500, 890},  [CLOSED2] = {830, 890},
};

typedef struct edge {
	int from, to;
	double off;	      /* perpendicular offset, to part two-way pairs */
	const char *ev, *act; /* the event and the action, as Figure 5 writes them */
	double lx, ly;	      /* label position relative to the middle */
	const char *anchor;
} edge;

static const edge edges[] = {
    {TERN_PLOT_ST_CLOSED, TERN_PLOT_ST_LISTEN, 20, "passive OPEN", "create TCB", -28, -4, "end"},
    {TERN_PLOT_ST_LISTEN, TERN_PLOT_ST_CLOSED, 20, "CLOSE", "delete TCB", 14, -24, "start"},
    {TERN_PLOT_ST_CLOSED, TERN_PLOT_ST_SYN_SENT, 0, "active OPEN", "create TCB, snd SYN", 30, -46,
     "start"},
    {TERN_PLOT_ST_SYN_SENT, TERN_PLOT_ST_CLOSED, 0, "CLOSE", "delete TCB", -30, -10, "end"},
    {TERN_PLOT_ST_LISTEN, TERN_PLOT_ST_SYN_RCVD, 14, "rcv SYN", "snd SYN,ACK", 16, 30, "start"},
    {TERN_PLOT_ST_SYN_RCVD, TERN_PLOT_ST_LISTEN, 14, "rcv RST", "", -40, -26, "middle"},
    {TERN_PLOT_ST_LISTEN, TERN_PLOT_ST_SYN_SENT, 0, "SEND", "snd SYN", 10, 30, "start"},
    {TERN_PLOT_ST_SYN_SENT, TERN_PLOT_ST_SYN_RCVD, 0, "rcv SYN", "snd SYN,ACK", 0, -8, "middle"},
    {TERN_PLOT_ST_SYN_RCVD, TERN_PLOT_ST_ESTAB, 0, "rcv ACK of SYN", "x", -40, 36, "middle"},
    {TERN_PLOT_ST_SYN_SENT, TERN_PLOT_ST_ESTAB, 0, "rcv SYN,ACK", "snd ACK", 40, 36, "middle"},
    {TERN_PLOT_ST_SYN_RCVD, TERN_PLOT_ST_FIN_WAIT_1, 0, "CLOSE", "snd FIN", -12, -50, "end"},
    {TERN_PLOT_ST_ESTAB, TERN_PLOT_ST_FIN_WAIT_1, 0, "CLOSE", "snd FIN", 0, 30, "middle"},
    {TERN_PLOT_ST_ESTAB, TERN_PLOT_ST_CLOSE_WAIT, 0, "rcv FIN", "snd ACK", 0, 30, "middle"},
    {TERN_PLOT_ST_FIN_WAIT_1, TERN_PLOT_ST_FIN_WAIT_2, 0, "rcv ACK of FIN", "x", -12, 0, "end"},
    {TERN_PLOT_ST_FIN_WAIT_1, TERN_PLOT_ST_CLOSING, 0, "rcv FIN", "snd ACK", 40, -16,
     "start"},
    {TERN_PLOT_ST_FIN_WAIT_2, TERN_PLOT_ST_TIME_WAIT, 0, "rcv FIN", "snd ACK", -30, 30,
     "middle"},
    {TERN_PLOT_ST_CLOSING, TERN_PLOT_ST_TIME_WAIT, 0, "rcv ACK of FIN", "x", 12, 0, "start"},
    {TERN_PLOT_ST_CLOSE_WAIT, TERN_PLOT_ST_LAST_ACK, 0, "CLOSE", "snd FIN", 12, 0, "start"},
    {TERN_PLOT_ST_LAST_ACK, CLOSED2, 0, "rcv ACK of FIN", "x", 12, 0, "start"},
    {TERN_PLOT_ST_TIME_WAIT, CLOSED2, 0, "Timeout=2MSL", "delete TCB", 0, -36, "middle"},
};
#define NEDGES (sizeof edges / sizeof edges[0])

/* Edges whose ends are placed by hand (relative to the boxes' centres):
 * these two leave CLOSED by its right side, clear of LISTEN's labels. */
static const struct {
	int from, to;
	double at[4];
} pins[] = {
    {TERN_PLOT_ST_CLOSED, TERN_PLOT_ST_SYN_SENT, {71, -8, -20, -24}},
    {TERN_PLOT_ST_SYN_SENT, TERN_PLOT_ST_CLOSED, {-40, -24, 71, 10}},
};

static const char *const side_color[2] = {"#1f5fa8", "#2e7d32"};
static const char *const side_fill[2] = {"#bbdefb", "#c8e6c9"};

typedef struct taken {
	unsigned edge[NEDGES][2];
	bool visited[NODES][2];
	size_t other; /* changes outside Figure 5 */
} taken;

/* The box a state is drawn in: CLOSED after a connection ends is the
 * bottom one. */
static int node_of(int st, bool ending)
{
	return st == TERN_PLOT_ST_CLOSED && ending ? CLOSED2 : st;
}

static int edge_of(int old_st, int new_st)
{
	for (size_t i = 0; i < NEDGES; i++) {
		int to = edges[i].to == CLOSED2 ? TERN_PLOT_ST_CLOSED : edges[i].to;
		if (edges[i].from == old_st && to == new_st)
			return (int)i;
	}
	return -1;
}

static void count(const tern_plot_conn *c, taken *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < c->nstates; i++) {
		const tern_plot_stchg *s = &c->states[i];
		int e = edge_of(s->old_st, s->new_st);
		bool ending = s->old_st != TERN_PLOT_ST_LISTEN && s->old_st != TERN_PLOT_ST_SYN_SENT;
		t->visited[node_of(s->old_st, false)][s->side] = true;
		t->visited[node_of(s->new_st, ending)][s->side] = true;
		if (e >= 0)
			t->edge[e][s->side]++;
		else
			t->other++;
	}
}

/* Where the line between two boxes leaves the first one. */
static double exit_t(double dx, double dy)
{
	double tx = dx ? (BOX_W / 2 + 3) / fabs(dx) : INFINITY;
	double ty = dy ? (BOX_H / 2 + 3) / fabs(dy) : INFINITY;
	return fmin(tx, ty);
}

static void endpoints(const edge *e, double off, double p[4])
{
	double x0 = node_xy[e->from][0], y0 = node_xy[e->from][1];
	double x1 = node_xy[e->to][0], y1 = node_xy[e->to][1];
	for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
		const double *q = pins[i].at;
		if (pins[i].from != e->from || pins[i].to != e->to)
			continue;
		double dx = x1 + q[2] - x0 - q[0], dy = y1 + q[3] - y0 - q[1], len = hypot(dx, dy);
		p[0] = x0 + q[0] - dy / len * off;
		p[1] = y0 + q[1] + dx / len * off;
		p[2] = x1 + q[2] - dy / len * off;
		p[3] = y1 + q[3] + dx / len * off;
		return;
	}
	double dx = x1 - x0, dy = y1 - y0, len = hypot(dx, dy);
	double nx = -dy / len * off, ny = dx / len * off;
	double t = exit_t(dx, dy);
	p[0] = x0 + nx + dx * t;
	p[1] = y0 + ny + dy * t;
	p[2] = x1 + nx - dx * t;
	p[3] = y1 + ny - dy * t;
}

static void draw_edge(FILE *f, const edge *e, const unsigned n[2])
{
	double p[4];
	bool both = n[0] && n[1];
	if (!n[0] && !n[1]) {
		endpoints(e, e->off, p);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9e9e9e\" "
			   "stroke-width=\"1.3\" marker-end=\"url(#ahg)\"/>\n",
			p[0], p[1], p[2], p[3]);
		return;
	}
	for (int s = 0; s < 2; s++) {
		if (!n[s])
			continue;
		endpoints(e, e->off + (both ? (s ? 3 : -3) : 0), p);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			   "stroke-width=\"4\" marker-end=\"url(#ah%d)\"/>\n",
			p[0], p[1], p[2], p[3], side_color[s], s);
	}
}

static void edge_label(FILE *f, const edge *e, const unsigned n[2])
{
	double p[4];
	endpoints(e, e->off, p);
	double x = (p[0] + p[2]) / 2 + e->lx, y = (p[1] + p[3]) / 2 + e->ly;
	bool hot = n[0] || n[1];
	const char *col = hot ? "#111111" : "#757575";
	tern_svg_text(f, x, y, 11, e->anchor, col, hot ? "font-weight=\"bold\"" : NULL, e->ev);
	if (*e->act)
		tern_svg_text(f, x, y + 13, 11, e->anchor, col, NULL, e->act);
	double cy = y + (*e->act ? 27 : 14);
	char buf[24];
	if (n[0] && n[1]) {
		/* two counts side by side, each in its end's colour */
		snprintf(buf, sizeof buf, "\u00d7%u", n[0]);
		tern_svg_text(f, x - 4, cy, 12, "end", side_color[0], "font-weight=\"bold\"", buf);
		snprintf(buf, sizeof buf, "\u00d7%u", n[1]);
		tern_svg_text(f, x + 4, cy, 12, "start", side_color[1], "font-weight=\"bold\"", buf);
	} else if (hot) {
		int s = n[0] ? 0 : 1;
		snprintf(buf, sizeof buf, "\u00d7%u", n[s]);
		tern_svg_text(f, x, cy, 12, e->anchor, side_color[s], "font-weight=\"bold\"", buf);
	}
}

static void box(FILE *f, int node, const bool visited[2])
{
	double x = node_xy[node][0] - BOX_W / 2, y = node_xy[node][1] - BOX_H / 2;
	int st = node == CLOSED2 ? TERN_PLOT_ST_CLOSED : node;
	tern_svg_rect(f, x, y, BOX_W, BOX_H, "#ffffff", NULL, 1);
	for (int s = 0; s < 2; s++)
		if (visited[s])
			tern_svg_rect(f, x + s * BOX_W / 2, y, BOX_W / 2, BOX_H, side_fill[s], NULL, 1);
	bool any = visited[0] || visited[1];
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"6\" fill=\"none\" "
		   "stroke=\"%s\" stroke-width=\"%s\"/>\n",
		x, y, BOX_W, BOX_H, any ? "#222222" : "#9e9e9e", any ? "2" : "1.2");
	tern_svg_text(f, node_xy[node][0], node_xy[node][1] + 5, 13, "middle",
		      any ? "#111111" : "#616161", "font-weight=\"bold\"", tern_plot_state_names[st]);
}

/* Changes outside Figure 5, one line each with its count. Returns the y
 * below the last line. */
static double others(FILE *f, const tern_plot_conn *c, double y, bool draw)
{
	char buf[160], name[96];
	bool head = false;
	for (size_t i = 0; i < c->nstates; i++) {
		const tern_plot_stchg *s = &c->states[i];
		if (edge_of(s->old_st, s->new_st) >= 0)
			continue;
		if (!head && draw)
			tern_svg_text(f, 40, y, 12, "start", "#111111", "font-weight=\"bold\"",
				      "Transitions outside Figure 5:");
		y += head ? 0 : 18;
		head = true;
		tern_plot_side_name(c, s->side, name, sizeof name);
		snprintf(buf, sizeof buf, "%s \u2192 %s (%s) at %.1f ms by %s",
			 tern_plot_state_names[s->old_st], tern_plot_state_names[s->new_st],
			 s->cause && *s->cause ? s->cause : "?", (double)s->t / 1000, name);
		if (draw)
			tern_svg_text(f, 52, y, 11, "start", side_color[s->side], NULL, buf);
		y += 16;
	}
	return y;
}

static void states_legend(FILE *f, const tern_plot_conn *c, double y)
{
	char n0[160], n1[160], name[96];
	tern_plot_side_name(c, 0, name, sizeof name);
	snprintf(n0, sizeof n0, "taken by %s (left half filled: visited)", name);
	tern_plot_side_name(c, 1, name, sizeof name);
	snprintf(n1, sizeof n1, "taken by %s (right half filled: visited)", name);
	tern_legend_item it[3] = {
	    {n0, side_color[0], TERN_LEG_LINE},
	    {n1, side_color[1], TERN_LEG_LINE},
	    {"not taken (\u00d7N: times taken)", "#9e9e9e", TERN_LEG_LINE},
	};
	tern_svg_legend(f, 20, y, it, 3);
}

int tern_plot_states_svg(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out)
{
	taken t;
	count(c, &t);
	double h = others(out, c, 1040, false) + 20;
	char a[40], b[40], title[160], sub[200];
	tern_plot_ep_str(c->ep[0], a, sizeof a);
	tern_plot_ep_str(c->ep[1], b, sizeof b);
	snprintf(title, sizeof title, "RFC 9293 state diagram: %s \u21c4 %s", a, b);
	snprintf(sub, sizeof sub, "Figure 5 of RFC 9293 \u00b7 %zu state changes %s", c->nstates,
		 c->states_inferred ? "inferred from the segments' flags (pcap)" : "from the trace");
	tern_svg_begin(out, W, h, o->title ? o->title : "TCP state diagram");
	tern_svg_marker(out, "ahg", "#9e9e9e");
	tern_svg_marker(out, "ah0", side_color[0]);
	tern_svg_marker(out, "ah1", side_color[1]);
	tern_svg_title(out, W, o->title ? o->title : title, sub);
	for (size_t i = 0; i < NEDGES; i++)
		draw_edge(out, &edges[i], t.edge[i]);
	for (int n = 0; n < NODES; n++)
		box(out, n, t.visited[n]);
	for (size_t i = 0; i < NEDGES; i++)
		edge_label(out, &edges[i], t.edge[i]);
	states_legend(out, c, 930);
	others(out, c, 1040, true);
	tern_svg_end(out);
	return 0;
}
