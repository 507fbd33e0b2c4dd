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
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
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

static void inject_data(pair *p, const tern_tcp_info *ai, uint32_t seq, uint32_t ack)
{
	uint8_t seg[128], pkt[192];
	static const uint8_t junk[40] = "INJECTED-BY-A-BLIND-ATTACKER-0123456789";
	tern_tcp_repr h = {.sport = ai->remote.port, .dport = ai->local.port, .seq = seq,
			   .ack = ack, .flags = TERN_TCP_ACK | TERN_TCP_PSH, .wnd = 1000};
	h.opts.present = TERN_TCPO_TS;
	h.opts.ts_val = seq * 2654435761u;
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, junk, sizeof junk, ai->remote.addr,
				   ai->local.addr);
	size_t n = fx_ip4(pkt, ai->remote.addr, ai->local.addr, TERN_IPPROTO_TCP, 9, 0, false, seg, sl);
	fx_input(&p->side[0], pkt, n, p->now);
}

/* RFC 5961: 1,000,000 blind RSTs, SYNs and data segments spread over the
 * whole sequence space (and random ACK values) over 10 s, while the real
 * peer keeps sending: the connection survives, the stream is exactly what
 * the peer sent, and the answers stay within the per-second budget. */
TT_TEST(test_a_million_blind_segments_neither_reset_nor_corrupt_a_connection)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	p.filter = watch_b;
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	tern_tcp_info ai;
	TT_EQ(tern_socket_info(c, &ai), 0);
	tern_counters c0;
	tern_stack_counters(pair_st(&p, 0), &c0);
	uint8_t chunk[1000], b[4096];
	uint64_t want = FX_FNV_BASIS, got_h = want;
	size_t sent = 0, got = 0;
	uint64_t rnd = 0x2545f4914f6cdd1dull;
	for (uint32_t i = 0; i < 1000000; i++) {
		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t seq = (uint32_t)(rnd >> 32), ack = (uint32_t)rnd;
		if (i % 3 == 0)
			inject(&p, &ai, seq, TERN_TCP_RST);
		else if (i % 3 == 1)
			inject(&p, &ai, seq, TERN_TCP_SYN);
		else
			inject_data(&p, &ai, seq, ack);
		if (i % 10000 == 9999) {
			for (size_t k = 0; k < sizeof chunk; k++)
				chunk[k] = (uint8_t)(sent + k * 13);
			TT_EQ(tern_socket_send(s, chunk, sizeof chunk, 0), (long)sizeof chunk);
			want = fx_fnv(want, chunk, sizeof chunk);
			sent += sizeof chunk;
			pair_run(&p, p.now + TERN_MS(100));
			long r;
			while ((r = tern_socket_recv(c, b, sizeof b, 0)) > 0) {
				got_h = fx_fnv(got_h, b, (size_t)r);
				got += (size_t)r;
			}
		}
	}
	TT_EQ(tern_socket_info(c, &ai), 0);
	TT_EQ(ai.state, TERN_TCP_ESTABLISHED);
	TT_EQ(got, sent);
	TT_CHECK(got_h == want);
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 0), &ct);
	uint64_t answered = ct.tcp_out_segs - c0.tcp_out_segs;
	printf("# %llu segments answered in %.1f s (%llu budget-limited)\n",
	       (unsigned long long)answered, (double)(p.now - TERN_MS(100)) / 1e6,
	       (unsigned long long)(ct.tcp_oow_acks_limited - c0.tcp_oow_acks_limited));
	/* 10 s at 1,000 a second (randomised), plus the real ACKs of 100 chunks */
	TT_CHECK(answered <= 10 * 1500 + 200);
	pair_fini(&p);
}

TT_MAIN(test_blind_resets_and_syns_earn_only_rate_limited_challenge_acks,
	test_a_million_blind_segments_neither_reset_nor_corrupt_a_connection)
