/* plot_label.c - how a segment is written in a ladder: the textbook label
 * ("SYN seq=0", "SYN-ACK seq=0 ack=1", "seq=1:1449 ack=1", "ACK ack=1449")
 * and its small print (window, options, retransmission). Sequence numbers
 * are relative to each direction's ISN by default, as Wireshark shows them. */
#include <stdarg.h>
#include <string.h>

#include "plot_int.h"

uint32_t tern_plot_rel_seq(const tern_plot_conn *c, int dir, uint32_t seq, bool absolute)
{
	return absolute || !c->have_isn[dir] ? seq : seq - c->isn[dir];
}

void tern_plot_side_name(const tern_plot_conn *c, int side, char *buf, size_t n)
{
	char ep[32];
	tern_plot_ep_str(c->ep[side], ep, sizeof ep);
	if (c->host[side] >= 0 && c->tr->hosts[c->host[side]][0])
		snprintf(buf, n, "%s (%s)", ep, c->tr->hosts[c->host[side]]);
	else
		snprintf(buf, n, "%s", ep);
}

void tern_plot_label(const tern_plot_conn *c, const tern_plot_arrow *a, bool absolute, char *buf,
		     size_t n)
{
	const tern_plot_seg *s = &a->seg;
	uint32_t seq = tern_plot_rel_seq(c, a->dir, s->seq, absolute);
	uint32_t ack = tern_plot_rel_seq(c, 1 - a->dir, s->ack, absolute);
	bool has_ack = s->flags & TERN_PF_ACK;
	const char *name = (s->flags & TERN_PF_SYN) && has_ack ? "SYN-ACK "
			   : s->flags & TERN_PF_SYN	    ? "SYN "
			   : s->flags & TERN_PF_RST	    ? "RST "
			   : s->flags & TERN_PF_FIN	    ? "FIN "
			   : s->len == 0 && has_ack	    ? "ACK "
							    : "";
	char range[32];
	if (s->len)
		snprintf(range, sizeof range, "seq=%u:%u", seq, seq + s->len);
	else
		snprintf(range, sizeof range, "seq=%u", seq);
	if (*name == 'A')
		snprintf(buf, n, "ACK ack=%u", ack);
	else if (has_ack)
		snprintf(buf, n, "%s%s ack=%u", name, range, ack);
	else
		snprintf(buf, n, "%s%s", name, range);
}

/* A bounded string builder: output past the end is cut, never overrun. */
typedef struct sbuf {
	char *buf;
	size_t n, at;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
	if (b->at + 1 >= b->n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(b->buf + b->at, b->n - b->at, fmt, ap);
	va_end(ap);
	if (w > 0)
		b->at = b->at + (size_t)w < b->n ? b->at + (size_t)w : b->n - 1;
}

/* "<mss 1460,ws 7,sackok,ts,sack 1449:2897>" or nothing */
static void options(const tern_plot_conn *c, const tern_plot_arrow *a, bool absolute, sbuf *b)
{
	const tern_plot_seg *s = &a->seg;
	const char *sep = "<";
	if (s->mss)
		put(b, "%smss %u", sep, s->mss), sep = ",";
	if (s->ws >= 0)
		put(b, "%sws %d", sep, s->ws), sep = ",";
	if (s->sackok)
		put(b, "%ssackok", sep), sep = ",";
	if (s->has_ts)
		put(b, "%sts", sep), sep = ",";
	for (unsigned i = 0; i < s->nsack; i++) {
		uint32_t l = tern_plot_rel_seq(c, 1 - a->dir, s->sack[i][0], absolute);
		uint32_t r = tern_plot_rel_seq(c, 1 - a->dir, s->sack[i][1], absolute);
		put(b, "%ssack %u:%u", sep, l, r), sep = ",";
	}
	if (*sep == ',')
		put(b, ">");
}

void tern_plot_optstr(const tern_plot_conn *c, const tern_plot_arrow *a, bool absolute, char *buf,
		      size_t n)
{
	sbuf b = {buf, n, 0};
	buf[0] = '\0';
	options(c, a, absolute, &b);
}

/* The window as the receiver of this segment uses it: scaled once both
 * SYNs carried the option (never in a SYN itself). */
static unsigned scaled_win(const tern_plot_conn *c, const tern_plot_arrow *a)
{
	if ((a->seg.flags & TERN_PF_SYN) || c->ws[0] < 0 || c->ws[1] < 0)
		return a->seg.win;
	uint64_t w = (uint64_t)a->seg.win << c->ws[a->dir];
	return w > 0xffffffffu ? 0xffffffffu : (unsigned)w;
}

void tern_plot_small(const tern_plot_conn *c, const tern_plot_arrow *a, bool absolute, char *buf,
		     size_t n)
{
	const tern_plot_seg *s = &a->seg;
	sbuf b = {buf, n, 0};
	buf[0] = '\0';
	put(&b, "win=%u", scaled_win(c, a));
	if (s->mss || s->ws >= 0 || s->sackok || s->has_ts || s->nsack)
		put(&b, " ");
	options(c, a, absolute, &b);
	if (s->flags & TERN_PF_URG)
		put(&b, " URG");
	if (s->flags & TERN_PF_ECE)
		put(&b, " ECE");
	if (s->flags & TERN_PF_CWR)
		put(&b, " CWR");
	if (s->rtx == TERN_PLOT_RTX_SEEN)
		put(&b, " retransmission");
	else if (s->rtx)
		put(&b, " retransmission (%s)", tern_plot_rtx_names[s->rtx]);
}

int tern_plot_ms_decimals(const tern_plot_conn *c)
{
	return c->t_end < 10000 ? 3 : c->t_end < 100000 ? 2 : 1;
}

void tern_plot_duration(int64_t us, char *buf, size_t n)
{
	if (us < 1000)
		snprintf(buf, n, "%lld \u00b5s", (long long)us);
	else if (us < 1000000)
		snprintf(buf, n, "%.1f ms", (double)us / 1e3);
	else
		snprintf(buf, n, "%.1f s", (double)us / 1e6);
}
