/* plot_conn.c - one connection out of the event list: its two sides, its
 * segments as arrows (a trace of both hosts gives each segment its send and
 * arrival time; a pcap or a one-host trace, one capture time) and its state
 * changes. */
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"

static bool is_seg(const tern_plot_ev *e)
{
	return e->kind == TERN_PLOT_SEG_OUT || e->kind == TERN_PLOT_SEG_IN ||
	       e->kind == TERN_PLOT_WIRE;
}

/* The sending end of a segment event. */
static tern_plot_ep seg_src(const tern_plot_ev *e)
{
	return e->kind == TERN_PLOT_SEG_IN ? e->remote : e->local;
}

static bool in_conn(const tern_plot_conn *c, const tern_plot_ev *e)
{
	return (tern_plot_ep_eq(e->local, c->ep[0]) && tern_plot_ep_eq(e->remote, c->ep[1])) ||
	       (tern_plot_ep_eq(e->local, c->ep[1]) && tern_plot_ep_eq(e->remote, c->ep[0]));
}

int tern_plot_ev_side(const tern_plot_conn *c, const tern_plot_ev *e)
{
	if (!in_conn(c, e))
		return -1;
	return tern_plot_ep_eq(e->local, c->ep[0]) ? 0 : 1;
}

int64_t tern_plot_rel_t(const tern_plot_conn *c, const tern_plot_ev *e)
{
	return e->t - c->t0;
}

static int parse_conn(const char *s, tern_plot_ep ep[2])
{
	char a[64], b[64];
	const char *dash = strchr(s, '-');
	if (!dash || (size_t)(dash - s) >= sizeof a || strlen(dash + 1) >= sizeof b)
		return -1;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	strcpy(b, dash + 1);
	return tern_plot_ep_parse(a, &ep[0]) || tern_plot_ep_parse(b, &ep[1]) ? -1 : 0;
}

/* Chooses the two ends; side 0 is the one that sent the first SYN without
 * ACK, else the first sender seen. */
static int choose(const tern_plot_trace *t, const tern_plot_opts *o, tern_plot_conn *c)
{
	bool found = false;
	if (o->conn && parse_conn(o->conn, c->ep) < 0)
		return tern_plot_err(2, "--conn wants A.B.C.D:PORT-A.B.C.D:PORT, not '%s'", o->conn);
	for (size_t i = 0; i < t->n && !found; i++) {
		const tern_plot_ev *e = &t->ev[i];
		if (!is_seg(e) || (o->conn && !in_conn(c, e)))
			continue;
		c->ep[0] = seg_src(e);
		c->ep[1] = tern_plot_ep_eq(e->local, c->ep[0]) ? e->remote : e->local;
		found = true;
	}
	if (!found)
		return o->conn ? tern_plot_err(2, "no segments of connection %s", o->conn)
			       : tern_plot_err(1, "no TCP segments in the input");
	for (size_t i = 0; i < t->n; i++) {
		const tern_plot_ev *e = &t->ev[i];
		if (is_seg(e) && in_conn(c, e) && (e->u.seg.flags & TERN_PF_SYN) &&
		    !(e->u.seg.flags & TERN_PF_ACK)) {
			if (!tern_plot_ep_eq(seg_src(e), c->ep[0])) {
				tern_plot_ep x = c->ep[0];
				c->ep[0] = c->ep[1];
				c->ep[1] = x;
			}
			c->opened = true;
			break;
		}
	}
	return 0;
}

/* Hosts, time span, ISNs, window shifts and MSS of each side. */
static void survey(const tern_plot_trace *t, tern_plot_conn *c)
{
	bool any = false, syn_seen[2] = {false, false};
	c->host[0] = c->host[1] = -1;
	c->ws[0] = c->ws[1] = -1;
	for (size_t i = 0; i < t->n; i++) {
		const tern_plot_ev *e = &t->ev[i];
		int side = tern_plot_ev_side(c, e);
		if (side < 0)
			continue;
		if (!any || e->t < c->t0)
			c->t0 = e->t;
		if (!any || e->t > c->t_end)
			c->t_end = e->t;
		any = true;
		if (e->kind != TERN_PLOT_WIRE && c->host[side] < 0)
			c->host[side] = e->host;
		if (!is_seg(e))
			continue;
		int dir = tern_plot_ep_eq(seg_src(e), c->ep[0]) ? 0 : 1;
		const tern_plot_seg *s = &e->u.seg;
		if ((s->flags & TERN_PF_SYN) && !syn_seen[dir]) {
			syn_seen[dir] = true;
			c->isn[dir] = s->seq;
			c->have_isn[dir] = true;
			c->ws[dir] = s->ws;
			c->mss[dir] = s->mss;
		} else if (!c->have_isn[dir]) {
			c->isn[dir] = s->seq - 1; /* no SYN seen: the first byte is 1 */
			c->have_isn[dir] = true;
		}
	}
	c->t_end -= c->t0;
	c->two_hosts = c->host[0] >= 0 && c->host[1] >= 0 && c->host[0] != c->host[1];
}

/* A pcap is taken at one host: the one that answers the other's segments
 * at once. In a handshake SYN, SYN-ACK, ACK the client answers the SYN-ACK
 * at once if the capture is at the client. */
static int guess_capture_side(const tern_plot_trace *t, const tern_plot_conn *c)
{
	int64_t ts[3] = {-1, -1, -1};
	for (size_t i = 0; i < t->n; i++) {
		const tern_plot_ev *e = &t->ev[i];
		if (e->kind != TERN_PLOT_WIRE || !in_conn(c, e))
			continue;
		uint8_t f = e->u.seg.flags & (TERN_PF_SYN | TERN_PF_ACK);
		int k = f == TERN_PF_SYN ? 0 : f == (TERN_PF_SYN | TERN_PF_ACK) ? 1
						: f == TERN_PF_ACK && ts[1] >= 0 ? 2 : -1;
		if (k >= 0 && ts[k] < 0)
			ts[k] = e->t;
	}
	if (ts[0] < 0 || ts[1] < 0 || ts[2] < 0)
		return 0;
	return ts[2] - ts[1] <= ts[1] - ts[0] ? 0 : 1;
}

static int push_arrow(tern_plot_conn *c, size_t *cap, const tern_plot_arrow *a)
{
	if (c->narrows == *cap) {
		size_t n = *cap ? *cap * 2 : 256;
		tern_plot_arrow *v = realloc(c->arrows, n * sizeof *v);
		if (!v)
			return -1;
		c->arrows = v;
		*cap = n;
	}
	c->arrows[c->narrows++] = *a;
	return 0;
}

/* ---- matching arrivals to departures (both hosts traced) ---------------- */

typedef struct mkey {
	uint32_t k[7]; /* dir, seq, ack, flags, len, TSval, first SACK block's end */
	int64_t t;
	size_t idx;
} mkey;

static void key_of(const tern_plot_seg *s, int dir, int64_t t, size_t idx, mkey *m)
{
	*m = (mkey){{(uint32_t)dir, s->seq, s->ack, s->flags, s->len, s->has_ts ? s->tsval : 0,
		     s->nsack ? s->sack[0][1] : 0},
		    t, idx};
}

static int key_cmp(const mkey *a, const mkey *b)
{
	for (int i = 0; i < 7; i++)
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	return 0;
}

static int mkey_order(const void *x, const void *y)
{
	const mkey *a = x, *b = y;
	int r = key_cmp(a, b);
	if (r || a->t != b->t)
		return r ? r : a->t < b->t ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The departure an arrival belongs to: of those not yet arrived that left
 * before it, the one that left last (a retransmission, not the lost
 * original, is what arrives), the first of those sent at that same time
 * (segments arrive in order). With none, the latest that did arrive (a
 * duplicate), else -1. */
static long find_departure(const tern_plot_conn *c, const mkey *keys, size_t n, const mkey *in)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&keys[mid], in) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	long best = -1, dup = -1;
	int64_t best_t = -1;
	for (size_t i = lo; i < n && !key_cmp(&keys[i], in) && keys[i].t <= in->t; i++) {
		if (c->arrows[keys[i].idx].t_recv >= 0)
			dup = (long)keys[i].idx;
		else if (keys[i].t > best_t)
			best = (long)keys[i].idx, best_t = keys[i].t;
	}
	return best >= 0 ? best : dup;
}

static int arrive(tern_plot_conn *c, size_t *cap, const mkey *keys, size_t nout,
		  const tern_plot_ev *e, size_t order, int64_t *max_owd)
{
	int dir = tern_plot_ep_eq(e->remote, c->ep[0]) ? 0 : 1;
	int64_t rt = tern_plot_rel_t(c, e);
	mkey in;
	key_of(&e->u.seg, dir, rt, 0, &in);
	long k = find_departure(c, keys, nout, &in);
	tern_plot_arrow a = {.dir = dir, .t_send = -1, .t_recv = rt, .order = order,
			     .order_in = order, .seg = e->u.seg};
	if (k >= 0 && c->arrows[k].t_recv < 0) {
		c->arrows[k].t_recv = rt;
		c->arrows[k].order_in = order;
		if (rt - c->arrows[k].t_send > *max_owd)
			*max_owd = rt - c->arrows[k].t_send;
		return 0;
	}
	if (k >= 0)
		a = c->arrows[k], a.t_recv = rt, a.order_in = order;
	return push_arrow(c, cap, &a);
}

/* A departure with no arrival is lost if its receiver was still traced
 * well after it should have come. */
static void mark_lost(const tern_plot_trace *t, tern_plot_conn *c, size_t nout, int64_t max_owd)
{
	int64_t last[2] = {-1, -1};
	for (size_t i = 0; i < t->n; i++) {
		int side = tern_plot_ev_side(c, &t->ev[i]);
		if (side >= 0 && tern_plot_rel_t(c, &t->ev[i]) > last[side])
			last[side] = tern_plot_rel_t(c, &t->ev[i]);
	}
	for (size_t i = 0; i < nout; i++) {
		tern_plot_arrow *a = &c->arrows[i];
		a->lost = a->t_recv < 0 && last[1 - a->dir] > a->t_send + max_owd;
	}
}

static int match_arrivals(const tern_plot_trace *t, tern_plot_conn *c, size_t *cap)
{
	size_t nout = c->narrows;
	mkey *keys = malloc((nout ? nout : 1) * sizeof *keys);
	if (!keys)
		return -1;
	for (size_t i = 0; i < nout; i++)
		key_of(&c->arrows[i].seg, c->arrows[i].dir, c->arrows[i].t_send, i, &keys[i]);
	qsort(keys, nout, sizeof *keys, mkey_order);
	int64_t max_owd = 0;
	int rc = 0;
	for (size_t i = 0; i < t->n && rc == 0; i++)
		if (t->ev[i].kind == TERN_PLOT_SEG_IN && in_conn(c, &t->ev[i]))
			rc = arrive(c, cap, keys, nout, &t->ev[i], i, &max_owd);
	free(keys);
	mark_lost(t, c, nout, max_owd);
	return rc;
}

/* Every segment event becomes an arrow, except arrivals at a traced
 * receiver whose departure is traced too: those complete their arrow. */
static int make_arrows(const tern_plot_trace *t, tern_plot_conn *c)
{
	size_t cap = 0;
	for (size_t i = 0; i < t->n; i++) {
		const tern_plot_ev *e = &t->ev[i];
		if (!is_seg(e) || !in_conn(c, e))
			continue;
		int dir = tern_plot_ep_eq(seg_src(e), c->ep[0]) ? 0 : 1;
		int64_t rt = tern_plot_rel_t(c, e);
		tern_plot_arrow a = {.dir = dir, .t_send = -1, .t_recv = -1, .order = i, .order_in = i,
				     .seg = e->u.seg};
		if (e->kind == TERN_PLOT_SEG_IN && c->two_hosts)
			continue;
		if (e->kind == TERN_PLOT_SEG_OUT ||
		    (e->kind == TERN_PLOT_WIRE && c->capture_side == dir))
			a.t_send = rt;
		else
			a.t_recv = rt;
		if (push_arrow(c, &cap, &a) < 0)
			return -1;
	}
	return c->two_hosts ? match_arrivals(t, c, &cap) : 0;
}

static int64_t when(const tern_plot_arrow *a)
{
	return a->t_send >= 0 ? a->t_send : a->t_recv;
}

static int by_when(const void *x, const void *y)
{
	const tern_plot_arrow *a = x, *b = y;
	int64_t ta = when(a), tb = when(b);
	return ta < tb ? -1 : ta > tb;
}

/* Insertion order breaks ties: qsort is not stable, so sort indexes. */
static int sort_arrows(tern_plot_conn *c)
{
	size_t n = c->narrows;
	tern_plot_arrow *tmp = malloc((n ? n : 1) * sizeof *tmp);
	if (!tmp)
		return -1;
	/* merge sort keeps equal times in the order they were recorded */
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid || j < hi)
				tmp[k++] = j >= hi || (i < mid && by_when(&c->arrows[i], &c->arrows[j]) <= 0)
						   ? c->arrows[i++]
						   : c->arrows[j++];
		}
		memcpy(c->arrows, tmp, n * sizeof *tmp);
	}
	free(tmp);
	return 0;
}

/* A capture does not say which segments are retransmissions: those with
 * data below the highest sequence number already sent are. */
static void mark_pcap_rtx(tern_plot_conn *c)
{
	uint32_t high[2] = {0, 0};
	bool seen[2] = {false, false};
	for (size_t i = 0; i < c->narrows; i++) {
		tern_plot_arrow *a = &c->arrows[i];
		uint32_t end = a->seg.seq + a->seg.len;
		if (!a->seg.len)
			continue;
		if (seen[a->dir] && (int32_t)(a->seg.seq - high[a->dir]) < 0)
			a->seg.rtx = TERN_PLOT_RTX_SEEN;
		if (!seen[a->dir] || (int32_t)(end - high[a->dir]) > 0)
			high[a->dir] = end;
		seen[a->dir] = true;
	}
}

static int collect_states(const tern_plot_trace *t, tern_plot_conn *c)
{
	size_t cap = 0;
	for (size_t i = 0; i < t->n; i++) {
		const tern_plot_ev *e = &t->ev[i];
		int side = tern_plot_ev_side(c, e);
		if (e->kind != TERN_PLOT_STATE || side < 0)
			continue;
		if (c->nstates == cap) {
			cap = cap ? cap * 2 : 32;
			tern_plot_stchg *v = realloc(c->states, cap * sizeof *v);
			if (!v)
				return -1;
			c->states = v;
		}
		c->states[c->nstates++] = (tern_plot_stchg){
		    .side = side,
		    .t = tern_plot_rel_t(c, e),
		    .old_st = e->u.st.old_st,
		    .new_st = e->u.st.new_st,
		    .order = i,
		    .cause = e->u.st.cause,
		};
	}
	return 0;
}

int tern_plot_conn_build(const tern_plot_trace *t, const tern_plot_opts *o, tern_plot_conn *c)
{
	memset(c, 0, sizeof *c);
	c->tr = t;
	int rc = choose(t, o, c);
	if (rc)
		return rc;
	survey(t, c);
	c->capture_side = c->two_hosts ? -1
			  : t->from_pcap ? guess_capture_side(t, c)
			  : c->host[0] >= 0 ? 0
					    : 1;
	rc = make_arrows(t, c);
	if (rc == 0)
		rc = sort_arrows(c);
	if (rc == 0 && t->from_pcap)
		mark_pcap_rtx(c);
	if (rc == 0)
		rc = collect_states(t, c);
	if (rc == 0 && c->nstates == 0 && t->from_pcap)
		rc = tern_plot_infer_states(c);
	if (rc < 0) {
		tern_plot_conn_free(c);
		return tern_plot_err(1, "out of memory");
	}
	return 0;
}

void tern_plot_conn_free(tern_plot_conn *c)
{
	free(c->arrows);
	free(c->states);
	c->arrows = NULL;
	c->states = NULL;
	c->narrows = c->nstates = 0;
}

int tern_plot_data_side(const tern_plot_conn *c)
{
	uint64_t bytes[2] = {0, 0};
	for (size_t i = 0; i < c->narrows; i++)
		bytes[c->arrows[i].dir] += c->arrows[i].seg.len;
	return bytes[1] > bytes[0] ? 1 : 0;
}

void tern_plot_window(const tern_plot_conn *c, const tern_plot_opts *o, size_t *head,
		      size_t *tail)
{
	size_t n = c->narrows, first = o->first, last = o->last;
	if (!first && !last && n > 80)
		first = last = 30;
	else if (!first && !last)
		first = n;
	*head = first < n ? first : n;
	*tail = last < n - *head ? n - last : *head;
}
