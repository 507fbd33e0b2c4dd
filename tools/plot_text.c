/* plot_text.c - the ladder as plain text, for a terminal or a README: one
 * line per segment at its send time (or its capture time), state changes
 * beside the ends' bars, a lost segment ending in X. ASCII only, so any
 * terminal and any font shows it. */
#include <string.h>

#include "plot_int.h"

#define MIN_W 36
#define MAX_W 90

typedef struct tl {
	const tern_plot_conn *c;
	const tern_plot_opts *o;
	FILE *f;
	int w;        /* columns between the bars */
	long pend[2]; /* a state change waiting for its row, -1 none */
} tl;

static int64_t when(const tern_plot_arrow *a)
{
	return a->t_send >= 0 ? a->t_send : a->t_recv;
}

static void text_of(const tl *x, const tern_plot_arrow *a, char *buf, size_t n)
{
	char label[96], opts[128];
	tern_plot_label(x->c, a, x->o->absolute, label, sizeof label);
	tern_plot_optstr(x->c, a, x->o->absolute, opts, sizeof opts);
	snprintf(buf, n, "%s%s%s%s%s", label, *opts ? " " : "", opts, a->seg.rtx ? " (rtx " : "",
		 a->seg.rtx ? tern_plot_rtx_names[a->seg.rtx] : "");
	if (a->seg.rtx && strlen(buf) + 1 < n)
		strcat(buf, ")");
}

static const char *state_name(const tl *x, long i)
{
	return i >= 0 ? tern_plot_state_names[x->c->states[i].new_st] : "";
}

static void row(tl *x, int64_t t, const char *mid)
{
	char tb[24] = "";
	if (t >= 0)
		snprintf(tb, sizeof tb, "%.*f", tern_plot_ms_decimals(x->c), (double)t / 1000);
	const char *right = state_name(x, x->pend[1]);
	fprintf(x->f, "%9s %13s |%-*s|%s%s\n", tb, state_name(x, x->pend[0]), x->w, mid,
		*right ? " " : "", right);
	x->pend[0] = x->pend[1] = -1;
}

static void flush(tl *x)
{
	if (x->pend[0] >= 0 || x->pend[1] >= 0) {
		long i = x->pend[0] >= 0 ? x->pend[0] : x->pend[1];
		row(x, x->c->states[i].t, "");
	}
}

/* "|--- label --->|", "|<-- label ----|" or "|--- label --X   |" */
static void arrow_row(tl *x, const tern_plot_arrow *a)
{
	char text[256], mid[MAX_W + 1];
	text_of(x, a, text, sizeof text);
	int w = x->w, len = (int)strlen(text);
	if (len > w - 8)
		len = w - 8, text[len] = '\0';
	int reach = a->lost ? w / 2 + len / 2 + 4 : w; /* a lost one stops past the middle */
	int lo = 0, hi = w;
	if (a->lost && a->dir)
		lo = w - (reach < w ? reach : w);
	else if (a->lost)
		hi = reach < w ? reach : w;
	memset(mid, ' ', (size_t)w);
	memset(mid + lo, '-', (size_t)(hi - lo));
	mid[w] = '\0';
	int start = lo + (hi - lo - len) / 2;
	mid[start - 1] = ' ';
	memcpy(mid + start, text, (size_t)len);
	mid[start + len] = ' ';
	if (a->lost)
		mid[a->dir ? lo : hi - 1] = 'X';
	else if (a->dir)
		mid[0] = '<';
	else
		mid[w - 1] = '>';
	row(x, when(a), mid);
}

/* Does the state change come before the segment (at one time, in trace
 * order)? */
static bool before(const tern_plot_stchg *s, const tern_plot_arrow *a)
{
	return s->t < when(a) || (s->t == when(a) && s->order <= a->order);
}

static void state_event(tl *x, long i)
{
	const tern_plot_stchg *s = &x->c->states[i];
	long other = x->pend[1 - s->side];
	if (x->pend[s->side] >= 0 || (other >= 0 && x->c->states[other].t != s->t))
		flush(x);
	x->pend[s->side] = i;
}

static void arrow_event(tl *x, const tern_plot_arrow *a)
{
	for (int s = 0; s < 2; s++)
		if (x->pend[s] >= 0 && x->c->states[x->pend[s]].t != when(a)) {
			flush(x);
			break;
		}
	arrow_row(x, a);
}

static int width(const tl *x, size_t head, size_t tail)
{
	char text[256];
	int w = MIN_W;
	for (size_t i = 0; i < x->c->narrows; i++) {
		if (i >= head && i < tail)
			continue;
		text_of(x, &x->c->arrows[i], text, sizeof text);
		int need = (int)strlen(text) + 10;
		w = need > w ? need : w;
	}
	return w > MAX_W ? MAX_W : w;
}

static void head_lines(tl *x)
{
	char a[96], b[96], mid[MAX_W + 1];
	tern_plot_side_name(x->c, 0, a, sizeof a);
	tern_plot_side_name(x->c, 1, b, sizeof b);
	fprintf(x->f, "%9s %14s%-*s%s\n", "time (ms)", "", x->w - (int)strlen(b) + 2 + (int)strlen(a),
		a, b);
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < x->c->nstates; i++)
			if (x->c->states[i].side == s) {
				x->pend[s] = (long)i;
				break;
			}
	memset(mid, ' ', (size_t)x->w);
	mid[x->w] = '\0';
	fprintf(x->f, "%9s %13s |%s|%s%s\n", "",
		x->pend[0] >= 0 ? tern_plot_state_names[x->c->states[x->pend[0]].old_st] : "", mid,
		x->pend[1] >= 0 ? " " : "",
		x->pend[1] >= 0 ? tern_plot_state_names[x->c->states[x->pend[1]].old_st] : "");
	x->pend[0] = x->pend[1] = -1;
}

static void omitted(tl *x, size_t n)
{
	char mid[MAX_W + 1], msg[64];
	int len = snprintf(msg, sizeof msg, "... %zu segments omitted ...", n);
	memset(mid, ' ', (size_t)x->w);
	mid[x->w] = '\0';
	if (len < x->w)
		memcpy(mid + (x->w - len) / 2, msg, (size_t)len);
	row(x, -1, mid);
}

int tern_plot_ladder_text(const tern_plot_conn *c, const tern_plot_opts *o, FILE *out)
{
	tl x = {c, o, out, 0, {-1, -1}};
	size_t head, tail, s = 0;
	tern_plot_window(c, o, &head, &tail);
	x.w = width(&x, head, tail);
	head_lines(&x);
	for (size_t i = 0; i < c->narrows; i++) {
		if (i == head && tail > head) {
			flush(&x);
			omitted(&x, tail - head);
		}
		if (i >= head && i < tail)
			continue;
		for (; s < c->nstates && before(&c->states[s], &c->arrows[i]); s++)
			state_event(&x, (long)s);
		arrow_event(&x, &c->arrows[i]);
	}
	for (; s < c->nstates; s++)
		state_event(&x, (long)s);
	flush(&x);
	if (c->states_inferred)
		fprintf(out, "(states inferred from the segments' flags)\n");
	return 0;
}
