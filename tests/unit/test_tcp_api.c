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

TT_MAIN(test_connect_to_broadcast_or_multicast_is_refused, test_tcp_api_misuse_returns_errno_codes,
	test_tos_and_ttl_options_reach_the_ip_header)
