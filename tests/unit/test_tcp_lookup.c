/* test_tcp_lookup.c - finding the connection of an arriving segment: the
 * one-entry cache of the last connection found (tcp_conn.c) never hands a
 * segment to another connection, nor to one that is gone. */
#include "pair.h"
#include "tt.h"

/* Hash into *h everything s has to read. */
static void drain(tern_socket *s, uint64_t *h)
{
	uint8_t buf[4096];
	int n;
	while ((n = tern_socket_recv(s, buf, sizeof buf, 0)) > 0)
		*h = fx_fnv(*h, buf, (size_t)n);
}

/* Two connections' bytes, interleaved segment by segment, each arrive at
 * their own socket only. */
TT_TEST(test_segments_of_two_interleaved_connections_each_reach_their_own)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(1)), 0);
	tern_socket *l, *c1, *s1, *c2, *s2;
	TT_EQ(pair_connect(&p, 80, &l, &c1, &s1), 0);
	tern_endpoint dst = {TERN_IP4(192, 0, 2, 2), 80};
	TT_EQ(tern_tcp_open(pair_st(&p, 0), &c2), 0);
	TT_EQ(tern_socket_connect(c2, &dst), TERN_EINPROGRESS);
	pair_run(&p, p.now + TERN_MS(100));
	TT_EQ(tern_socket_accept(l, &s2, NULL), 0);
	uint64_t want1 = FX_FNV_BASIS, want2 = FX_FNV_BASIS, got1 = FX_FNV_BASIS,
		 got2 = FX_FNV_BASIS;
	uint8_t a[100], b[100];
	for (int i = 0; i < 200; i++) {
		memset(a, 'a' + i % 26, sizeof a);
		memset(b, 'A' + i % 26, sizeof b);
		TT_EQ(tern_socket_send(c1, a, sizeof a, 0), (int)sizeof a);
		TT_EQ(tern_socket_send(c2, b, sizeof b, 0), (int)sizeof b);
		want1 = fx_fnv(want1, a, sizeof a);
		want2 = fx_fnv(want2, b, sizeof b);
		pair_run(&p, p.now + TERN_MS(2));
		drain(s1, &got1);
		drain(s2, &got2);
	}
	/* Nagle held back the last small pieces until their ACKs came. */
	pair_run(&p, p.now + TERN_MS(500));
	drain(s1, &got1);
	drain(s2, &got2);
	TT_EQ(got1, want1);
	TT_EQ(got2, want2);
	pair_fini(&p);
}

/* After B aborts the connection its last segment went to, a segment for
 * the same 4-tuple finds nothing (RFC 9293 3.10.7.1: CLOSED answers with
 * RST), not the freed connection: under AddressSanitizer a stale entry
 * would be a use after free. */
TT_TEST(test_segment_for_an_aborted_connection_finds_no_stale_entry)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(1)), 0);
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	TT_EQ(tern_socket_send(c, "one", 3, 0), 3);
	pair_run(&p, p.now + TERN_MS(500));
	uint8_t buf[8];
	TT_EQ(tern_socket_recv(s, buf, sizeof buf, 0), 3);
	/* B's RST is lost, so A still believes in the connection. */
	TT_EQ(tern_socket_abort(s), 0);
	fx_clear(&p.side[1]);
	tern_counters k0, k;
	tern_stack_counters(pair_st(&p, 1), &k0);
	TT_EQ(tern_socket_send(c, "two", 3, 0), 3);
	pair_run(&p, p.now + TERN_MS(50));
	tern_stack_counters(pair_st(&p, 1), &k);
	TT_EQ(k.tcp_out_rsts, k0.tcp_out_rsts + 1);
	TT_EQ(tern_socket_recv(c, buf, sizeof buf, 0), TERN_ECONNRESET);
	pair_fini(&p);
}

TT_MAIN(test_segments_of_two_interleaved_connections_each_reach_their_own,
	test_segment_for_an_aborted_connection_finds_no_stale_entry)
