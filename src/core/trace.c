/* trace.c - an event as one JSON line (docs/TRACE.md). Pure formatting: the
 * caller decides where the line goes. Every string written comes from the
 * stack's own constant tables, so none needs escaping. */
#include <stdarg.h>
#include <stdio.h>

#include "core/stack.h"

typedef struct out {
	char *buf;
	size_t cap, len;  /* len counts what was wanted, even past cap */
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static const char *const kind_names[] = {
	"seg_out", "seg_in", "state", "rtt", "cwnd", "rtx", "timer", "drop",
};

const char *tern_trace_rtx_name(int why)
{
	static const char *const names[] = {"", "fast", "rack", "rto", "tlp", "syn", "pmtu"};
	return why >= 0 && why < (int)(sizeof names / sizeof names[0]) ? names[why] : "";
}

static void put_endpoint(out *o, const char *name, uint32_t a, uint16_t port)
{
	put(o, ",\"%s\":\"%u.%u.%u.%u:%u\"", name, a >> 24, (a >> 16) & 255, (a >> 8) & 255,
	    a & 255, port);
}

/* Flags in the order docs/TRACE.md gives: F S R P A U E C. */
static void put_flags(out *o, uint8_t f)
{
	static const char letters[] = "FSRPAUEC";
	char s[9];
	size_t n = 0;
	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			s[n++] = letters[i];
	s[n] = 0;
	put(o, ",\"flags\":\"%s\"", s);
}

static void put_opts(out *o, const tern_trace_seg *g)
{
	const char *sep = "";
	put(o, ",\"opts\":{");
	if (g->has_mss) {
		put(o, "\"mss\":%u", g->mss);
		sep = ",";
	}
	if (g->has_ws) {
		put(o, "%s\"ws\":%u", sep, g->ws);
		sep = ",";
	}
	if (g->sack_ok) {
		put(o, "%s\"sackok\":true", sep);
		sep = ",";
	}
	if (g->has_ts) {
		put(o, "%s\"ts\":[%u,%u]", sep, g->tsval, g->tsecr);
		sep = ",";
	}
	if (g->nsack) {
		put(o, "%s\"sack\":[", sep);
		for (unsigned i = 0; i < g->nsack && i < 4; i++)
			put(o, "%s[%u,%u]", i ? "," : "", g->sack[i][0], g->sack[i][1]);
		put(o, "]");
	}
	put(o, "}");
}

static void put_seg(out *o, const tern_trace_seg *g, bool outgoing)
{
	put(o, ",\"seq\":%u,\"ack\":%u,\"len\":%u", g->seq, g->ack, g->len);
	put_flags(o, g->flags);
	put(o, ",\"win\":%u", g->win);
	put_opts(o, g);
	if (outgoing && g->rtx)
		put(o, ",\"rtx\":\"%s\"", tern_trace_rtx_name(g->rtx));
}

static void put_body(out *o, const tern_trace_event *ev)
{
	switch (ev->kind) {
	case TERN_TRACE_SEG_OUT:
	case TERN_TRACE_SEG_IN:
		put_seg(o, &ev->u.seg, ev->kind == TERN_TRACE_SEG_OUT);
		break;
	case TERN_TRACE_STATE:
		put(o, ",\"old\":\"%s\",\"new\":\"%s\",\"cause\":\"%s\"",
		    tern_tcp_state_name(ev->u.state.old), tern_tcp_state_name(ev->u.state.now),
		    ev->u.state.cause ? ev->u.state.cause : "");
		break;
	case TERN_TRACE_RTT:
		put(o, ",\"sample\":%llu,\"srtt\":%llu,\"rttvar\":%llu,\"rto\":%llu",
		    (unsigned long long)ev->u.rtt.sample, (unsigned long long)ev->u.rtt.srtt,
		    (unsigned long long)ev->u.rtt.rttvar, (unsigned long long)ev->u.rtt.rto);
		break;
	case TERN_TRACE_CWND:
		put(o, ",\"cwnd\":%u,\"ssthresh\":%u,\"reason\":\"%s\"", ev->u.cwnd.cwnd,
		    ev->u.cwnd.ssthresh, ev->u.cwnd.reason ? ev->u.cwnd.reason : "");
		break;
	case TERN_TRACE_RTX:
		put(o, ",\"kind\":\"%s\",\"seq\":%u,\"len\":%u", tern_trace_rtx_name(ev->u.rtx.why),
		    ev->u.rtx.seq, ev->u.rtx.len);
		break;
	case TERN_TRACE_TIMER:
		put(o, ",\"timer\":\"%s\",\"action\":\"%s\"", ev->u.timer.timer, ev->u.timer.action);
		if (ev->u.timer.at)
			put(o, ",\"at\":%llu", (unsigned long long)ev->u.timer.at);
		break;
	case TERN_TRACE_DROP:
		put(o, ",\"counter\":\"%s\"", ev->u.drop.counter);
		break;
	}
}

size_t tern_trace_format(const tern_trace_event *ev, const char *host, char *buf, size_t cap)
{
	out o = {buf, cap, 0};
	if (cap)
		buf[0] = 0;
	unsigned k = (unsigned)ev->kind;
	put(&o, "{\"t\":%llu,\"host\":\"%s\",\"ev\":\"%s\"", (unsigned long long)ev->t,
	    host ? host : "", k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?");
	put_endpoint(&o, "local", ev->laddr, ev->lport);
	put_endpoint(&o, "remote", ev->raddr, ev->rport);
	put_body(&o, ev);
	put(&o, "}\n");
	return o.len;
}
