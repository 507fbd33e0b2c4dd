/* test_tcp_trace.c - the event trace (docs/TRACE.md): scripted scenarios
 * between two stacks give exactly the expected sequence of events (a
 * handshake, one lost segment repaired by fast retransmit, a simultaneous
 * close), the JSON line of each kind is as documented, and a stack
 * without a trace callback calls nothing. */
#include <stdio.h>

#include "pair.h"
#include "tt.h"

#define MAXEV 4096

typedef struct rec {
	char line[MAXEV][96];
	size_t n;
	uint32_t iss[2];  /* each side's ISS, to print sequence numbers relative */
	bool kinds[8];    /* which event kinds to keep */
	int side_of_ctx[2];
	size_t json_lines;
} rec;

typedef struct side_ctx {
	rec *r;
	int side;
} side_ctx;

static void flags_str(uint8_t f, char *out)
{
	static const char letters[] = "FSRPAUEC";
	size_t n = 0;
	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			out[n++] = letters[i];
	out[n] = 0;
}

/* One compact line per event: side, kind, and what the scenario decides. */
static void describe(rec *r, int side, const tern_trace_event *ev, char *out, size_t cap)
{
	const char *who = side ? "b" : "a";
	char fl[9];
	switch (ev->kind) {
	case TERN_TRACE_SEG_OUT:
	case TERN_TRACE_SEG_IN: {
		const tern_trace_seg *g = &ev->u.seg;
		flags_str(g->flags, fl);
		int from = ev->kind == TERN_TRACE_SEG_OUT ? side : 1 - side;
		uint32_t rseq = g->seq - r->iss[from];
		uint32_t rack = (g->flags & TERN_TCPF_ACK) ? g->ack - r->iss[1 - from] : 0;
		snprintf(out, cap, "%s %s %s seq=%u ack=%u len=%u%s%s", who,
			 ev->kind == TERN_TRACE_SEG_OUT ? "out" : "in", fl, rseq, rack, g->len,
			 g->rtx ? " rtx=" : "", tern_trace_rtx_name(g->rtx));
		break;
	}
	case TERN_TRACE_STATE:
		snprintf(out, cap, "%s state %s>%s (%s)", who, tern_tcp_state_name(ev->u.state.old),
			 tern_tcp_state_name(ev->u.state.now), ev->u.state.cause);
		break;
	case TERN_TRACE_RTX:
		snprintf(out, cap, "%s rtx %s seq=%u len=%u", who, tern_trace_rtx_name(ev->u.rtx.why),
			 ev->u.rtx.seq - r->iss[side], ev->u.rtx.len);
		break;
	case TERN_TRACE_CWND:
		snprintf(out, cap, "%s cwnd %s", who, ev->u.cwnd.reason);
		break;
	default:
		snprintf(out, cap, "%s kind %d", who, (int)ev->kind);
		break;
	}
}

static void on_event(void *ctx, const tern_trace_event *ev)
{
	side_ctx *sc = ctx;
	rec *r = sc->r;
	char json[1024];
	/* every event also formats as one complete JSON line */
	size_t n = tern_trace_format(ev, "h", json, sizeof json);
	if (n > 2 && n < sizeof json && json[0] == '{' && json[n - 2] == '}' && json[n - 1] == '\n')
		r->json_lines++;
	if (ev->kind == TERN_TRACE_SEG_OUT && (ev->u.seg.flags & TERN_TCPF_SYN))
		r->iss[sc->side] = ev->u.seg.seq;
	if ((unsigned)ev->kind >= 8 || !r->kinds[ev->kind] || r->n == MAXEV)
		return;
	describe(r, sc->side, ev, r->line[r->n], sizeof r->line[0]);
	r->n++;
}

static void trace_pair(pair *p, rec *r, side_ctx sc[2], const int *kinds, size_t nk)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < nk; i++)
		r->kinds[kinds[i]] = true;
	for (int s = 0; s < 2; s++) {
		sc[s].r = r;
		sc[s].side = s;
		tern_stack_set_trace(pair_st(p, s), on_event, &sc[s]);
	}
}

static int check_lines(const rec *r, const char *const *want, size_t nwant)
{
	size_t n = r->n < nwant ? r->n : nwant;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r->line[i], want[i])) {
			fprintf(stderr, "event %zu: got \"%s\", want \"%s\"\n", i, r->line[i], want[i]);
			for (size_t j = 0; j < r->n; j++)
				fprintf(stderr, "  %s\n", r->line[j]);
			return -1;
		}
	}
	if (r->n != nwant) {
		fprintf(stderr, "got %zu events, want %zu\n", r->n, nwant);
		for (size_t j = 0; j < r->n; j++)
			fprintf(stderr, "  %s\n", r->line[j]);
		return -1;
	}
	return 0;
}


static const int seg_and_state[] = {TERN_TRACE_SEG_OUT, TERN_TRACE_SEG_IN, TERN_TRACE_STATE};

TT_TEST(test_trace_of_a_handshake_is_exactly_the_textbook_sequence)
{
	pair p;
	rec *r = calloc(1, sizeof *r);
	side_ctx sc[2];
	TT_EQ(pair_init(&p, TERN_MS(10)), 0);
	trace_pair(&p, r, sc, seg_and_state, 3);
	tern_socket *c, *l, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	static const char *const want[] = {
	    "a state CLOSED>SYN-SENT (open)",
	    /* RFC 3168 6.1.1: an ECN-setup SYN carries ECE and CWR, its
	     * SYN-ACK ECE alone */
	    "a out SEC seq=0 ack=0 len=0",
	    "b in SEC seq=0 ack=0 len=0",
	    "b state LISTEN>SYN-RECEIVED (rcv SYN)",
	    "b out SAE seq=0 ack=1 len=0",
	    "a in SAE seq=0 ack=1 len=0",
	    "a state SYN-SENT>ESTABLISHED (rcv ACK of SYN)",
	    "a out A seq=1 ack=1 len=0",
	    "b in A seq=1 ack=1 len=0",
	    "b state SYN-RECEIVED>ESTABLISHED (rcv ACK of SYN)",
	};
	TT_EQ(check_lines(r, want, sizeof want / sizeof want[0]), 0);
	TT_CHECK(r->json_lines >= r->n);
	pair_fini(&p);
	free(r);
}

/* Drop the third data segment from A once. */
static bool drop_third_data(pair *p, int from, uint8_t *pkt, size_t len)
{
	int *count = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (from != 0 || tern_ip4_parse(pkt, len, false, &ip) ||
	    tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t) || !t.payload_len)
		return true;
	return ++*count != 3;
}

static const int loss_kinds[] = {TERN_TRACE_RTX, TERN_TRACE_STATE};

/* Both stacks with cfg (the pair's own defaults otherwise). */
static int pair_init_cfg(pair *p, tern_time delay, const tern_config *base)
{
	memset(p, 0, sizeof *p);
	p->delay = delay;
	tern_config c0 = *base, c1 = *base;
	if (fx_init_cfg(&p->side[0], TERN_IP4(192, 0, 2, 1), 24, 1500, &c0) ||
	    fx_init_cfg(&p->side[1], TERN_IP4(192, 0, 2, 2), 24, 1500, &c1))
		return -1;
	p->side[1].seed ^= 0x1234567;
	return 0;
}

/* 20,000 bytes from A to B with A's third data segment lost once: the
 * only retransmission is that segment, for the reason want_why, and the
 * bytes arrive intact. */
static void single_loss(bool sack, const char *want_why)
{
	pair p;
	rec *r = calloc(1, sizeof *r);
	side_ctx sc[2];
	int count = 0;
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_no_sack = !sack;
	TT_EQ(pair_init_cfg(&p, TERN_MS(10), &cfg), 0);
	trace_pair(&p, r, sc, loss_kinds, 2);
	tern_socket *c, *l, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	r->n = 0;  /* the handshake's state changes are the other test's */
	tern_tcp_info ai;
	tern_socket_info(c, &ai);
	p.filter = drop_third_data;
	p.ctx = &count;
	static uint8_t buf[20000], got[20000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	TT_EQ(tern_socket_send(c, buf, sizeof buf, 0), (int)sizeof buf);
	pair_run(&p, p.now + TERN_SEC(2));
	size_t have = 0;
	for (int i = 0; i < 100 && have < sizeof got; i++) {
		int n = tern_socket_recv(s, got + have, sizeof got - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	TT_EQ(have, sizeof got);
	TT_EQ(fx_fnv(FX_FNV_BASIS, got, have), fx_fnv(FX_FNV_BASIS, buf, sizeof buf));
	char want0[96];
	snprintf(want0, sizeof want0, "a rtx %s seq=%u len=%u", want_why, 1 + 2 * ai.smss, ai.smss);
	const char *const want[] = {want0};
	TT_EQ(check_lines(r, want, 1), 0);
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 0), &ct);
	TT_EQ(ct.tcp_timeouts, 0);
	TT_EQ(ct.tcp_fast_retrans, 1);
	pair_fini(&p);
	free(r);
}

/* Without SACK: three duplicate ACKs, RFC 5681 3.2 fast retransmit. */
TT_TEST(test_trace_of_a_single_loss_shows_one_fast_retransmit)
{
	single_loss(false, "fast");
}

/* With SACK, RACK (RFC 8985) finds the loss first; recovery is the same. */
TT_TEST(test_trace_of_a_single_loss_with_sack_shows_one_rack_retransmit)
{
	single_loss(true, "rack");
}

TT_TEST(test_trace_of_a_simultaneous_close_passes_closing_to_time_wait)
{
	pair p;
	rec *r = calloc(1, sizeof *r);
	side_ctx sc[2];
	TT_EQ(pair_init(&p, TERN_MS(10)), 0);
	tern_socket *c, *l, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	static const int kinds[] = {TERN_TRACE_STATE};
	trace_pair(&p, r, sc, kinds, 1);
	TT_EQ(tern_socket_shutdown(c, TERN_SHUT_WR), 0);
	TT_EQ(tern_socket_shutdown(s, TERN_SHUT_WR), 0);
	pair_run(&p, p.now + TERN_MS(100));
	static const char *const want[] = {
	    "a state ESTABLISHED>FIN-WAIT-1 (close)",
	    "b state ESTABLISHED>FIN-WAIT-1 (close)",
	    "b state FIN-WAIT-1>CLOSING (rcv FIN)",
	    "a state FIN-WAIT-1>CLOSING (rcv FIN)",
	    "a state CLOSING>TIME-WAIT (rcv ACK of FIN)",
	    "b state CLOSING>TIME-WAIT (rcv ACK of FIN)",
	};
	TT_EQ(check_lines(r, want, sizeof want / sizeof want[0]), 0);
	pair_fini(&p);
	free(r);
}

TT_TEST(test_trace_json_line_is_the_documented_format)
{
	tern_trace_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = TERN_TRACE_SEG_OUT;
	ev.t = 1500;
	ev.laddr = TERN_IP4(10, 0, 0, 1);
	ev.lport = 49152;
	ev.raddr = TERN_IP4(10, 0, 0, 2);
	ev.rport = 80;
	ev.u.seg = (tern_trace_seg){.seq = 1234, .ack = 0, .len = 0, .win = 65535,
				    .flags = TERN_TCPF_SYN, .has_mss = true, .mss = 1460,
				    .has_ws = true, .ws = 7, .sack_ok = true, .has_ts = true,
				    .tsval = 1, .tsecr = 0};
	char buf[512];
	size_t n = tern_trace_format(&ev, "a", buf, sizeof buf);
	const char *want =
	    "{\"t\":1500,\"host\":\"a\",\"ev\":\"seg_out\",\"local\":\"10.0.0.1:49152\","
	    "\"remote\":\"10.0.0.2:80\",\"seq\":1234,\"ack\":0,\"len\":0,\"flags\":\"S\","
	    "\"win\":65535,\"opts\":{\"mss\":1460,\"ws\":7,\"sackok\":true,\"ts\":[1,0]}}\n";
	TT_EQ(strcmp(buf, want), 0);
	TT_EQ(n, strlen(want));
	/* a short buffer gets a terminated prefix and the length it needs */
	char small[16];
	TT_EQ(tern_trace_format(&ev, "a", small, sizeof small), n);
	TT_EQ(strlen(small), sizeof small - 1);
	ev.kind = TERN_TRACE_STATE;
	ev.u.state.old = TERN_TCP_SYN_SENT;
	ev.u.state.now = TERN_TCP_ESTABLISHED;
	ev.u.state.cause = "rcv ACK of SYN";
	tern_trace_format(&ev, "a", buf, sizeof buf);
	TT_CHECK(strstr(buf, "\"ev\":\"state\"") != NULL);
	TT_CHECK(strstr(buf, "\"old\":\"SYN-SENT\",\"new\":\"ESTABLISHED\",\"cause\":\"rcv ACK of SYN\"}") != NULL);
	ev.kind = TERN_TRACE_RTX;
	ev.u.rtx.why = TERN_RTX_FAST;
	ev.u.rtx.seq = 5;
	ev.u.rtx.len = 1448;
	tern_trace_format(&ev, "a", buf, sizeof buf);
	TT_CHECK(strstr(buf, "\"kind\":\"fast\",\"seq\":5,\"len\":1448}") != NULL);
}

TT_TEST(test_trace_stopped_calls_nothing)
{
	pair p;
	rec *r = calloc(1, sizeof *r);
	side_ctx sc[2];
	TT_EQ(pair_init(&p, TERN_MS(10)), 0);
	trace_pair(&p, r, sc, seg_and_state, 3);
	tern_stack_set_trace(pair_st(&p, 0), NULL, NULL);
	tern_stack_set_trace(pair_st(&p, 1), NULL, NULL);
	tern_socket *c, *l, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	TT_EQ(r->n, 0);
	TT_EQ(r->json_lines, 0);
	pair_fini(&p);
	free(r);
}

TT_MAIN(test_trace_of_a_handshake_is_exactly_the_textbook_sequence,
	test_trace_of_a_single_loss_shows_one_fast_retransmit,
	test_trace_of_a_single_loss_with_sack_shows_one_rack_retransmit,
	test_trace_of_a_simultaneous_close_passes_closing_to_time_wait,
	test_trace_json_line_is_the_documented_format, test_trace_stopped_calls_nothing)
