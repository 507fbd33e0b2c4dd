/* test_tcp_window_update.c - when a read makes the receiver send a window
 * update of its own (src/tcp/tcp_user.c maybe_window_update): when the
 * window the peer knows is closed or small, or the opening is large; never
 * for each small read from a roomy window. */
#include "pair.h"
#include "tt.h"

typedef struct acks {
	unsigned count;
	uint32_t last_wnd;
} acks;

/* Counts B's segments without data or flags beyond ACK. */
static bool count_acks(pair *p, int from, uint8_t *pkt, size_t len)
{
	acks *a = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (from != 1 || tern_ip4_parse(pkt, len, false, &ip) ||
	    tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t))
		return true;
	if (t.payload_len == 0 && t.flags == TERN_TCP_ACK) {
		a->count++;
		a->last_wnd = t.wnd;
	}
	return true;
}

static uint8_t data[200000];

/* A connection with A having sent n bytes that B holds unread. */
static void setup(pair *p, acks *a, tern_socket **c, tern_socket **s, size_t n)
{
	tern_socket *l;
	TT_EQ(pair_init(p, TERN_MS(1)), 0);
	TT_EQ(pair_connect(p, 80, &l, c, s), 0);
	size_t sent = 0;
	for (int i = 0; i < 100 && sent < n; i++) {
		int k = tern_socket_send(*c, data + sent, n - sent, 0);
		if (k > 0)
			sent += (size_t)k;
		pair_run(p, p->now + TERN_MS(5));
	}
	/* Delayed ACKs have gone out; count from here. */
	pair_run(p, p->now + TERN_MS(500));
	p->filter = count_acks;
	p->ctx = a;
}

/* Read n bytes from s, then let the stacks answer (no timer fires). */
static void read_some(pair *p, tern_socket *s, size_t n)
{
	static uint8_t buf[65536];
	TT_EQ(tern_socket_recv(s, buf, n, 0), (int)n);
	pair_run(p, p->now + TERN_MS(1));
}

TT_TEST(test_small_reads_from_a_roomy_window_send_no_segment_of_their_own)
{
	pair p;
	acks a = {0};
	tern_socket *c, *s;
	setup(&p, &a, &c, &s, 20000);
	for (int i = 0; i < 3; i++)
		read_some(&p, s, 4096);
	/* 12 KiB read in three pieces from a 64 KiB buffer of which the peer
	 * knows 44 KiB free: the opening is small and the peer not short. */
	TT_EQ(a.count, 0);
	/* The fourth brings the opening to a quarter of the buffer. */
	read_some(&p, s, 4096);
	TT_EQ(a.count, 1);
	pair_fini(&p);
}

TT_TEST(test_a_read_that_reopens_a_closed_window_is_announced_at_once)
{
	pair p;
	acks a = {0};
	tern_socket *c, *s;
	setup(&p, &a, &c, &s, sizeof data);
	tern_tcp_info si;
	TT_EQ(tern_socket_info(s, &si), 0);
	TT_EQ(si.rcv_wnd, 0);
	read_some(&p, s, 4096);
	TT_CHECK(a.count >= 1);
	TT_CHECK(a.last_wnd >= 4096);
	pair_fini(&p);
}

TT_TEST(test_a_read_of_a_quarter_of_the_buffer_is_announced)
{
	pair p;
	acks a = {0};
	tern_socket *c, *s;
	setup(&p, &a, &c, &s, 40000);
	read_some(&p, s, 8192);
	TT_EQ(a.count, 0);
	read_some(&p, s, 16384);
	TT_EQ(a.count, 1);
	pair_fini(&p);
}

/* One segment waits for its delayed ACK; the reader taking part of it
 * sends nothing, taking the rest sends the ACK at once (no 40 ms wait that
 * would stall a sender whose flight ended on it). */
TT_TEST(test_a_read_that_takes_all_unacked_data_sends_the_ack_at_once)
{
	pair p;
	acks a = {0};
	tern_socket *c, *s;
	setup(&p, &a, &c, &s, 0);
	TT_EQ(tern_socket_send(c, data, 1000, 0), 1000);
	pair_run(&p, p.now + TERN_MS(2));
	TT_EQ(a.count, 0);  /* the delayed ACK waits */
	read_some(&p, s, 600);
	TT_EQ(a.count, 0);
	read_some(&p, s, 400);
	TT_EQ(a.count, 1);
	pair_fini(&p);
}

TT_MAIN(test_small_reads_from_a_roomy_window_send_no_segment_of_their_own,
	test_a_read_that_reopens_a_closed_window_is_announced_at_once,
	test_a_read_of_a_quarter_of_the_buffer_is_announced,
	test_a_read_that_takes_all_unacked_data_sends_the_ack_at_once)
