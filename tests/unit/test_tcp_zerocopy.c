/* test_tcp_zerocopy.c - tern_socket_send_view/_done and
 * tern_socket_recv_view/_done: the application writes into the send ring
 * and reads from the receive ring in place; bytes arrive intact across the
 * rings' wrap, nothing is consumed before done, misuse is refused. */
#include "pair.h"
#include "tt.h"

static uint8_t data[1 << 20];

TT_TEST(test_zero_copy_send_and_receive_move_1mb_intact_across_ring_wraps)
{
	pair p;
	fx_fill(data, sizeof data, 0x13198a2e03707344ull);
	TT_EQ(pair_init(&p, TERN_MS(1)), 0);
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	size_t sent = 0, got = 0, views = 0;
	uint64_t h = FX_FNV_BASIS;
	for (int round = 0; round < 20000 && got < sizeof data; round++) {
		void *w;
		int room;
		while (sent < sizeof data && (room = tern_socket_send_view(c, &w)) > 0) {
			size_t n = sizeof data - sent < (size_t)room ? sizeof data - sent : (size_t)room;
			memcpy(w, data + sent, n);
			TT_EQ(tern_socket_send_done(c, n), 0);
			sent += n;
		}
		pair_run(&p, p.now + TERN_MS(1));
		const void *r;
		int n;
		while ((n = tern_socket_recv_view(s, &r)) > 0) {
			h = fx_fnv(h, r, (size_t)n);
			TT_EQ(tern_socket_recv_done(s, (size_t)n), 0);
			got += (size_t)n;
			views++;
		}
		TT_EQ(n, TERN_EAGAIN);
	}
	TT_EQ(got, sizeof data);
	TT_EQ(h, fx_fnv(FX_FNV_BASIS, data, sizeof data));
	/* 1 MiB through a 64 KiB ring: the views wrapped many times. */
	TT_CHECK(views > sizeof data / 65536);
	pair_fini(&p);
}

TT_TEST(test_recv_view_consumes_nothing_until_done_then_reports_end_of_stream)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(1)), 0);
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	TT_EQ(tern_socket_send(c, "hello world", 11, 0), 11);
	TT_EQ(tern_socket_shutdown(c, TERN_SHUT_WR), 0);
	pair_run(&p, p.now + TERN_MS(10));
	const void *r, *r2;
	TT_EQ(tern_socket_recv_view(s, &r), 11);
	TT_EQ(memcmp(r, "hello world", 11), 0);
	/* Looking again finds the same bytes: nothing was consumed. */
	TT_EQ(tern_socket_recv_view(s, &r2), 11);
	TT_CHECK(r == r2);
	TT_EQ(tern_socket_recv_done(s, 12), TERN_EINVAL);
	TT_EQ(tern_socket_recv_done(s, 6), 0);
	TT_EQ(tern_socket_recv_view(s, &r), 5);
	TT_EQ(memcmp(r, "world", 5), 0);
	TT_EQ(tern_socket_recv_done(s, 5), 0);
	/* The peer's FIN is behind the data. */
	TT_EQ(tern_socket_recv_view(s, &r), 0);
	TT_CHECK(r == NULL);
	pair_fini(&p);
}

TT_TEST(test_send_done_queues_only_what_the_view_gave_and_zero_sends_nothing)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(1)), 0);
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	void *w;
	int room = tern_socket_send_view(c, &w);
	TT_CHECK(room >= 1024);
	TT_EQ(tern_socket_send_done(c, (size_t)room + 1), TERN_EINVAL);
	TT_EQ(tern_socket_send_done(c, 0), 0);
	pair_run(&p, p.now + TERN_MS(10));
	uint8_t buf[16];
	TT_EQ(tern_socket_recv(s, buf, sizeof buf, 0), TERN_EAGAIN);
	TT_CHECK(tern_socket_send_view(c, &w) > 3);
	memcpy(w, "abc", 3);
	TT_EQ(tern_socket_send_done(c, 3), 0);
	pair_run(&p, p.now + TERN_MS(10));
	TT_EQ(tern_socket_recv(s, buf, sizeof buf, 0), 3);
	TT_EQ(memcmp(buf, "abc", 3), 0);
	/* After shutdown of the write side there is nothing to write into. */
	TT_EQ(tern_socket_shutdown(c, TERN_SHUT_WR), 0);
	TT_EQ(tern_socket_send_view(c, &w), TERN_EPIPE);
	TT_CHECK(w == NULL);
	TT_EQ(tern_socket_send_done(c, 0), TERN_EPIPE);
	pair_fini(&p);
}

TT_TEST(test_views_refuse_udp_sockets_and_null_arguments)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *u;
	TT_EQ(tern_udp_open(f.st, &u), 0);
	void *w;
	const void *r;
	TT_EQ(tern_socket_send_view(u, &w), TERN_EOPNOTSUPP);
	TT_EQ(tern_socket_recv_view(u, &r), TERN_EOPNOTSUPP);
	TT_EQ(tern_socket_send_done(u, 0), TERN_EOPNOTSUPP);
	TT_EQ(tern_socket_recv_done(u, 0), TERN_EOPNOTSUPP);
	TT_EQ(tern_socket_send_view(NULL, &w), TERN_EINVAL);
	TT_EQ(tern_socket_recv_view(u, NULL), TERN_EINVAL);
	TT_EQ(tern_socket_send_done(NULL, 0), TERN_EINVAL);
	tern_socket *t;
	TT_EQ(tern_tcp_open(f.st, &t), 0);
	TT_EQ(tern_socket_send_view(t, &w), TERN_ENOTCONN);
	TT_EQ(tern_socket_recv_view(t, &r), TERN_ENOTCONN);
	fx_fini(&f);
}

TT_MAIN(test_zero_copy_send_and_receive_move_1mb_intact_across_ring_wraps,
	test_recv_view_consumes_nothing_until_done_then_reports_end_of_stream,
	test_send_done_queues_only_what_the_view_gave_and_zero_sends_nothing,
	test_views_refuse_udp_sockets_and_null_arguments)
