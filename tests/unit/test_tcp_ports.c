/* test_tcp_ports.c - the bound-port table (tcp_ports.c) stays right as it
 * grows from 64 buckets to thousands and back: every bound port refuses a
 * second bind, listeners anywhere in it still take their SYNs, and once
 * the sockets are closed every port is free again. */
#include "fixture.h"
#include "tt.h"

#define N 5000
#define US TERN_IP4(192, 0, 2, 2)
#define PEER TERN_IP4(192, 0, 2, 1)

static tern_socket *socks[N];

/* A SYN from the peer to port; true when the answer is a SYN-ACK. */
static bool syn_gets_synack(fixture *f, uint16_t port, uint32_t seq)
{
	uint8_t seg[64], pkt[128];
	tern_tcp_repr h = {.sport = 40000, .dport = port, .seq = seq, .flags = TERN_TCP_SYN,
			   .wnd = 65535};
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, PEER, US);
	size_t k = fx_ip4(pkt, PEER, US, TERN_IPPROTO_TCP, 1, 0, false, seg, sl);
	fx_clear(f);
	fx_input(f, pkt, k, 0);
	tern_ip4_repr ip;
	tern_tcp_repr t;
	return f->nout == 1 && tern_ip4_parse(f->out[0].data, f->out[0].len, true, &ip) == 0 &&
	       tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, true, &t) == 0 &&
	       t.flags == (TERN_TCP_SYN | TERN_TCP_ACK) && t.sport == port;
}

TT_TEST(test_port_table_grows_and_every_port_stays_found)
{
	fixture f;
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.max_sockets = N + 16;
	TT_EQ(fx_init_cfg(&f, US, 24, 1500, &cfg), 0);
	for (int i = 0; i < N; i++) {
		tern_endpoint e = {0, (uint16_t)(1000 + i)};
		TT_EQ(tern_tcp_open(f.st, &socks[i]), 0);
		TT_EQ(tern_socket_bind(socks[i], &e), 0);
		if (i % 500 == 7)
			TT_EQ(tern_socket_listen(socks[i], 4), 0);
	}
	/* every port is taken, whichever bucket it moved to */
	for (int i = 0; i < N; i += 97) {
		tern_socket *x;
		tern_endpoint e = {0, (uint16_t)(1000 + i)};
		TT_EQ(tern_tcp_open(f.st, &x), 0);
		TT_EQ(tern_socket_bind(x, &e), TERN_EADDRINUSE);
		tern_socket_close(x);
	}
	/* the listeners take SYNs; a bound socket that does not listen refuses */
	for (int i = 7; i < N; i += 500)
		TT_CHECK(syn_gets_synack(&f, (uint16_t)(1000 + i), (uint32_t)i));
	TT_CHECK(!syn_gets_synack(&f, 1000 + 8, 8));
	for (int i = 0; i < N; i++)
		tern_socket_close(socks[i]);
	tern_socket *y;
	tern_endpoint e = {0, 1000 + 7};
	TT_EQ(tern_tcp_open(f.st, &y), 0);
	TT_EQ(tern_socket_bind(y, &e), 0);
	tern_socket_close(y);
	fx_fini(&f);
}

TT_MAIN(test_port_table_grows_and_every_port_stays_found)
