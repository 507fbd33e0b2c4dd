/* test_tcp_basic.c - TCP between two tern stacks wired back to back:
 * handshake, transfer, close, refused connections. */
#include "core/siphash.h"
#include "pair.h"
#include "tt.h"

#define A_ADDR TERN_IP4(192, 0, 2, 1)
#define B_ADDR TERN_IP4(192, 0, 2, 2)

typedef struct conn {
	tern_socket *cli, *lst, *srv;
} conn;

static int open_conn(pair *p, conn *c, uint16_t port)
{
	memset(c, 0, sizeof *c);
	tern_endpoint any = {0, port}, dst = {B_ADDR, port};
	if (tern_tcp_open(pair_st(p, 1), &c->lst) || tern_socket_bind(c->lst, &any) ||
	    tern_socket_listen(c->lst, 16))
		return -1;
	if (tern_tcp_open(pair_st(p, 0), &c->cli))
		return -2;
	if (tern_socket_connect(c->cli, &dst) != TERN_EINPROGRESS)
		return -3;
	pair_run(p, p->now + TERN_MS(100));
	if (tern_socket_accept(c->lst, &c->srv, NULL))
		return -4;
	return 0;
}

TT_TEST(test_handshake_reaches_established_on_both_sides)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	conn c;
	TT_EQ(open_conn(&p, &c, 80), 0);
	tern_tcp_info a, b;
	TT_EQ(tern_socket_info(c.cli, &a), 0);
	TT_EQ(tern_socket_info(c.srv, &b), 0);
	TT_EQ(a.state, TERN_TCP_ESTABLISHED);
	TT_EQ(b.state, TERN_TCP_ESTABLISHED);
	TT_EQ(a.smss, 1448);  /* 1460 less the 12 bytes of timestamps (RFC 7323) */
	TT_EQ(b.remote.port, a.local.port);
	TT_CHECK(a.local.port >= 49152);
	TT_CHECK(tern_socket_events(c.cli) & TERN_EV_WRITABLE);
	pair_fini(&p);
}

static uint64_t hash_bytes(const uint8_t *d, size_t n)
{
	static const uint8_t key[16] = {1};
	return tern_siphash(key, d, n);
}

/* Push `n` bytes from one socket to another, pumping the pair. */
static size_t transfer(pair *p, tern_socket *from, tern_socket *to, const uint8_t *data, size_t n,
		       uint8_t *out)
{
	size_t sent = 0, got = 0;
	for (int round = 0; round < 100000 && got < n; round++) {
		if (sent < n) {
			int k = tern_socket_send(from, data + sent, n - sent, 0);
			if (k > 0)
				sent += (size_t)k;
		}
		for (;;) {
			int k = tern_socket_recv(to, out + got, n - got, 0);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		pair_run(p, p->now + TERN_MS(1));
	}
	return got;
}

TT_TEST(test_one_megabyte_transfer_arrives_intact)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	conn c;
	TT_EQ(open_conn(&p, &c, 80), 0);
	size_t n = 1 << 20;
	uint8_t *data = malloc(n), *out = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	TT_EQ(transfer(&p, c.cli, c.srv, data, n, out), n);
	TT_CHECK(hash_bytes(data, n) == hash_bytes(out, n));
	free(data);
	free(out);
	pair_fini(&p);
}

static int drop_every = 0, drop_count = 0;
static bool lossy(pair *p, int from, uint8_t *pkt, size_t len)
{
	(void)p;
	(void)from;
	(void)pkt;
	(void)len;
	return drop_every == 0 || (++drop_count % drop_every) != 0;
}

TT_TEST(test_transfer_with_loss_arrives_intact)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	conn c;
	TT_EQ(open_conn(&p, &c, 80), 0);
	p.filter = lossy;
	drop_every = 17;
	size_t n = 300000;
	uint8_t *data = malloc(n), *out = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	TT_EQ(transfer(&p, c.cli, c.srv, data, n, out), n);
	TT_CHECK(hash_bytes(data, n) == hash_bytes(out, n));
	tern_counters ca;
	tern_stack_counters(pair_st(&p, 0), &ca);
	TT_CHECK(ca.tcp_retrans_segs > 0);
	drop_every = 0;
	free(data);
	free(out);
	pair_fini(&p);
}

TT_TEST(test_close_both_ways_ends_in_time_wait_and_closed)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	conn c;
	TT_EQ(open_conn(&p, &c, 80), 0);
	TT_EQ(tern_socket_shutdown(c.cli, TERN_SHUT_WR), 0);
	pair_run(&p, p.now + TERN_MS(50));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(c.srv, b, sizeof b, 0), 0); /* end of stream */
	tern_tcp_info i;
	tern_socket_info(c.cli, &i);
	TT_EQ(i.state, TERN_TCP_FIN_WAIT_2);
	tern_socket_info(c.srv, &i);
	TT_EQ(i.state, TERN_TCP_CLOSE_WAIT);
	TT_EQ(tern_socket_close(c.srv), 0);
	pair_run(&p, p.now + TERN_MS(50));
	tern_socket_info(c.cli, &i);
	TT_EQ(i.state, TERN_TCP_TIME_WAIT);
	TT_EQ(tern_socket_close(c.cli), 0);
	TT_EQ(tern_socket_close(c.lst), 0);
	/* 2*MSL later the record is gone and nothing is allocated but the stacks */
	pair_run(&p, p.now + TERN_SEC(61));
	tern_tcp_walk_fn none = NULL;
	(void)none;
	pair_fini(&p);
	TT_EQ(p.side[0].alloc.live_bytes, 0);
	TT_EQ(p.side[1].alloc.live_bytes, 0);
}

TT_TEST(test_connect_to_closed_port_is_refused)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	tern_socket *s;
	TT_EQ(tern_tcp_open(pair_st(&p, 0), &s), 0);
	tern_endpoint dst = {B_ADDR, 81};
	TT_EQ(tern_socket_connect(s, &dst), TERN_EINPROGRESS);
	pair_run(&p, TERN_MS(100));
	TT_CHECK(tern_socket_events(s) & TERN_EV_ERROR);
	uint8_t b[4];
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), TERN_ECONNREFUSED);
	pair_fini(&p);
}

TT_MAIN(test_handshake_reaches_established_on_both_sides,
	test_one_megabyte_transfer_arrives_intact, test_transfer_with_loss_arrives_intact,
	test_close_both_ways_ends_in_time_wait_and_closed, test_connect_to_closed_port_is_refused)
