/* plot_input.c - a trace (JSON lines, docs/TRACE.md) or a pcap read into one
 * in-memory event list. Members and kinds this reader does not know are
 * ignored (the format grows); a known kind missing a member it needs, or a
 * line that is not JSON, is an error naming the line. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"
#include "plot_json.h"

/* A trace line is a few hundred bytes; a megabyte is a broken file. */
#define MAX_LINE (1u << 20)

const char *const tern_plot_state_names[TERN_PLOT_ST_N] = {
    "CLOSED",     "LISTEN",     "SYN-SENT",   "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",    "LAST-ACK",     "TIME-WAIT",
};

const char *const tern_plot_rtx_names[TERN_PLOT_RTX_N] = {
    "", "fast", "rack", "rto", "tlp", "syn", "retransmission",
};

int tern_plot_err(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tern plot: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

int tern_plot_state_parse(const char *name)
{
	for (int i = 0; i < TERN_PLOT_ST_N; i++)
		if (!strcmp(name, tern_plot_state_names[i]))
			return i;
	return -1;
}

static int rtx_parse(const char *name)
{
	for (int i = 1; i < TERN_PLOT_RTX_SEEN; i++)
		if (!strcmp(name, tern_plot_rtx_names[i]))
			return i;
	return TERN_PLOT_RTX_SEEN; /* a kind added later is still a retransmission */
}

tern_plot_ev *tern_plot_trace_add(tern_plot_trace *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		tern_plot_ev *ev = realloc(t->ev, cap * sizeof *ev);
		if (!ev)
			return NULL;
		t->ev = ev;
		t->cap = cap;
	}
	tern_plot_ev *e = &t->ev[t->n++];
	memset(e, 0, sizeof *e);
	return e;
}

void tern_plot_trace_free(tern_plot_trace *t)
{
	free(t->ev);
	memset(t, 0, sizeof *t);
}

int tern_plot_ep_parse(const char *s, tern_plot_ep *ep)
{
	unsigned a, b, c, d, p;
	char tail;
	if (sscanf(s, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &p, &tail) != 5 || a > 255 || b > 255 ||
	    c > 255 || d > 255 || p > 65535)
		return -1;
	ep->addr = a << 24 | b << 16 | c << 8 | d;
	ep->port = (uint16_t)p;
	return 0;
}

void tern_plot_ep_str(tern_plot_ep ep, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u:%u", ep.addr >> 24, ep.addr >> 16 & 255, ep.addr >> 8 & 255,
		 ep.addr & 255, ep.port);
}

bool tern_plot_ep_eq(tern_plot_ep a, tern_plot_ep b)
{
	return a.addr == b.addr && a.port == b.port;
}

/* ---- one trace line ------------------------------------------------------ */

typedef struct line_ctx {
	tern_json_doc *d;
	const tern_json_val *root;
	const char *missing; /* the first required member found absent */
} line_ctx;

static int64_t num(line_ctx *l, const char *key)
{
	const tern_json_val *v = tern_json_get(l->d, l->root, key);
	if (v && v->type == TERN_JSON_NUM)
		return v->is_int ? v->i : (int64_t)v->d;
	if (!l->missing)
		l->missing = key;
	return 0;
}

static const char *str(line_ctx *l, const char *key, bool required)
{
	const tern_json_val *v = tern_json_get(l->d, l->root, key);
	if (v && v->type == TERN_JSON_STR)
		return v->s;
	if (required && !l->missing)
		l->missing = key;
	return "";
}

static uint8_t flags_parse(const char *s)
{
	static const char order[] = "FSRPAUEC";
	uint8_t f = 0;
	for (; *s; s++) {
		const char *k = strchr(order, *s);
		if (k)
			f |= (uint8_t)(1u << (k - order));
	}
	return f;
}

static uint32_t arr_u32(const tern_json_doc *d, const tern_json_val *a, int i)
{
	const tern_json_val *v = tern_json_at(d, a, i);
	return v && v->type == TERN_JSON_NUM ? (uint32_t)v->d : 0;
}

static void opts_parse(const tern_json_doc *d, const tern_json_val *o, tern_plot_seg *s)
{
	const tern_json_val *v;
	s->ws = -1;
	if ((v = tern_json_get(d, o, "mss")) && v->type == TERN_JSON_NUM)
		s->mss = (uint16_t)v->d;
	if ((v = tern_json_get(d, o, "ws")) && v->type == TERN_JSON_NUM)
		s->ws = (int8_t)(v->d > 14 ? 14 : v->d < 0 ? 0 : v->d);
	if ((v = tern_json_get(d, o, "sackok")))
		s->sackok = v->type != TERN_JSON_BOOL || v->b;
	if ((v = tern_json_get(d, o, "ts")) && v->type == TERN_JSON_ARR) {
		s->has_ts = true;
		s->tsval = arr_u32(d, v, 0);
		s->tsecr = arr_u32(d, v, 1);
	}
	if ((v = tern_json_get(d, o, "sack")) && v->type == TERN_JSON_ARR) {
		for (int i = v->first; i >= 0 && s->nsack < TERN_PLOT_MAX_SACK; i = d->v[i].next) {
			s->sack[s->nsack][0] = arr_u32(d, &d->v[i], 0);
			s->sack[s->nsack][1] = arr_u32(d, &d->v[i], 1);
			s->nsack++;
		}
	}
}

static void seg_parse(line_ctx *l, tern_plot_seg *s, bool out)
{
	s->seq = (uint32_t)num(l, "seq");
	s->ack = (uint32_t)num(l, "ack");
	s->len = (uint32_t)num(l, "len");
	s->win = (uint32_t)num(l, "win");
	s->flags = flags_parse(str(l, "flags", true));
	opts_parse(l->d, tern_json_get(l->d, l->root, "opts"), s);
	const char *rtx = str(l, "rtx", false);
	if (out && *rtx)
		s->rtx = (uint8_t)rtx_parse(rtx);
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

static int state_parse(line_ctx *l, tern_plot_ev *e)
{
	int o = tern_plot_state_parse(str(l, "old", true));
	int n = tern_plot_state_parse(str(l, "new", true));
	if (l->missing)
		return 0;
	if (o < 0 || n < 0)
		return -1;
	e->u.st.old_st = (uint8_t)o;
	e->u.st.new_st = (uint8_t)n;
	copy_str(e->u.st.cause, sizeof e->u.st.cause, str(l, "cause", false));
	return 0;
}

/* Fills e from the kind's members; returns 1 for kinds not drawn (the
 * event is dropped), 0, or -1 with a bad value. */
static int kind_parse(line_ctx *l, const char *ev, tern_plot_ev *e)
{
	if (!strcmp(ev, "seg_out") || !strcmp(ev, "seg_in")) {
		e->kind = ev[4] == 'o' ? TERN_PLOT_SEG_OUT : TERN_PLOT_SEG_IN;
		seg_parse(l, &e->u.seg, e->kind == TERN_PLOT_SEG_OUT);
	} else if (!strcmp(ev, "state")) {
		e->kind = TERN_PLOT_STATE;
		return state_parse(l, e);
	} else if (!strcmp(ev, "rtt")) {
		e->kind = TERN_PLOT_RTT;
		e->u.rtt.sample = num(l, "sample");
		e->u.rtt.srtt = num(l, "srtt");
		e->u.rtt.rttvar = num(l, "rttvar");
		e->u.rtt.rto = num(l, "rto");
	} else if (!strcmp(ev, "cwnd")) {
		e->kind = TERN_PLOT_CWND;
		e->u.cw.cwnd = (uint64_t)num(l, "cwnd");
		e->u.cw.ssthresh = (uint64_t)num(l, "ssthresh");
		copy_str(e->u.cw.reason, sizeof e->u.cw.reason, str(l, "reason", false));
	} else if (!strcmp(ev, "rtx")) {
		e->kind = TERN_PLOT_RTX;
		e->u.rtx.kind = (uint8_t)rtx_parse(str(l, "kind", true));
		e->u.rtx.seq = (uint32_t)num(l, "seq");
		e->u.rtx.len = (uint32_t)num(l, "len");
	} else if (!strcmp(ev, "timer") && !strcmp(str(l, "timer", false), "rexmt") &&
		   !strcmp(str(l, "action", false), "fire")) {
		e->kind = TERN_PLOT_RTO_FIRE;
	} else {
		return 1;
	}
	return 0;
}

static int host_id(tern_plot_trace *t, const char *name)
{
	for (unsigned i = 0; i < t->nhosts; i++)
		if (!strcmp(t->hosts[i], name))
			return (int)i;
	if (t->nhosts == TERN_PLOT_MAX_HOSTS)
		return -1;
	copy_str(t->hosts[t->nhosts], sizeof t->hosts[0], name);
	return (int)t->nhosts++;
}

/* Returns 0 or 1 (after the message). */
static int trace_line(tern_plot_trace *t, char *line, const char *path, size_t lineno)
{
	static tern_json_doc doc; /* 40 KB: not on the stack; plot runs one at a time */
	if (tern_json_parse(line, &doc) < 0)
		return tern_plot_err(1, "%s:%zu:%zu: %s", path, lineno, doc.err_col, doc.err);
	line_ctx l = {.d = &doc, .root = &doc.v[0]};
	if (doc.v[0].type != TERN_JSON_OBJ)
		return tern_plot_err(1, "%s:%zu: not a JSON object", path, lineno);
	const char *ev = str(&l, "ev", true);
	int64_t when = num(&l, "t");
	if (l.missing)
		return tern_plot_err(1, "%s:%zu: no '%s' member", path, lineno, l.missing);
	tern_plot_ev e = {.t = when};
	int rc = kind_parse(&l, ev, &e);
	if (rc == 1)
		return 0;
	const char *loc = str(&l, "local", true), *rem = str(&l, "remote", true);
	if (l.missing)
		return tern_plot_err(1, "%s:%zu: '%s' event without '%s'", path, lineno, ev, l.missing);
	if (rc < 0 || tern_plot_ep_parse(loc, &e.local) || tern_plot_ep_parse(rem, &e.remote))
		return tern_plot_err(1, "%s:%zu: bad value in '%s' event", path, lineno, ev);
	int h = host_id(t, str(&l, "host", false));
	if (h < 0)
		return tern_plot_err(1, "%s:%zu: more than %d hosts", path, lineno,
				     TERN_PLOT_MAX_HOSTS);
	e.host = (uint8_t)h;
	tern_plot_ev *slot = tern_plot_trace_add(t);
	if (!slot)
		return tern_plot_err(1, "out of memory at %s:%zu", path, lineno);
	*slot = e;
	return 0;
}

static bool blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s == '\0';
}

static int load_trace(FILE *f, const char *path, tern_plot_trace *t)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)n > MAX_LINE)
			rc = tern_plot_err(1, "%s:%zu: line longer than %u bytes", path, lineno,
					   MAX_LINE);
		else if (strlen(line) != (size_t)n)
			rc = tern_plot_err(1, "%s:%zu: NUL byte in a text line", path, lineno);
		else if (!blank(line))
			rc = trace_line(t, line, path, lineno);
	}
	if (rc == 0 && ferror(f))
		rc = tern_plot_err(1, "%s: read error after line %zu", path, lineno);
	free(line);
	return rc;
}

int tern_plot_load(const char *path, tern_plot_trace *t)
{
	memset(t, 0, sizeof *t);
	FILE *f = fopen(path, "rb");
	if (!f)
		return tern_plot_err(1, "cannot open %s: %s", path, strerror(errno));
	unsigned char m[4] = {0};
	size_t got = fread(m, 1, 4, f);
	rewind(f);
	uint32_t le = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
		      (uint32_t)m[3] << 24;
	int rc;
	if (got == 4 && le == 0x0a0d0d0a)
		rc = tern_plot_err(1, "%s is pcapng; convert it first: editcap -F pcap %s out.pcap",
				   path, path);
	else if (got == 4 && (le == 0xa1b2c3d4 || le == 0xd4c3b2a1 || le == 0xa1b23c4d ||
			      le == 0x4d3cb2a1))
		rc = tern_plot_load_pcap(f, path, t);
	else
		rc = load_trace(f, path, t);
	fclose(f);
	if (rc)
		tern_plot_trace_free(t);
	return rc;
}
