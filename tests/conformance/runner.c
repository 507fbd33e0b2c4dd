/* runner.c - scripted TCP conformance tests (FEATURES.md C7).
 *
 * Runs every *.pkt script in a directory (or one file) against a fresh
 * stack on a capture device, on a virtual clock: the script injects the
 * peer's segments, makes socket calls, and states which segments tern must
 * have sent and when. The format is described in README.md beside this
 * file. Each script prints "ok NAME" or "FAIL NAME: line N: reason"; the
 * last line is "N passed, N failed". Every loop is bounded. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/dev.h"
#include "tern/tern.h"
#include "wire/wire.h"

#define US_ADDR     TERN_IP4(192, 0, 2, 2)
#define PEER_ADDR   TERN_IP4(192, 0, 2, 1)
#define BASE_TIME   TERN_SEC(1) /* script time 0: some TCB times use 0 for "unset" */
#define MAX_CAPTURE 4096
#define MAX_TOKENS  32
#define MAX_LINE    512
#define MAX_LINES   10000
#define MAX_SCRIPTS 1024
#define MAX_POLLS   1000000
#define MAX_PAYLOAD 65535

typedef struct cap_pkt {
	uint8_t *data;
	size_t len;
	tern_time at;
} cap_pkt;

/* One script's world. The device comes first: the capture callback finds
 * the run from it. */
typedef struct run {
	tern_dev dev;
	size_t live_bytes;
	uint64_t seed;
	tern_config cfg;
	tern_stack *st;
	tern_iface *ifc;
	cap_pkt cap[MAX_CAPTURE];
	size_t ncap, next; /* captured; first not yet matched */
	bool cap_overflow;
	tern_time t; /* script time of the current line (us, from 0) */
	tern_time tol;
	uint16_t lport, pport;
	tern_socket *cur, *lsn;
	bool isn_known, peer_isn_known;
	uint32_t tern_ts;  /* the latest TSval tern sent */
	uint32_t isn, peer_isn;
	uint64_t app_sent, app_read;
	int line;
	char err[512];
} run;

/* ---- the stack's environment ------------------------------------------- */

static void *r_alloc(void *ctx, size_t n)
{
	run *r = ctx;
	void *p = malloc(n);
	if (p)
		r->live_bytes += n;
	return p;
}

static void r_free(void *ctx, void *p, size_t n)
{
	run *r = ctx;
	if (p)
		r->live_bytes -= n;
	free(p);
}

static uint64_t r_random(void *ctx)
{
	uint64_t *s = ctx;
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cap_transmit(tern_dev *d, const uint8_t *p, size_t n, tern_time now)
{
	run *r = (run *)d;
	if (r->ncap == MAX_CAPTURE) {
		r->cap_overflow = true;
		return TERN_ENOBUFS;
	}
	cap_pkt *c = &r->cap[r->ncap];
	c->data = malloc(n);
	if (!c->data)
		return TERN_ENOMEM;
	memcpy(c->data, p, n);
	c->len = n;
	c->at = now;
	r->ncap++;
	return 0;
}

static const tern_dev_ops cap_ops = {"conformance", cap_transmit, NULL, NULL};

/* The bytes each side sends are a function of their sequence number, so
 * that every byte tern delivers or transmits can be checked. */
static uint8_t peer_byte(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 13);
}
static uint8_t tern_byte(uint32_t rel)
{
	return (uint8_t)((rel * 40503u) >> 5) ^ 0x5a;
}

static bool fail(run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return false;
}

static double secs(tern_time us)
{
	return (double)us / 1e6;
}

/* ---- tokens ------------------------------------------------------------- */

typedef struct toks {
	char *v[MAX_TOKENS];
	int n, i;
} toks;

static void tokenize(char *s, toks *t)
{
	t->n = t->i = 0;
	for (char *p = strtok(s, " \t\r\n"); p && t->n < MAX_TOKENS; p = strtok(NULL, " \t\r\n"))
		t->v[t->n++] = p;
}

static const char *tk_next(toks *t)
{
	return t->i < t->n ? t->v[t->i++] : NULL;
}
static const char *tk_peek(const toks *t)
{
	return t->i < t->n ? t->v[t->i] : NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (!parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* "1.25" or "+0.040": seconds with up to six decimals, to microseconds. */
static bool parse_time(const char *s, tern_time prev, tern_time *out)
{
	bool rel = *s == '+';
	if (rel)
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	tern_time whole = 0, frac = 0;
	for (int i = 0; isdigit((unsigned char)*s) && i < 12; i++)
		whole = whole * 10 + (tern_time)(*s++ - '0');
	if (*s == '.') {
		s++;
		tern_time scale = 100000;
		for (int i = 0; isdigit((unsigned char)*s) && i < 6; i++, scale /= 10)
			frac += (tern_time)(*s++ - '0') * scale;
	}
	if (*s)
		return false;
	*out = (rel ? prev : 0) + whole * 1000000u + frac;
	return true;
}

static const struct {
	const char *name;
	int code;
} errnames[] = {
    {"EPERM", TERN_EPERM},
    {"ENOENT", TERN_ENOENT},
    {"EBADF", TERN_EBADF},
    {"EAGAIN", TERN_EAGAIN},
    {"ENOMEM", TERN_ENOMEM},
    {"EINVAL", TERN_EINVAL},
    {"EPIPE", TERN_EPIPE},
    {"EOPNOTSUPP", TERN_EOPNOTSUPP},
    {"EADDRINUSE", TERN_EADDRINUSE},
    {"EADDRNOTAVAIL", TERN_EADDRNOTAVAIL},
    {"ENETUNREACH", TERN_ENETUNREACH},
    {"ECONNABORTED", TERN_ECONNABORTED},
    {"ECONNRESET", TERN_ECONNRESET},
    {"ENOBUFS", TERN_ENOBUFS},
    {"EISCONN", TERN_EISCONN},
    {"ENOTCONN", TERN_ENOTCONN},
    {"ETIMEDOUT", TERN_ETIMEDOUT},
    {"ECONNREFUSED", TERN_ECONNREFUSED},
    {"EALREADY", TERN_EALREADY},
    {"EINPROGRESS", TERN_EINPROGRESS},
};

static const char *errname(int code)
{
	for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (errnames[i].code == code)
			return errnames[i].name;
	return NULL;
}

static bool parse_result(const char *s, int *out)
{
	if (!s)
		return false;
	for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++) {
		if (strcmp(s, errnames[i].name) == 0) {
			*out = errnames[i].code;
			return true;
		}
	}
	uint32_t v;
	if (!parse_u32(s, &v) || v > INT32_MAX)
		return false;
	*out = (int)v;
	return true;
}

static const char *result_str(int rc, char *buf, size_t cap)
{
	const char *n = rc < 0 ? errname(rc) : NULL;
	if (n)
		return n;
	snprintf(buf, cap, "%d", rc);
	return buf;
}

/* "-> RESULT" at the end of a call, checked against rc. */
static bool check_result(run *r, toks *t, const char *call, int rc)
{
	const char *arrow = tk_next(t);
	int want = 0;
	if (arrow && (strcmp(arrow, "->") != 0 || !parse_result(tk_next(t), &want)))
		return fail(r, "%s: bad '-> RESULT'", call);
	if (tk_peek(t))
		return fail(r, "%s: trailing '%s'", call, tk_peek(t));
	char a[16], b[16];
	if (rc != want)
		return fail(r, "%s returned %s, expected %s", call, result_str(rc, a, sizeof a),
		            result_str(want, b, sizeof b));
	return true;
}

/* ---- segments as the script writes them ----------------------------------- */

enum { F_SEQ = 1, F_ACK = 2, F_WIN = 4, F_LEN = 8, F_URG = 16, F_OPTS = 32 };
/* in an options group: TS val or ecr given as '*' */
enum { TS_VAL_ANY = 1, TS_ECR_ANY = 2 };

typedef struct seg_spec {
	uint8_t flags;
	unsigned given; /* F_* fields given (not '*') */
	uint32_t seq, ack, win, len, urg;
	tern_tcp_opts opts;  /* with F_OPTS: exactly these options */
	unsigned ts_any;
	uint8_t ecn;         /* the IP ECN field: 0, or "ect" (ECT(0)), "ce" */
} seg_spec;

static bool parse_flags(const char *s, uint8_t *out)
{
	static const char names[] = "SFRP.UEC";
	static const uint8_t bits[] = {TERN_TCP_SYN, TERN_TCP_FIN, TERN_TCP_RST, TERN_TCP_PSH,
	                               TERN_TCP_ACK, TERN_TCP_URG, TERN_TCP_ECE, TERN_TCP_CWR};
	*out = 0;
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		const char *p = strchr(names, *s);
		if (!p)
			return false;
		*out |= bits[p - names];
	}
	return true;
}

/* One item of an options group: "mss N", "wscale N", "sackOK", "nop",
 * "TS val V ecr E" (V, E may be '*'). */
static bool parse_opt_item(run *r, char *item, seg_spec *sp)
{
	char *save = NULL, *k = strtok_r(item, " ", &save);
	tern_tcp_opts *o = &sp->opts;
	if (!k || strcmp(k, "nop") == 0)
		return true;
	if (strcmp(k, "sackOK") == 0) {
		o->present |= TERN_TCPO_SACK_PERM;
		return true;
	}
	if (strcmp(k, "sack") == 0) {
		/* "sack L:R L:R ...": the peer's own sequence numbers in what tern
		 * sends; relative to tern's ISN in what the script injects */
		for (char *b = strtok_r(NULL, " ", &save); b; b = strtok_r(NULL, " ", &save)) {
			char *colon = strchr(b, ':');
			if (!colon || o->sack_count == TERN_TCP_MAX_SACK)
				return fail(r, "bad sack block '%s'", b);
			*colon = 0;
			uint32_t *l = &o->sack[o->sack_count].left, *rr = &o->sack[o->sack_count].right;
			if (!parse_u32(b, l) || !parse_u32(colon + 1, rr))
				return fail(r, "bad sack block");
			o->sack_count++;
		}
		o->present |= TERN_TCPO_SACK;
		return true;
	}
	if (strcmp(k, "TS") == 0) {
		char *vk = strtok_r(NULL, " ", &save), *v = strtok_r(NULL, " ", &save);
		char *ek = strtok_r(NULL, " ", &save), *e = strtok_r(NULL, " ", &save);
		if (!vk || !v || !ek || !e || strcmp(vk, "val") || strcmp(ek, "ecr"))
			return fail(r, "bad option 'TS val V ecr E'");
		o->present |= TERN_TCPO_TS;
		if (strcmp(v, "*") == 0)
			sp->ts_any |= TS_VAL_ANY;
		else if (!parse_u32(v, &o->ts_val))
			return fail(r, "bad TS val");
		if (strcmp(e, "*") == 0)
			sp->ts_any |= TS_ECR_ANY;
		else if (!parse_u32(e, &o->ts_ecr))
			return fail(r, "bad TS ecr");
		return true;
	}
	char *v = strtok_r(NULL, " ", &save);
	uint32_t n;
	if (!v || !parse_u32(v, &n))
		return fail(r, "bad option '%s'", k);
	if (strcmp(k, "mss") == 0 && n <= 65535) {
		o->present |= TERN_TCPO_MSS;
		o->mss = (uint16_t)n;
	} else if (strcmp(k, "wscale") == 0 && n <= 255) {
		o->present |= TERN_TCPO_WSCALE;
		o->wscale = (uint8_t)n;
	} else {
		return fail(r, "bad option '%s'", k);
	}
	return true;
}

/* "<mss 1460,TS val * ecr 0,wscale 7>": the group may span tokens. */
static bool parse_opts(run *r, toks *t, const char *first, seg_spec *sp)
{
	char buf[256];
	size_t n = 0;
	const char *tok = first;
	for (int guard = 0; tok && guard < MAX_TOKENS; guard++) {
		size_t l = strlen(tok);
		if (n + l + 2 >= sizeof buf)
			return fail(r, "options group too long");
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, tok, l);
		n += l;
		if (tok[l - 1] == '>')
			break;
		tok = tk_next(t);
	}
	buf[n] = 0;
	if (n < 2 || buf[0] != '<' || buf[n - 1] != '>')
		return fail(r, "bad options group");
	buf[n - 1] = 0;
	sp->given |= F_OPTS;
	char *save = NULL;
	for (char *item = strtok_r(buf + 1, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (!parse_opt_item(r, item, sp))
			return false;
	return true;
}

static bool parse_seg(run *r, toks *t, seg_spec *sp)
{
	static const struct {
		const char *key;
		unsigned bit;
	} keys[] = {
	    {"seq", F_SEQ}, {"ack", F_ACK}, {"win", F_WIN}, {"len", F_LEN}, {"urg", F_URG},
	};
	memset(sp, 0, sizeof *sp);
	if (!parse_flags(tk_next(t), &sp->flags))
		return fail(r, "bad flags");
	for (int guard = 0; guard < MAX_TOKENS && tk_peek(t); guard++) {
		const char *k = tk_next(t);
		if (k[0] == '<') {
			if (!parse_opts(r, t, k, sp))
				return false;
			continue;
		}
		if (strcmp(k, "ect") == 0 || strcmp(k, "ce") == 0) {
			sp->ecn = k[0] == 'e' ? TERN_IP4_ECT0 : TERN_IP4_CE;
			continue;
		}
		size_t i = 0;
		while (i < sizeof keys / sizeof keys[0] && strcmp(k, keys[i].key) != 0)
			i++;
		if (i == sizeof keys / sizeof keys[0])
			return fail(r, "unknown segment field '%s'", k);
		const char *v = tk_next(t);
		if (v && strcmp(v, "*") == 0)
			continue;
		uint32_t *dst[] = {&sp->seq, &sp->ack, &sp->win, &sp->len, &sp->urg};
		if (!parse_u32(v, dst[i]))
			return fail(r, "bad value for %s", k);
		sp->given |= keys[i].bit;
	}
	return true;
}

static void flags_str(uint8_t f, char *out)
{
	static const char names[] = "SFRP.UEC";
	int n = 0;
	for (int i = 0; i < 8; i++) {
		static const uint8_t bits[] = {TERN_TCP_SYN, TERN_TCP_FIN, TERN_TCP_RST,
		                               TERN_TCP_PSH, TERN_TCP_ACK, TERN_TCP_URG,
		                               TERN_TCP_ECE, TERN_TCP_CWR};
		if (f & bits[i])
			out[n++] = names[i];
	}
	out[n] = 0;
}

/* ---- time ------------------------------------------------------------------ */

static void create_stack(run *r)
{
	r->cfg.allocator.alloc = r_alloc;
	r->cfg.allocator.free = r_free;
	r->cfg.allocator.ctx = r;
	r->cfg.random = r_random;
	r->cfg.random_ctx = &r->seed;
	for (int i = 0; i < 16; i++)
		r->cfg.secret[i] = (uint8_t)(0x3c + i);
	r->dev.ops = &cap_ops;
	if (tern_stack_new(&r->cfg, &r->st) == 0) {
		tern_iface_config ic = {"cf0", US_ADDR, 24, 1500, 0, 0};
		if (tern_iface_add(r->st, &ic, &r->dev, &r->ifc) != 0)
			r->ifc = NULL;
	}
	tern_stack_poll(r->st, BASE_TIME);
}

/* Let the stack's timers fire, in order, up to script time t. */
static bool advance(run *r, tern_time t)
{
	tern_time until = BASE_TIME + t;
	for (int i = 0; i < MAX_POLLS; i++) {
		tern_time now = tern_stack_now(r->st);
		tern_time next = tern_stack_poll(r->st, now);
		if (next > until) {
			tern_stack_poll(r->st, until);
			return true;
		}
		tern_stack_poll(r->st, next > now ? next : now + 1);
	}
	return fail(r, "timers still firing after %d polls", MAX_POLLS);
}

/* ---- what tern sent -------------------------------------------------------- */

typedef struct out_seg {
	tern_ip4_repr ip;
	tern_tcp_repr h;
} out_seg;

static uint32_t rel_seq(const run *r, uint32_t seq)
{
	return r->isn_known ? seq - r->isn : seq;
}

static bool decode(run *r, const cap_pkt *c, out_seg *o)
{
	if (tern_ip4_parse(c->data, c->len, true, &o->ip) != TERN_WIRE_OK ||
	    o->ip.proto != TERN_IPPROTO_TCP)
		return fail(r, "tern sent a packet that is not IPv4/TCP");
	if (tern_tcp_parse(o->ip.payload, o->ip.payload_len, o->ip.src, o->ip.dst, true, &o->h) !=
	    TERN_WIRE_OK)
		return fail(r, "tern sent a malformed TCP segment (bad checksum?)");
	if (o->ip.src != US_ADDR || o->ip.dst != PEER_ADDR)
		return fail(r, "tern sent a segment with wrong addresses");
	return true;
}

/* " <mss 1460,TS val 5 ecr 0,wscale 7>" in the script's own syntax */
static void opts_str(const tern_tcp_opts *o, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = 0;
	if (!o->present)
		return;
	n += (size_t)snprintf(buf + n, cap - n, " <");
	if ((o->present & TERN_TCPO_MSS) && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "mss %u,", o->mss);
	if ((o->present & TERN_TCPO_SACK_PERM) && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "sackOK,");
	if ((o->present & TERN_TCPO_TS) && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "TS val %u ecr %u,", o->ts_val, o->ts_ecr);
	if ((o->present & TERN_TCPO_WSCALE) && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "wscale %u,", o->wscale);
	if ((o->present & TERN_TCPO_SACK) && n < cap) {
		n += (size_t)snprintf(buf + n, cap - n, "sack");
		for (uint8_t i = 0; i < o->sack_count && n < cap; i++)
			n += (size_t)snprintf(buf + n, cap - n, " %u:%u", o->sack[i].left,
					      o->sack[i].right);
		if (n < cap)
			n += (size_t)snprintf(buf + n, cap - n, ",");
	}
	if (n < cap && n > 2)
		buf[n - 1] = '>';
}

static void describe(const run *r, const cap_pkt *c, char *buf, size_t cap)
{
	tern_ip4_repr ip;
	tern_tcp_repr h;
	if (tern_ip4_parse(c->data, c->len, false, &ip) != TERN_WIRE_OK ||
	    tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &h) != TERN_WIRE_OK) {
		snprintf(buf, cap, "(undecodable %zu bytes)", c->len);
		return;
	}
	char f[9], mss[96] = "";
	flags_str(h.flags, f);
	opts_str(&h.opts, mss, sizeof mss);
	uint32_t seq = (h.flags & TERN_TCP_SYN) && !r->isn_known ? 0 : rel_seq(r, h.seq);
	snprintf(buf, cap, "%s seq %u ack %u win %u len %zu%s%s at %.6f", f, seq, h.ack, h.wnd,
	         h.payload_len, (h.flags & TERN_TCP_URG) ? " urg" : "", mss,
	         secs(c->at - BASE_TIME));
}

static bool nothing_pending(run *r)
{
	if (r->cap_overflow)
		return fail(r, "capture full (%d segments)", MAX_CAPTURE);
	if (r->next == r->ncap)
		return true;
	char d[160];
	describe(r, &r->cap[r->next], d, sizeof d);
	return fail(r, "unexpected segment from tern: %s", d);
}

static bool check_field(run *r, const char *name, unsigned bit, const seg_spec *sp, uint32_t want,
                        uint32_t got)
{
	if (!(sp->given & bit) || want == got)
		return true;
	return fail(r, "%s %u, expected %u", name, got, want);
}

static bool check_payload(run *r, const tern_tcp_repr *h)
{
	if (!r->isn_known || (h->flags & TERN_TCP_SYN))
		return true;
	uint32_t rel = rel_seq(r, h->seq);
	for (size_t i = 0; i < h->payload_len; i++)
		if (h->payload[i] != tern_byte(rel + (uint32_t)i))
			return fail(r, "payload byte at seq %u is wrong", rel + (uint32_t)i);
	return true;
}

static bool same_sack(const tern_tcp_opts *a, const tern_tcp_opts *b)
{
	if (a->sack_count != b->sack_count)
		return false;
	for (uint8_t i = 0; i < a->sack_count; i++)
		if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
			return false;
	return true;
}

static bool match_opts(run *r, const seg_spec *sp, const tern_tcp_opts *got)
{
	const tern_tcp_opts *want = &sp->opts;
	char w[96], g[96];
	opts_str(want, w, sizeof w);
	opts_str(got, g, sizeof g);
	if (got->present != want->present)
		return fail(r, "options%s, expected%s", g[0] ? g : " none", w[0] ? w : " none");
	bool ok = (!(want->present & TERN_TCPO_MSS) || got->mss == want->mss) &&
		  (!(want->present & TERN_TCPO_WSCALE) || got->wscale == want->wscale) &&
		  (!(want->present & TERN_TCPO_SACK) || same_sack(want, got)) &&
		  (!(want->present & TERN_TCPO_TS) ||
		   (((sp->ts_any & TS_VAL_ANY) || got->ts_val == want->ts_val) &&
		    ((sp->ts_any & TS_ECR_ANY) || got->ts_ecr == want->ts_ecr)));
	if (!ok)
		return fail(r, "options%s, expected%s", g, w);
	if (got->present & TERN_TCPO_TS)
		r->tern_ts = got->ts_val;
	return true;
}

static bool match(run *r, const seg_spec *sp, const tern_tcp_repr *h)
{
	char fw[9], fg[9];
	if (h->flags != sp->flags) {
		flags_str(sp->flags, fw);
		flags_str(h->flags, fg);
		return fail(r, "flags %s, expected %s", fg, fw);
	}
	if (h->sport != r->lport || h->dport != r->pport)
		return fail(r, "ports %u -> %u, expected %u -> %u", h->sport, h->dport, r->lport,
		            r->pport);
	/* The first SYN tern sends fixes its ISN; so does any SYN the script
	 * does not give a seq for (a new incarnation). */
	if ((h->flags & TERN_TCP_SYN) && (!r->isn_known || !(sp->given & F_SEQ))) {
		r->isn = h->seq;
		r->isn_known = true;
	}
	/* Options are checked strictly: tern may send only what the line lists
	 * (RFC 9293 MUST-65: MSS only on SYNs), and a length is always checked
	 * (an unlisted length means none: no stray data in ACKs or probes). */
	if (!match_opts(r, sp, &h->opts))
		return false;
	if (!(sp->given & F_LEN) && h->payload_len)
		return fail(r, "%zu bytes of data, the expectation lists none", h->payload_len);
	return check_field(r, "seq", F_SEQ, sp, sp->seq, rel_seq(r, h->seq)) &&
	       check_field(r, "ack", F_ACK, sp, sp->ack, h->ack) &&
	       check_field(r, "win", F_WIN, sp, sp->win, h->wnd) &&
	       check_field(r, "len", F_LEN, sp, sp->len, (uint32_t)h->payload_len) &&
	       check_field(r, "urg", F_URG, sp, sp->urg, h->urp) && check_payload(r, h);
}

/* "> FLAGS ..." : the next segment tern sent, within the tolerance of t. */
static bool expect_seg(run *r, toks *t)
{
	const char *p = tk_peek(t);
	if (p && strcmp(p, "none") == 0)
		return nothing_pending(r);
	seg_spec sp;
	if (!parse_seg(r, t, &sp))
		return false;
	if (r->next == r->ncap && !advance(r, r->t + r->tol))
		return false;
	if (r->next == r->ncap)
		return fail(r, "expected a segment, tern sent nothing by %.6f",
		            secs(r->t + r->tol));
	cap_pkt *c = &r->cap[r->next++];
	char d[160];
	describe(r, c, d, sizeof d);
	if (c->at + r->tol < BASE_TIME + r->t)
		return fail(r, "segment sent too early: %s", d);
	out_seg o;
	if (!decode(r, c, &o))
		return false;
	if ((o.ip.tos & TERN_IP4_ECN_MASK) != sp.ecn)
		return fail(r, "IP ECN field %u, expected %u (got %s)", o.ip.tos & TERN_IP4_ECN_MASK,
			    sp.ecn, d);
	if (!match(r, &sp, &o.h)) {
		size_t n = strlen(r->err);
		snprintf(r->err + n, sizeof r->err - n, " (got %s)", d);
		return false;
	}
	return true;
}

/* ---- what the peer sends ---------------------------------------------------- */

static bool inject_seg(run *r, toks *t)
{
	seg_spec sp;
	if (!parse_seg(r, t, &sp))
		return false;
	if ((sp.flags & TERN_TCP_ACK) && !(sp.given & F_ACK))
		return fail(r, "an ACK segment needs 'ack A'");
	if (!(sp.given & F_SEQ))
		return fail(r, "an injected segment needs 'seq S'");
	if (sp.len > MAX_PAYLOAD - 100)
		return fail(r, "len too large");
	/* A SYN starts the peer's byte numbering when no connection of the
	 * script's is open (the first one, or a new incarnation). */
	bool no_conn = !r->cur || r->cur == r->lsn;
	if ((sp.flags & TERN_TCP_SYN) && (!r->peer_isn_known || no_conn)) {
		r->peer_isn = sp.seq;
		r->peer_isn_known = true;
		r->app_read = 0;
	}
	static uint8_t payload[MAX_PAYLOAD], pkt[MAX_PAYLOAD + 100];
	uint32_t first = sp.seq + !!(sp.flags & TERN_TCP_SYN);
	for (uint32_t i = 0; i < sp.len; i++)
		payload[i] = peer_byte(first + i);
	tern_tcp_repr h;
	memset(&h, 0, sizeof h);
	h.sport = r->pport;
	h.dport = r->lport;
	h.seq = sp.seq;
	h.ack = r->isn_known ? r->isn + sp.ack : sp.ack;
	h.flags = sp.flags;
	h.wnd = (uint16_t)((sp.given & F_WIN) ? sp.win : 65535);
	h.urp = (uint16_t)sp.urg;
	if (sp.given & F_OPTS) {
		h.opts = sp.opts;
		/* "ecr *" echoes tern's latest TSval, as a live peer would */
		if (sp.ts_any & TS_ECR_ANY)
			h.opts.ts_ecr = r->tern_ts;
		for (uint8_t i = 0; i < h.opts.sack_count && r->isn_known; i++) {
			h.opts.sack[i].left += r->isn;
			h.opts.sack[i].right += r->isn;
		}
	}
	size_t n = tern_tcp_build(pkt + TERN_IP4_HLEN, sizeof pkt - TERN_IP4_HLEN, &h, payload,
	                          sp.len, PEER_ADDR, US_ADDR);
	tern_ip4_repr ip = {0};
	ip.total_len = (uint16_t)(TERN_IP4_HLEN + n);
	ip.ttl = 64;
	ip.tos = sp.ecn;
	ip.df = true;
	ip.proto = TERN_IPPROTO_TCP;
	ip.src = PEER_ADDR;
	ip.dst = US_ADDR;
	tern_ip4_build(pkt, TERN_IP4_HLEN, &ip);
	tern_stack_input(r->st, r->ifc, pkt, TERN_IP4_HLEN + n, BASE_TIME + r->t);
	return true;
}

/* ---- socket calls ------------------------------------------------------------ */

static bool need_sock(run *r, const char *call)
{
	if (r->cur)
		return true;
	return fail(r, "%s: no socket", call);
}

static bool call_socket(run *r, toks *t)
{
	int rc = tern_tcp_open(r->st, &r->cur);
	r->app_sent = 0;
	return check_result(r, t, "socket", rc);
}

static bool call_bind(run *r, toks *t)
{
	uint32_t port;
	if (!need_sock(r, "bind") || !parse_u32(tk_next(t), &port) || port > 65535)
		return fail(r, "bind PORT");
	tern_endpoint l = {0, (uint16_t)port};
	int rc = tern_socket_bind(r->cur, &l);
	if (rc == 0)
		r->lport = (uint16_t)port;
	return check_result(r, t, "bind", rc);
}

static bool call_listen(run *r, toks *t)
{
	uint32_t backlog;
	if (!need_sock(r, "listen") || !parse_u32(tk_next(t), &backlog) || backlog > INT32_MAX)
		return fail(r, "listen BACKLOG");
	int rc = tern_socket_listen(r->cur, (int)backlog);
	if (rc == 0)
		r->lsn = r->cur;
	return check_result(r, t, "listen", rc);
}

static bool call_connect(run *r, toks *t)
{
	uint32_t port;
	if (!need_sock(r, "connect") || !parse_u32(tk_next(t), &port) || port > 65535)
		return fail(r, "connect PORT");
	tern_endpoint dst = {PEER_ADDR, (uint16_t)port};
	r->pport = (uint16_t)port;
	r->isn_known = false;
	int rc = tern_socket_connect(r->cur, &dst);
	tern_endpoint l;
	if (tern_socket_name(r->cur, &l, NULL) == 0 && l.port)
		r->lport = l.port;
	return check_result(r, t, "connect", rc);
}

static bool call_accept(run *r, toks *t)
{
	tern_socket *s = NULL;
	tern_socket *from = r->lsn ? r->lsn : r->cur;
	if (!from)
		return fail(r, "accept: no listener");
	int rc = tern_socket_accept(from, &s, NULL);
	if (rc == 0) {
		r->cur = s;
		r->app_sent = 0;
	}
	return check_result(r, t, "accept", rc);
}

static bool call_send(run *r, toks *t)
{
	static uint8_t buf[MAX_PAYLOAD];
	uint32_t len;
	if (!need_sock(r, "send") || !parse_u32(tk_next(t), &len) || len > MAX_PAYLOAD)
		return fail(r, "send LEN [oob]");
	int flags = 0;
	const char *p = tk_peek(t);
	if (p && strcmp(p, "oob") == 0) {
		flags = TERN_MSG_OOB;
		tk_next(t);
	}
	for (uint32_t i = 0; i < len; i++)
		buf[i] = tern_byte(1u + (uint32_t)r->app_sent + i);
	int rc = tern_socket_send(r->cur, buf, len, flags);
	if (rc > 0)
		r->app_sent += (uint64_t)rc;
	return check_result(r, t, "send", rc);
}

static bool call_recv(run *r, toks *t)
{
	static uint8_t buf[MAX_PAYLOAD];
	uint32_t len;
	if (!need_sock(r, "recv") || !parse_u32(tk_next(t), &len) || len > MAX_PAYLOAD)
		return fail(r, "recv LEN [peek]");
	bool peek = tk_peek(t) && strcmp(tk_peek(t), "peek") == 0;
	if (peek)
		tk_next(t);
	int rc = tern_socket_recv(r->cur, buf, len, peek ? TERN_MSG_PEEK : 0);
	uint32_t first = r->peer_isn + 1 + (uint32_t)r->app_read;
	for (int i = 0; i < rc; i++)
		if (buf[i] != peer_byte(first + (uint32_t)i))
			return fail(r, "recv: byte %d (seq %u) is wrong", i, first + (uint32_t)i);
	if (rc > 0 && !peek)
		r->app_read += (uint64_t)rc;
	return check_result(r, t, "recv", rc);
}

static bool call_shutdown(run *r, toks *t)
{
	const char *how = tk_next(t);
	int h = 0;
	if (how && strcmp(how, "rd") == 0)
		h = TERN_SHUT_RD;
	else if (how && strcmp(how, "wr") == 0)
		h = TERN_SHUT_WR;
	else if (how && strcmp(how, "rdwr") == 0)
		h = TERN_SHUT_RDWR;
	if (!need_sock(r, "shutdown") || !h)
		return fail(r, "shutdown wr|rd|rdwr");
	return check_result(r, t, "shutdown", tern_socket_shutdown(r->cur, h));
}

/* close / abort: the current socket (the connection once accepted, else
 * the listener); "close listener" names the listener. */
static bool call_close(run *r, toks *t, bool abort)
{
	const char *call = abort ? "abort" : "close";
	tern_socket *s = r->cur;
	const char *p = tk_peek(t);
	if (p && strcmp(p, "listener") == 0) {
		tk_next(t);
		s = r->lsn;
	}
	if (!s)
		return fail(r, "%s: no socket", call);
	int rc = abort ? tern_socket_abort(s) : tern_socket_close(s);
	if (s == r->cur)
		r->cur = NULL;
	if (s == r->lsn)
		r->lsn = NULL;
	return check_result(r, t, call, rc);
}

static const struct {
	const char *name;
	int opt;
} optnames[] = {
    {"nodelay", TERN_SO_NODELAY},   {"keepalive", TERN_SO_KEEPALIVE},
    {"keepidle", TERN_SO_KEEPIDLE}, {"keepintvl", TERN_SO_KEEPINTVL},
    {"keepcnt", TERN_SO_KEEPCNT},   {"user_timeout", TERN_SO_USER_TIMEOUT},
    {"sndbuf", TERN_SO_SNDBUF},     {"rcvbuf", TERN_SO_RCVBUF},
};

static bool call_setopt(run *r, toks *t)
{
	const char *name = tk_next(t);
	if (name && strcmp(name, "cc") == 0) {  /* "setopt cc newreno" */
		const char *module = tk_next(t);
		if (!need_sock(r, "setopt") || !module)
			return fail(r, "setopt cc NAME");
		return check_result(r, t, "setopt", tern_socket_set_cc(r->cur, module));
	}
	uint32_t v;
	size_t i = 0;
	while (name && i < sizeof optnames / sizeof optnames[0] && strcmp(name, optnames[i].name))
		i++;
	if (!need_sock(r, "setopt") || !name || i == sizeof optnames / sizeof optnames[0] ||
	    !parse_u32(tk_next(t), &v) || v > INT32_MAX)
		return fail(r, "setopt NAME VALUE");
	return check_result(r, t, "setopt", tern_socket_setopt(r->cur, optnames[i].opt, (int)v));
}

/* ---- assertions ------------------------------------------------------------- */

typedef struct find_ctx {
	const run *r;
	int state;
} find_ctx;

static void find_conn(const tern_tcp_info *i, void *ctx)
{
	find_ctx *f = ctx;
	if (f->state < 0 && i->local.addr == US_ADDR && i->local.port == f->r->lport &&
	    i->remote.addr == PEER_ADDR && i->remote.port == f->r->pport)
		f->state = i->state;
}

/* The state of the script's connection: its 4-tuple in the connection
 * table (TIME-WAIT records and unaccepted children included), else what
 * the current socket says (LISTEN, or CLOSED after an error). */
static int conn_state(run *r)
{
	find_ctx f = {r, -1};
	tern_tcp_walk(r->st, find_conn, &f);
	if (f.state >= 0)
		return f.state;
	tern_tcp_info i;
	if (r->cur && tern_socket_info(r->cur, &i) == 0)
		return i.state;
	return TERN_TCP_CLOSED;
}

static bool call_state(run *r, toks *t)
{
	const char *want = tk_next(t);
	if (!want || tk_peek(t))
		return fail(r, "state NAME");
	const char *got = tern_tcp_state_name(conn_state(r));
	if (strcmp(want, got) != 0)
		return fail(r, "state %s, expected %s", got, want);
	return true;
}

static bool call_event(run *r, toks *t)
{
	static const struct {
		const char *name;
		unsigned bit;
	} evs[] = {
	    {"readable", TERN_EV_READABLE},
	    {"writable", TERN_EV_WRITABLE},
	    {"error", TERN_EV_ERROR},
	    {"hup", TERN_EV_HUP},
	    {"urgent", TERN_EV_URGENT},
	};
	const char *name = tk_next(t);
	size_t i = 0;
	while (name && i < sizeof evs / sizeof evs[0] && strcmp(name, evs[i].name))
		i++;
	if (!name || i == sizeof evs / sizeof evs[0])
		return fail(r, "event readable|writable|error|hup|urgent [not]");
	const char *neg = tk_next(t);
	bool want = !(neg && strcmp(neg, "not") == 0);
	if (!need_sock(r, "event"))
		return false;
	bool got = (tern_socket_events(r->cur) & evs[i].bit) != 0;
	if (got != want)
		return fail(r, "socket is %s%s", got ? "" : "not ", name);
	return true;
}

/* "info FIELD VALUE": a figure of the current socket's STATUS. */
/* "counter NAME VALUE": one of the stack's named counters. */
static bool call_counter(run *r, toks *t)
{
	const char *name = tk_next(t);
	uint64_t want;
	if (!name || !parse_u64(tk_next(t), &want) || tk_peek(t))
		return fail(r, "counter NAME VALUE");
	tern_counters c;
	tern_stack_counters(r->st, &c);
	for (size_t k = 0; k < tern_counter_count(); k++) {
		if (strcmp(name, tern_counter_name(k)) != 0)
			continue;
		uint64_t got = ((const uint64_t *)&c)[k];
		if (got != want)
			return fail(r, "counter %s is %llu, expected %llu", name,
				    (unsigned long long)got, (unsigned long long)want);
		return true;
	}
	return fail(r, "no counter '%s'", name);
}

static bool call_info(run *r, toks *t)
{
	const char *name = tk_next(t);
	uint64_t want;
	tern_tcp_info i;
	if (!name || !parse_u64(tk_next(t), &want) || tk_peek(t))
		return fail(r, "info FIELD VALUE");
	if (!need_sock(r, "info") || tern_socket_info(r->cur, &i) != 0)
		return fail(r, "info: not a TCP socket");
	const struct {
		const char *name;
		uint64_t v;
	} f[] = {
	    {"snd_wnd", i.snd_wnd},
	    {"rcv_wnd", i.rcv_wnd},
	    {"unacked", i.unacked},
	    {"unsent", i.unsent},
	    {"unread", i.unread},
	    {"urgent", i.urgent},
	    {"cwnd", i.cwnd},
	    {"smss", i.smss},
	    {"rmss", i.rmss},
	    {"rto_ms", i.rto / 1000},
	    {"retransmits", i.retransmits},
	};
	for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
		if (strcmp(name, f[k].name) != 0)
			continue;
		if (f[k].v != want)
			return fail(r, "info %s is %llu, expected %llu", name,
			            (unsigned long long)f[k].v, (unsigned long long)want);
		return true;
	}
	return fail(r, "unknown info field '%s'", name);
}

/* ---- directives (before the first timed line) --------------------------------- */

static bool directive_config(run *r, toks *t)
{
	const char *name = tk_next(t);
	uint32_t v;
	if (!name || !parse_u32(tk_next(t), &v))
		return fail(r, "config NAME VALUE");
	if (r->st)
		return fail(r, "config must come before the first event");
	tern_config *c = &r->cfg;
	if (strcmp(name, "syn_retries") == 0 && v < 256)
		c->tcp_syn_retries = (uint8_t)v;
	else if (strcmp(name, "wscale") == 0 && v < 2)
		c->tcp_no_wscale = !v;
	else if (strcmp(name, "timestamps") == 0 && v < 2)
		c->tcp_no_timestamps = !v;
	else if (strcmp(name, "retries2") == 0 && v < 256)
		c->tcp_retries2 = (uint8_t)v;
	else if (strcmp(name, "msl_ms") == 0)
		c->tcp_msl = TERN_MS(v);
	else if (strcmp(name, "rto_min_ms") == 0)
		c->tcp_rto_min = TERN_MS(v);
	else if (strcmp(name, "rto_max_ms") == 0)
		c->tcp_rto_max = TERN_MS(v);
	else if (strcmp(name, "delack_ms") == 0)
		c->tcp_delack = TERN_MS(v);
	else if (strcmp(name, "fin_wait2_ms") == 0)
		c->tcp_fin_wait2 = TERN_MS(v);
	else if (strcmp(name, "rcvbuf_max") == 0)
		c->tcp_rcvbuf_max = v;
	else
		return fail(r, "unknown config '%s'", name);
	return true;
}

static bool directive(run *r, toks *t, const char *word, bool *handled)
{
	uint32_t v;
	*handled = true;
	if (strcmp(word, "config") == 0)
		return directive_config(r, t);
	if (strcmp(word, "peer_port") == 0 || strcmp(word, "local_port") == 0) {
		if (!parse_u32(tk_next(t), &v) || v == 0 || v > 65535)
			return fail(r, "%s N", word);
		*(word[0] == 'p' ? &r->pport : &r->lport) = (uint16_t)v;
		return true;
	}
	if (strcmp(word, "tolerance_ms") == 0) {
		if (!parse_u32(tk_next(t), &v))
			return fail(r, "tolerance_ms N");
		r->tol = TERN_MS(v);
		return true;
	}
	*handled = false;
	return true;
}

/* ---- lines -------------------------------------------------------------------- */

typedef bool (*call_fn)(run *, toks *);

static bool call_abort(run *r, toks *t)
{
	return call_close(r, t, true);
}
static bool call_close_graceful(run *r, toks *t)
{
	return call_close(r, t, false);
}

static const struct {
	const char *name;
	call_fn fn;
} calls[] = {
    {"socket", call_socket},   {"bind", call_bind},         {"listen", call_listen},
    {"connect", call_connect}, {"accept", call_accept},     {"send", call_send},
    {"recv", call_recv},       {"shutdown", call_shutdown}, {"close", call_close_graceful},
    {"abort", call_abort},     {"setopt", call_setopt},     {"state", call_state},
    {"event", call_event},     {"info", call_info},         {"counter", call_counter},
};

static bool timed_event(run *r, toks *t)
{
	const char *what = tk_next(t);
	if (!what)
		return fail(r, "missing event");
	if (!r->st) {
		create_stack(r);
		if (!r->ifc)
			return fail(r, "cannot create the stack");
	}
	if (!advance(r, r->t))
		return false;
	if (strcmp(what, ">") == 0)
		return expect_seg(r, t);
	if (!nothing_pending(r))
		return false;
	if (strcmp(what, "<") == 0)
		return inject_seg(r, t);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (strcmp(what, calls[i].name) == 0)
			return calls[i].fn(r, t);
	return fail(r, "unknown event '%s'", what);
}

static bool do_line(run *r, char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	toks t;
	tokenize(line, &t);
	const char *first = tk_next(&t);
	if (!first)
		return true;
	bool handled;
	if (!directive(r, &t, first, &handled) || handled)
		return r->err[0] == 0;
	tern_time at;
	if (!parse_time(first, r->t, &at))
		return fail(r, "bad time '%s'", first);
	if (at < r->t)
		return fail(r, "time goes backwards");
	r->t = at;
	return timed_event(r, &t);
}

static void run_free(run *r)
{
	tern_stack_del(r->st);
	for (size_t i = 0; i < r->ncap; i++)
		free(r->cap[i].data);
}

/* Runs one script; returns true when it passed. */
static bool run_script(const char *path, const char *name, bool verbose)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("FAIL %s: line 0: cannot open\n", name);
		return false;
	}
	run *r = calloc(1, sizeof *r);
	if (!r) {
		fclose(f);
		printf("FAIL %s: line 0: out of memory\n", name);
		return false;
	}
	r->seed = 0x9e3779b97f4a7c15ull;
	r->tol = TERN_MS(1);
	r->pport = 40000;
	tern_config_init(&r->cfg);
	/* The scripts' windows and shifts are worked out for the 64 KiB
	 * default buffer: auto-tuning is off unless a script turns it on. */
	r->cfg.tcp_rcvbuf_max = r->cfg.tcp_rcvbuf;
	char line[MAX_LINE];
	bool ok = true;
	while (ok && r->line < MAX_LINES && fgets(line, sizeof line, f)) {
		r->line++;
		if (verbose)
			printf("  %d: %s", r->line, line);
		if (!strchr(line, '\n') && !feof(f))
			ok = fail(r, "line longer than %d characters", MAX_LINE - 2);
		else
			ok = do_line(r, line);
	}
	if (ok && r->line == MAX_LINES && !feof(f))
		ok = fail(r, "script longer than %d lines", MAX_LINES);
	fclose(f);
	if (ok && r->st)
		ok = nothing_pending(r);
	if (ok && !r->st)
		ok = fail(r, "no events");
	if (!ok && verbose)
		for (size_t i = 0; i < r->ncap; i++) {
			char d[160];
			describe(r, &r->cap[i], d, sizeof d);
			printf("  sent[%zu]%s %s\n", i, i == r->next ? " >" : "", d);
		}
	run_free(r);
	if (ok && r->live_bytes)
		ok =
		    fail(r, "%zu bytes still allocated after the stack was deleted", r->live_bytes);
	if (ok)
		printf("ok %s\n", name);
	else
		printf("FAIL %s: line %d: %s\n", name, r->line, r->err);
	fflush(stdout);
	free(r);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_script(const char *n)
{
	size_t l = strlen(n);
	return l > 4 && strcmp(n + l - 4, ".pkt") == 0;
}

/* The scripts of a directory, sorted; NULL when it is not one. */
static char **list_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **names = calloc(MAX_SCRIPTS, sizeof *names);
	size_t n = 0;
	struct dirent *e;
	while (names && n < MAX_SCRIPTS && (e = readdir(d)) != NULL)
		if (is_script(e->d_name))
			names[n++] = strdup(e->d_name);
	closedir(d);
	if (names)
		qsort(names, n, sizeof *names, cmp_str);
	*count = n;
	return names;
}

int main(int argc, char **argv)
{
	bool verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE.pkt [-v]\n", argv[0]);
		return 2;
	}
	int passed = 0, failed = 0;
	size_t n = 0;
	char **names = list_dir(argv[1], &n);
	if (!names) {
		char name[256];
		const char *base = strrchr(argv[1], '/');
		snprintf(name, sizeof name, "%s", base ? base + 1 : argv[1]);
		if (is_script(name))
			name[strlen(name) - 4] = 0;
		if (run_script(argv[1], name, verbose))
			passed++;
		else
			failed++;
	}
	for (size_t i = 0; names && i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
		char *dot = strrchr(names[i], '.');
		*dot = 0;
		if (run_script(path, names[i], verbose))
			passed++;
		else
			failed++;
		free(names[i]);
	}
	free(names);
	printf("%d passed, %d failed\n", passed, failed);
	return failed || !passed ? 1 : 0;
}
