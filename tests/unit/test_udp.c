/* test_udp.c - UDP sockets: bind / connect / sendto / recvfrom semantics,
 * errno-style errors for misuse, ICMP port unreachable as ECONNREFUSED on a
 * connected socket, the receive queue limit, optional checksums. */
#include "fixture.h"
#include "tt.h"

static uint8_t buf[70000];

static tern_socket *bound(fixture *f, uint16_t port)
{
	tern_socket *s = NULL;
	tern_endpoint ep = {0, port};
	if (tern_udp_open(f->st, &s) || tern_socket_bind(s, &ep))
		return NULL;
	return s;
}

TT_TEST(test_udp_datagram_reaches_bound_socket_with_sender)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = bound(&f, 7);
	TT_CHECK(s);
	uint8_t msg[] = "hello tern";
	size_t n = fx_udp(buf, FX_PEER, 40001, FX_US, 7, msg, sizeof msg);
	fx_input(&f, buf, n, 0);
	TT_CHECK(tern_socket_events(s) & TERN_EV_READABLE);
	uint8_t out[64];
	tern_endpoint from;
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, &from), sizeof msg);
	TT_CHECK(memcmp(out, msg, sizeof msg) == 0);
	TT_EQ(from.addr, FX_PEER);
	TT_EQ(from.port, 40001);
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, &from), TERN_EAGAIN);
	fx_fini(&f);
}

TT_TEST(test_udp_sendto_builds_valid_datagram_with_checksum)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = bound(&f, 5000);
	tern_endpoint to = {FX_PEER, 9999};
	TT_EQ(tern_socket_sendto(s, "abc", 3, &to), 3);
	TT_EQ(f.nout, 1);
	tern_ip4_repr ip;
	tern_udp_repr u;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &ip), 0);
	TT_EQ(tern_udp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, true, &u), 0);
	TT_CHECK(u.csum != 0);
	TT_EQ(u.sport, 5000);
	TT_EQ(u.dport, 9999);
	TT_CHECK(u.payload_len == 3 && memcmp(u.payload, "abc", 3) == 0);
	fx_fini(&f);
}

TT_TEST(test_udp_checksum_can_be_turned_off_and_zero_is_accepted)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = bound(&f, 5000);
	TT_EQ(tern_socket_setopt(s, TERN_SO_UDP_CHECKSUM, 0), 0);
	tern_endpoint to = {FX_PEER, 9999};
	TT_EQ(tern_socket_sendto(s, "abc", 3, &to), 3);
	TT_EQ(tern_get16(f.out[0].data + 20 + 6), 0);
	/* an incoming datagram with checksum 0 (RFC 768: none computed) */
	uint8_t u[12] = {0x9c, 0x41, 0x13, 0x88, 0, 12, 0, 0, 'x', 'y', 'z', '!'};
	size_t n = fx_ip4(buf, FX_PEER, FX_US, TERN_IPPROTO_UDP, 3, 0, false, u, sizeof u);
	fx_input(&f, buf, n, 0);
	uint8_t out[8];
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), 4);
	TT_CHECK(memcmp(out, "xyz!", 4) == 0);
	fx_fini(&f);
}

TT_TEST(test_udp_bad_checksum_is_dropped_and_counted)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = bound(&f, 7);
	size_t n = fx_udp(buf, FX_PEER, 40001, FX_US, 7, (const uint8_t *)"data", 4);
	buf[n - 1] ^= 0x01;
	fx_input(&f, buf, n, 0);
	uint8_t out[8];
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), TERN_EAGAIN);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.udp_in_errors, 1);
	TT_EQ(f.nout, 0); /* no ICMP about a corrupt datagram */
	fx_fini(&f);
}

TT_TEST(test_udp_bind_errors_follow_errno_conventions)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *a = bound(&f, 7), *b;
	TT_EQ(tern_udp_open(f.st, &b), 0);
	tern_endpoint same = {0, 7}, specific = {FX_US, 7}, foreign = {TERN_IP4(10, 9, 9, 9), 8};
	TT_EQ(tern_socket_bind(b, &same), TERN_EADDRINUSE);
	TT_EQ(tern_socket_bind(b, &specific), TERN_EADDRINUSE);
	TT_EQ(tern_socket_bind(b, &foreign), TERN_EADDRNOTAVAIL);
	tern_endpoint any = {0, 0};
	TT_EQ(tern_socket_bind(b, &any), 0);
	tern_endpoint got;
	TT_EQ(tern_socket_name(b, &got, NULL), 0);
	TT_CHECK(got.port >= 49152);
	TT_EQ(tern_socket_bind(b, &any), TERN_EINVAL); /* already bound */
	TT_EQ(tern_socket_close(a), 0);
	fx_fini(&f);
}

TT_TEST(test_udp_send_errors_follow_errno_conventions)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s;
	TT_EQ(tern_udp_open(f.st, &s), 0);
	static uint8_t big[65508];
	tern_endpoint to = {FX_PEER, 7}, nowhere = {TERN_IP4(10, 1, 2, 3), 7}, port0 = {FX_PEER, 0};
	TT_EQ(tern_socket_sendto(s, "x", 1, NULL), TERN_EDESTADDRREQ);
	TT_EQ(tern_socket_sendto(s, big, sizeof big, &to), TERN_EMSGSIZE);
	TT_EQ(tern_socket_sendto(s, "x", 1, &nowhere), TERN_ENETUNREACH);
	TT_EQ(tern_socket_sendto(s, "x", 1, &port0), TERN_EINVAL);
	TT_EQ(tern_socket_connect(s, &nowhere), TERN_ENETUNREACH);
	TT_EQ(tern_socket_setopt(s, TERN_SO_RCVBUF, -1), TERN_EINVAL);
	TT_EQ(tern_socket_setopt(s, 999, 1), TERN_EINVAL);
	TT_EQ(tern_socket_sendto(s, big, 65507, &to), 65507); /* the largest */
	fx_fini(&f);
}

TT_TEST(test_connected_udp_socket_sees_port_unreachable_as_econnrefused)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s;
	TT_EQ(tern_udp_open(f.st, &s), 0);
	tern_endpoint peer = {FX_PEER, 9};
	TT_EQ(tern_socket_connect(s, &peer), 0);
	TT_EQ(tern_socket_sendto(s, "ping", 4, NULL), 4);
	TT_EQ(f.nout, 1);
	/* the peer answers with port unreachable quoting our datagram */
	uint8_t icmp[600];
	tern_icmp4_repr m = {.type = TERN_ICMP_DEST_UNREACH, .code = TERN_ICMP_PORT_UNREACH,
			     .data = f.out[0].data, .data_len = f.out[0].len};
	size_t il = tern_icmp4_build(icmp, sizeof icmp, &m);
	size_t n = fx_ip4(buf, FX_PEER, FX_US, TERN_IPPROTO_ICMP, 8, 0, false, icmp, il);
	fx_input(&f, buf, n, 0);
	TT_CHECK(tern_socket_events(s) & TERN_EV_ERROR);
	uint8_t out[8];
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), TERN_ECONNREFUSED);
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), TERN_EAGAIN); /* reported once */
	fx_fini(&f);
}

TT_TEST(test_icmp_error_for_unknown_endpoint_is_counted)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t quoted[28];
	size_t ql = fx_udp(quoted, FX_US, 1234, FX_PEER, 9, NULL, 0);
	uint8_t icmp[100];
	tern_icmp4_repr m = {.type = TERN_ICMP_DEST_UNREACH, .code = TERN_ICMP_PORT_UNREACH,
			     .data = quoted, .data_len = ql};
	size_t il = tern_icmp4_build(icmp, sizeof icmp, &m);
	size_t n = fx_ip4(buf, FX_PEER, FX_US, TERN_IPPROTO_ICMP, 8, 0, false, icmp, il);
	fx_input(&f, buf, n, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.icmp_in_unmatched, 1);
	fx_fini(&f);
}

TT_TEST(test_udp_receive_queue_limit_drops_and_counts)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = bound(&f, 7);
	TT_EQ(tern_socket_setopt(s, TERN_SO_RCVBUF, 1000), 0);
	uint8_t d[300] = {0};
	size_t n = fx_udp(buf, FX_PEER, 40001, FX_US, 7, d, sizeof d);
	for (int i = 0; i < 5; i++)
		fx_input(&f, buf, n, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.udp_in_datagrams, 3);
	TT_EQ(c.udp_rcvbuf_errors, 2);
	uint8_t out[400];
	for (int i = 0; i < 3; i++)
		TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), 300);
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), TERN_EAGAIN);
	fx_fini(&f);
}

static int cb_calls;
static void on_ready(tern_socket *s, unsigned ev, void *ctx)
{
	(void)s;
	(void)ctx;
	if (ev & TERN_EV_READABLE)
		cb_calls++;
}

TT_TEST(test_udp_readable_callback_fires_per_datagram)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = bound(&f, 7);
	cb_calls = 0;
	tern_socket_set_callback(s, on_ready, NULL);
	size_t n = fx_udp(buf, FX_PEER, 40001, FX_US, 7, (const uint8_t *)"a", 1);
	fx_input(&f, buf, n, 0);
	fx_input(&f, buf, n, 0);
	TT_EQ(cb_calls, 2);
	fx_fini(&f);
}

TT_TEST(test_recvfrom_truncates_to_buffer_and_reports_full_length)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = bound(&f, 7);
	size_t n = fx_udp(buf, FX_PEER, 40001, FX_US, 7, (const uint8_t *)"abcdefgh", 8);
	fx_input(&f, buf, n, 0);
	uint8_t out[4] = {0};
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), 8);
	TT_CHECK(memcmp(out, "abcd", 4) == 0);
	fx_fini(&f);
}

TT_TEST(test_stack_refuses_config_without_allocator_or_random)
{
	tern_config cfg;
	tern_config_init(&cfg);
	tern_stack *st;
	TT_EQ(tern_stack_new(&cfg, &st), TERN_EINVAL);
	TT_EQ(tern_stack_new(NULL, &st), TERN_EINVAL);
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);  /* a complete configuration works */
	fx_fini(&f);
	cfg.allocator.alloc = fx_malloc;
	cfg.allocator.free = fx_free;
	cfg.allocator.ctx = &f.alloc;
	cfg.random = fx_random;
	cfg.random_ctx = &f.seed;
	TT_EQ(tern_stack_new(&cfg, &st), TERN_EINVAL);  /* all-zero secret (RFC 6528) */
	TT_CHECK(strcmp(tern_strerror(TERN_ECONNREFUSED), "ECONNREFUSED: connection refused") == 0);
	TT_CHECK(strcmp(tern_strerror(12345), "unknown error") == 0);
	TT_EQ(tern_counter_count(), sizeof(tern_counters) / sizeof(uint64_t));
	TT_CHECK(strcmp(tern_counter_name(0), "ip_in_receives") == 0);
}

TT_TEST(test_address_text_round_trips)
{
	uint32_t a;
	uint8_t p;
	char s[16];
	TT_EQ(tern_ip4_from_str("192.0.2.255/24", &a, &p), 0);
	TT_EQ(a, TERN_IP4(192, 0, 2, 255));
	TT_EQ(p, 24);
	TT_CHECK(strcmp(tern_ip4_to_str(a, s), "192.0.2.255") == 0);
	TT_EQ(tern_ip4_from_str("256.0.0.1", &a, NULL), TERN_EINVAL);
	TT_EQ(tern_ip4_from_str("1.2.3", &a, NULL), TERN_EINVAL);
	TT_EQ(tern_ip4_from_str("1.2.3.4/33", &a, &p), TERN_EINVAL);
	TT_EQ(tern_ip4_from_str("1.2.3.4x", &a, NULL), TERN_EINVAL);
	TT_EQ(tern_ip4_from_str("1.2.3.4/24", &a, NULL), TERN_EINVAL);
}

TT_MAIN(test_udp_datagram_reaches_bound_socket_with_sender,
	test_udp_sendto_builds_valid_datagram_with_checksum,
	test_udp_checksum_can_be_turned_off_and_zero_is_accepted,
	test_udp_bad_checksum_is_dropped_and_counted,
	test_udp_bind_errors_follow_errno_conventions,
	test_udp_send_errors_follow_errno_conventions,
	test_connected_udp_socket_sees_port_unreachable_as_econnrefused,
	test_icmp_error_for_unknown_endpoint_is_counted,
	test_udp_receive_queue_limit_drops_and_counts,
	test_udp_readable_callback_fires_per_datagram,
	test_recvfrom_truncates_to_buffer_and_reports_full_length,
	test_stack_refuses_config_without_allocator_or_random,
	test_address_text_round_trips)
