/* test_tcp_api.c - misuse of the TCP socket API returns errno-style codes
 * and changes nothing; RFC 9293 3.9.1: no active OPEN to a broadcast or
 * multicast address (MUST-46). */
#include "fixture.h"
#include "tt.h"

TT_TEST(test_connect_to_broadcast_or_multicast_is_refused)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s;
	TT_EQ(tern_tcp_open(f.st, &s), 0);
	tern_endpoint bcast = {TERN_IP4(192, 0, 2, 255), 80}, mcast = {TERN_IP4(224, 0, 0, 1), 80},
		      limited = {0xffffffffu, 80};
	TT_EQ(tern_socket_connect(s, &bcast), TERN_ENETUNREACH);
	TT_EQ(tern_socket_connect(s, &limited), TERN_ENETUNREACH);
	tern_route_add(f.st, 0, 0, FX_PEER, f.ifc);
	TT_EQ(tern_socket_connect(s, &mcast), TERN_ENETUNREACH);
	TT_EQ(f.nout, 0);
	fx_fini(&f);
}

TT_TEST(test_tcp_api_misuse_returns_errno_codes)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *t, *u, *x;
	TT_EQ(tern_tcp_open(f.st, &t), 0);
	TT_EQ(tern_udp_open(f.st, &u), 0);
	uint8_t b[4];
	TT_EQ(tern_socket_send(t, "x", 1, 0), TERN_ENOTCONN);
	TT_EQ(tern_socket_recv(t, b, sizeof b, 0), TERN_ENOTCONN);
	TT_EQ(tern_socket_shutdown(t, TERN_SHUT_WR), TERN_ENOTCONN);
	TT_EQ(tern_socket_shutdown(t, 7), TERN_EINVAL);
	TT_EQ(tern_socket_accept(t, &x, NULL), TERN_EINVAL);
	TT_EQ(tern_socket_listen(u, 5), TERN_EOPNOTSUPP);
	TT_EQ(tern_socket_listen(t, 0), TERN_EINVAL);
	TT_EQ(tern_socket_set_cc(t, "nosuch"), TERN_ENOENT);
	TT_EQ(tern_socket_set_cc(t, "newreno"), 0);
	TT_EQ(tern_socket_setopt(t, TERN_SO_KEEPCNT, 0), TERN_EINVAL);
	TT_EQ(tern_socket_setopt(t, 12345, 1), TERN_EINVAL);
	tern_tcp_info info;
	TT_EQ(tern_socket_info(u, &info), TERN_EINVAL);
	TT_EQ(tern_socket_info(t, &info), 0);
	TT_EQ(info.state, TERN_TCP_CLOSED);
	tern_endpoint port0 = {FX_PEER, 0};
	TT_EQ(tern_socket_connect(t, &port0), TERN_EINVAL);
	TT_EQ(tern_socket_listen(t, 5), 0);
	tern_endpoint peer = {FX_PEER, 80};
	TT_EQ(tern_socket_connect(t, &peer), TERN_EINVAL);  /* a listener */
	TT_EQ(tern_socket_accept(t, &x, NULL), TERN_EAGAIN);
	TT_EQ(tern_socket_info(t, &info), 0);
	TT_EQ(info.state, TERN_TCP_LISTEN);
	TT_EQ(f.nout, 0);
	fx_fini(&f);
}

/* RFC 9293 MUST-48/49 (RFC 1122 4.2.4.2): the application sets the type of
 * service and the TTL of its segments. */
TT_TEST(test_tos_and_ttl_options_reach_the_ip_header)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *t, *u;
	TT_EQ(tern_tcp_open(f.st, &t), 0);
	TT_EQ(tern_udp_open(f.st, &u), 0);
	TT_EQ(tern_socket_setopt(t, TERN_SO_TTL, 0), TERN_EINVAL);
	TT_EQ(tern_socket_setopt(t, TERN_SO_TOS, 256), TERN_EINVAL);
	TT_EQ(tern_socket_setopt(t, TERN_SO_TOS, 0x10), 0);
	TT_EQ(tern_socket_setopt(t, TERN_SO_TTL, 7), 0);
	TT_EQ(tern_socket_setopt(u, TERN_SO_TOS, 0xb8), 0);
	TT_EQ(tern_socket_setopt(u, TERN_SO_TTL, 3), 0);
	int v;
	TT_EQ(tern_socket_getopt(t, TERN_SO_TTL, &v), 0);
	TT_EQ(v, 7);
	tern_endpoint peer = {FX_PEER, 80};
	TT_EQ(tern_socket_connect(t, &peer), TERN_EINPROGRESS);
	TT_EQ(tern_socket_sendto(u, "x", 1, &peer), 1);
	TT_EQ(f.nout, 2);
	tern_ip4_repr a, b;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &a), 0);
	TT_EQ(tern_ip4_parse(f.out[1].data, f.out[1].len, true, &b), 0);
	TT_EQ(a.tos, 0x10);
	TT_EQ(a.ttl, 7);
	TT_CHECK(a.df);
	TT_EQ(b.tos, 0xb8);
	TT_EQ(b.ttl, 3);
	fx_fini(&f);
}

static uint8_t flags_sent(const fixture *f, size_t i)
{
	tern_tcp_repr t;
	tern_tcp_parse(f->out[i].data + 20, f->out[i].len - 20, FX_US, FX_PEER, false, &t);
	return t.flags;
}

/* RFC 9293 3.9.1.1 (MUST-42): a port may be listened on while a connection
 * from the same local port is opening; both sockets ask for it with
 * TERN_SO_REUSEADDR, and only one of them may listen. */
TT_TEST(test_listener_and_connecting_socket_share_a_port_with_reuseaddr)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *c, *l, *l2, *plain;
	tern_endpoint p5000 = {0, 5000}, peer = {FX_PEER, 80};
	TT_EQ(tern_tcp_open(f.st, &c), 0);
	TT_EQ(tern_tcp_open(f.st, &l), 0);
	TT_EQ(tern_tcp_open(f.st, &l2), 0);
	TT_EQ(tern_tcp_open(f.st, &plain), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_REUSEADDR, 1), 0);
	TT_EQ(tern_socket_setopt(l, TERN_SO_REUSEADDR, 1), 0);
	TT_EQ(tern_socket_setopt(l2, TERN_SO_REUSEADDR, 1), 0);
	TT_EQ(tern_socket_bind(c, &p5000), 0);
	TT_EQ(tern_socket_connect(c, &peer), TERN_EINPROGRESS);
	TT_EQ(tern_socket_bind(plain, &p5000), TERN_EADDRINUSE);  /* it did not ask */
	TT_EQ(tern_socket_bind(l, &p5000), 0);
	TT_EQ(tern_socket_listen(l, 4), 0);
	TT_EQ(tern_socket_bind(l2, &p5000), TERN_EADDRINUSE);  /* one listener only */
	/* a SYN from another peer port reaches the listener, not the connection */
	uint8_t seg[64], pkt[128];
	tern_tcp_repr h = {.sport = 41000, .dport = 5000, .seq = 9, .flags = TERN_TCP_SYN, .wnd = 1000};
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, FX_PEER, FX_US);
	size_t n = fx_ip4(pkt, FX_PEER, FX_US, TERN_IPPROTO_TCP, 2, 0, false, seg, sl);
	fx_input(&f, pkt, n, TERN_MS(1));
	TT_EQ(f.nout, 2);  /* our SYN, then the listener's SYN-ACK */
	TT_EQ(flags_sent(&f, 1), TERN_TCP_SYN | TERN_TCP_ACK);
	tern_tcp_info i;
	TT_EQ(tern_socket_info(c, &i), 0);
	TT_EQ(i.state, TERN_TCP_SYN_SENT);
	fx_fini(&f);
}

/* The classic abortive close: SO_LINGER 0, then close, sends RST. */
TT_TEST(test_close_with_linger_zero_sends_rst)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *c;
	tern_endpoint peer = {FX_PEER, 80};
	TT_EQ(tern_tcp_open(f.st, &c), 0);
	TT_EQ(tern_socket_connect(c, &peer), TERN_EINPROGRESS);
	tern_tcp_repr syn;
	TT_EQ(tern_tcp_parse(f.out[0].data + 20, f.out[0].len - 20, FX_US, FX_PEER, true, &syn), 0);
	uint8_t seg[64], pkt[128];
	tern_tcp_repr h = {.sport = 80, .dport = syn.sport, .seq = 500, .ack = syn.seq + 1,
			   .flags = TERN_TCP_SYN | TERN_TCP_ACK, .wnd = 8000};
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, FX_PEER, FX_US);
	size_t n = fx_ip4(pkt, FX_PEER, FX_US, TERN_IPPROTO_TCP, 2, 0, false, seg, sl);
	fx_input(&f, pkt, n, TERN_MS(1));
	TT_EQ(tern_socket_setopt(c, TERN_SO_LINGER, 0), 0);
	fx_clear(&f);
	TT_EQ(tern_socket_close(c), 0);
	TT_EQ(f.nout, 1);
	TT_EQ(flags_sent(&f, 0), TERN_TCP_RST);
	fx_fini(&f);
}

TT_MAIN(test_connect_to_broadcast_or_multicast_is_refused, test_tcp_api_misuse_returns_errno_codes,
	test_tos_and_ttl_options_reach_the_ip_header,
	test_listener_and_connecting_socket_share_a_port_with_reuseaddr,
	test_close_with_linger_zero_sends_rst)
