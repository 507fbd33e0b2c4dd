/* test_tcp_blind.c - an off-path attacker who knows the 4-tuple but not
 * the sequence numbers (RFC 5961): in-window resets and SYNs only earn
 * challenge ACKs, which are rate limited; the connection survives. */
#include "pair.h"
#include "tt.h"

static uint32_t b_next_seq;  /* where B's next byte will be: A's RCV.NXT */

static bool watch_b(pair *p, int from, uint8_t *pkt, size_t len)
{
	(void)p;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (from == 1 && tern_ip4_parse(pkt, len, false, &ip) == 0 &&
	    tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t) == 0)
		b_next_seq = t.seq + (uint32_t)t.payload_len + !!(t.flags & (TERN_TCP_SYN | TERN_TCP_FIN));
	return true;
}

static void inject(pair *p, const tern_tcp_info *ai, uint32_t seq, uint8_t flags)
{
	uint8_t seg[64], pkt[128];
	tern_tcp_repr h = {.sport = ai->remote.port, .dport = ai->local.port, .seq = seq,
			   .flags = flags, .wnd = 1000};
	/* a blind attacker guesses a timestamp too (RFC 7323 is negotiated) */
	h.opts.present = TERN_TCPO_TS;
	h.opts.ts_val = seq * 2654435761u;
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, ai->remote.addr, ai->local.addr);
	size_t n = fx_ip4(pkt, ai->remote.addr, ai->local.addr, TERN_IPPROTO_TCP, 9, 0, false, seg, sl);
	fx_input(&p->side[0], pkt, n, p->now);
}

TT_TEST(test_blind_resets_and_syns_earn_only_rate_limited_challenge_acks)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	p.filter = watch_b;
	tern_socket *l, *c, *s;
	tern_endpoint any = {0, 80}, dst = {TERN_IP4(192, 0, 2, 2), 80};
	TT_EQ(tern_tcp_open(pair_st(&p, 1), &l), 0);
	TT_EQ(tern_socket_bind(l, &any), 0);
	TT_EQ(tern_socket_listen(l, 4), 0);
	TT_EQ(tern_tcp_open(pair_st(&p, 0), &c), 0);
	TT_EQ(tern_socket_connect(c, &dst), TERN_EINPROGRESS);
	pair_run(&p, TERN_MS(100));
	TT_EQ(tern_socket_accept(l, &s, NULL), 0);
	tern_tcp_info ai;
	TT_EQ(tern_socket_info(c, &ai), 0);
	p.side[0].nout = 0;
	tern_counters c0;
	tern_stack_counters(pair_st(&p, 0), &c0);
	uint64_t out_before = c0.tcp_out_segs;
	/* 20,000 in-window, inexact resets and SYNs within half a second */
	for (uint32_t i = 0; i < 20000; i++)
		inject(&p, &ai, b_next_seq + 1 + (i % 60000), i & 1 ? TERN_TCP_RST : TERN_TCP_SYN);
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 0), &ct);
	/* every segment is refused (challenge ACK, PAWS or sequence check), and
	 * what answers them all stays within the randomised budget */
	uint64_t answered = ct.tcp_out_segs - out_before;
	TT_CHECK(answered <= 1500);
	TT_CHECK(answered >= 500);
	TT_EQ(answered + ct.tcp_oow_acks_limited, 20000);
	fx_clear(&p.side[0]);
	TT_EQ(tern_socket_info(c, &ai), 0);
	TT_EQ(ai.state, TERN_TCP_ESTABLISHED);
	/* data still flows */
	TT_EQ(tern_socket_send(s, "alive", 5, 0), 5);
	pair_run(&p, p.now + TERN_MS(100));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), 5);
	/* only the exact sequence number resets (RSTs need no timestamp) */
	inject(&p, &ai, b_next_seq, TERN_TCP_RST);
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), TERN_ECONNRESET);
	pair_fini(&p);
}

TT_MAIN(test_blind_resets_and_syns_earn_only_rate_limited_challenge_acks)
