/* test_ip4.c - IPv4 through the whole stack: validation counters, ICMP echo
 * and errors, the rate limit, fragmentation on output and reassembly on
 * input (in order, reversed, duplicated, overlapping, missing, over limit). */
#include "fixture.h"
#include "tt.h"

static uint8_t buf[70000];

static size_t echo_request(uint8_t *b, uint16_t id, uint16_t seq, size_t n)
{
	uint8_t icmp[2048], data[2000];
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7);
	tern_icmp4_repr m = {.type = TERN_ICMP_ECHO_REQUEST, .id = id, .seq = seq, .data = data, .data_len = n};
	size_t len = tern_icmp4_build(icmp, sizeof icmp, &m);
	return fx_ip4(b, FX_PEER, FX_US, TERN_IPPROTO_ICMP, 77, 0, false, icmp, len);
}

TT_TEST(test_echo_request_gets_reply_with_same_id_seq_and_data)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	size_t n = echo_request(buf, 0x1234, 7, 56);
	fx_input(&f, buf, n, 1000);
	TT_EQ(f.nout, 1);
	tern_ip4_repr ip;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &ip), TERN_WIRE_OK);
	TT_CHECK(ip.src == FX_US && ip.dst == FX_PEER && ip.proto == TERN_IPPROTO_ICMP);
	TT_CHECK(ip.ttl > 0);
	tern_icmp4_repr m;
	TT_EQ(tern_icmp4_parse(ip.payload, ip.payload_len, &m), TERN_WIRE_OK);
	TT_EQ(m.type, TERN_ICMP_ECHO_REPLY);
	TT_EQ(m.id, 0x1234);
	TT_EQ(m.seq, 7);
	TT_EQ(m.data_len, 56);
	TT_CHECK(memcmp(m.data, buf + 28, 56) == 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.icmp_in_echos, 1);
	TT_EQ(c.icmp_out_echo_reps, 1);
	fx_fini(&f);
}

TT_TEST(test_malformed_ip_headers_are_dropped_and_counted)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	size_t n = echo_request(buf, 1, 1, 8);
	uint8_t p[100];
	memcpy(p, buf, n);
	p[10] ^= 0xff; /* checksum */
	fx_input(&f, p, n, 0);
	memcpy(p, buf, n);
	p[0] = 0x65; /* version 6 */
	fx_input(&f, p, n, 0);
	memcpy(p, buf, n);
	p[0] = 0x44; /* IHL 4 */
	fx_input(&f, p, n, 0);
	fx_input(&f, buf, 19, 0);     /* shorter than a header */
	fx_input(&f, buf, n - 1, 0);  /* shorter than total length */
	memcpy(p, buf, n);
	tern_put16(p + 2, 10);         /* total length < header */
	tern_put16(p + 10, 0);
	tern_put16(p + 10, tern_csum(p, 20));
	fx_input(&f, p, n, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_in_receives, 6);
	TT_EQ(c.ip_in_bad_checksum, 1);
	TT_EQ(c.ip_in_bad_version, 1);
	TT_EQ(c.ip_in_bad_ihl, 1);
	TT_EQ(c.ip_in_truncated, 2);
	TT_EQ(c.ip_in_bad_length, 1);
	TT_EQ(c.ip_in_delivers, 0);
	TT_EQ(f.nout, 0);
	fx_fini(&f);
}

TT_TEST(test_packets_for_other_hosts_or_from_bad_sources_are_dropped)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t u[8] = {0};
	size_t n = fx_udp(buf, FX_PEER, 1000, TERN_IP4(192, 0, 2, 9), 7, u, 8);
	fx_input(&f, buf, n, 0);
	n = fx_udp(buf, TERN_IP4(224, 0, 0, 1), 1000, FX_US, 7, u, 8);
	fx_input(&f, buf, n, 0);
	n = fx_udp(buf, TERN_IP4(127, 0, 0, 1), 1000, FX_US, 7, u, 8);
	fx_input(&f, buf, n, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_in_not_for_us, 1);
	TT_EQ(c.ip_in_bad_addr, 2);
	TT_EQ(f.nout, 0);
	fx_fini(&f);
}

TT_TEST(test_udp_to_closed_port_gets_port_unreachable_quoting_it)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t u[100];
	memset(u, 0xab, sizeof u);
	size_t n = fx_udp(buf, FX_PEER, 40000, FX_US, 9, u, sizeof u);
	fx_input(&f, buf, n, 0);
	TT_EQ(f.nout, 1);
	tern_ip4_repr ip;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &ip), TERN_WIRE_OK);
	tern_icmp4_repr m;
	TT_EQ(tern_icmp4_parse(ip.payload, ip.payload_len, &m), TERN_WIRE_OK);
	TT_EQ(m.type, TERN_ICMP_DEST_UNREACH);
	TT_EQ(m.code, TERN_ICMP_PORT_UNREACH);
	TT_EQ(m.data_len, n); /* small datagram: quoted whole */
	TT_CHECK(memcmp(m.data, buf, n) == 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.udp_no_ports, 1);
	TT_EQ(c.icmp_out_dest_unreachs, 1);
	fx_fini(&f);
}

TT_TEST(test_no_icmp_error_about_broadcast_datagrams)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t u[8] = {0};
	size_t n = fx_udp(buf, FX_PEER, 40000, TERN_IP4(192, 0, 2, 255), 9, u, 8);
	fx_input(&f, buf, n, 0);
	n = fx_udp(buf, FX_PEER, 40000, 0xffffffffu, 9, u, 8);
	fx_input(&f, buf, n, 0);
	TT_EQ(f.nout, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.udp_no_ports, 2);
	fx_fini(&f);
}

TT_TEST(test_icmp_errors_are_rate_limited_by_token_bucket)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t u[8] = {0};
	size_t n = fx_udp(buf, FX_PEER, 40000, FX_US, 9, u, 8);
	for (int i = 0; i < 100; i++)
		fx_input(&f, buf, n, TERN_SEC(1));
	TT_EQ(f.nout, 20); /* the default burst */
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.icmp_out_rate_limited, 80);
	fx_clear(&f);
	/* 100 tokens a second: 50 ms later, 5 more */
	for (int i = 0; i < 100; i++)
		fx_input(&f, buf, n, TERN_SEC(1) + TERN_MS(50));
	TT_EQ(f.nout, 5);
	fx_fini(&f);
}

TT_TEST(test_unknown_protocol_gets_protocol_unreachable)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t u[8] = {0};
	size_t n = fx_ip4(buf, FX_PEER, FX_US, 99, 5, 0, false, u, 8);
	fx_input(&f, buf, n, 0);
	TT_EQ(f.nout, 1);
	tern_ip4_repr ip;
	tern_icmp4_repr m;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &ip), 0);
	TT_EQ(tern_icmp4_parse(ip.payload, ip.payload_len, &m), 0);
	TT_EQ(m.code, TERN_ICMP_PROTO_UNREACH);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_in_unknown_proto, 1);
	fx_fini(&f);
}

/* ---- fragmentation on output ------------------------------------------- */

TT_TEST(test_large_udp_send_is_fragmented_to_mtu_on_8_byte_boundaries)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s;
	TT_EQ(tern_udp_open(f.st, &s), 0);
	static uint8_t data[4000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 31 + 5);
	tern_endpoint to = {FX_PEER, 7};
	TT_EQ(tern_socket_sendto(s, data, sizeof data, &to), 4000);
	TT_EQ(f.nout, 3);
	uint8_t whole[4008];
	uint16_t id0 = 0;
	size_t got = 0;
	for (size_t i = 0; i < 3; i++) {
		tern_ip4_repr ip;
		TT_EQ(tern_ip4_parse(f.out[i].data, f.out[i].len, true, &ip), 0);
		TT_CHECK(f.out[i].len <= 1500);
		TT_EQ(ip.frag_off, i * 1480);
		TT_EQ(ip.mf, i < 2);
		TT_CHECK(!ip.df);
		if (i == 0)
			id0 = ip.id;
		TT_EQ(ip.id, id0);
		memcpy(whole + ip.frag_off, ip.payload, ip.payload_len);
		got += ip.payload_len;
	}
	TT_EQ(got, 4008);
	tern_udp_repr u;
	TT_EQ(tern_udp_parse(whole, got, FX_US, FX_PEER, true, &u), 0);
	TT_EQ(u.payload_len, 4000);
	TT_CHECK(memcmp(u.payload, data, 4000) == 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_frag_created, 3);
	TT_EQ(c.ip_frag_oks, 1);
	tern_socket_close(s);
	fx_fini(&f);
}

TT_TEST(test_df_datagram_over_mtu_is_refused_with_emsgsize)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 576), 0);
	tern_pkt *p = tern_pkt_alloc(f.st, TERN_IP4_HLEN, 1000);
	TT_CHECK(p != NULL);
	memset(p->data, 0, 1000);
	p->len = 1000;
	tern_ip4_out o = {.dst = FX_PEER, .proto = TERN_IPPROTO_UDP, .df = true};
	TT_EQ(tern_ip4_output(f.st, p, &o), TERN_EMSGSIZE);
	TT_EQ(f.nout, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_out_df_too_big, 1);
	fx_fini(&f);
}

/* ---- reassembly ---------------------------------------------------------- */

#define FRAG_N 5
#define FRAG_SZ 800
static uint8_t dgram_udp[FRAG_N * FRAG_SZ];
static size_t dgram_len;

/* A UDP datagram split into FRAG_N fragments of FRAG_SZ payload bytes. */
static size_t make_frag(uint8_t *b, int i, uint16_t id)
{
	if (!dgram_len) {
		uint8_t payload[FRAG_N * FRAG_SZ - 8];
		for (size_t k = 0; k < sizeof payload; k++)
			payload[k] = (uint8_t)(k ^ (k >> 8));
		dgram_len = tern_udp_build(dgram_udp, sizeof dgram_udp, 5555, 7, payload,
					   sizeof payload, FX_PEER, FX_US, true);
	}
	return fx_ip4(b, FX_PEER, FX_US, TERN_IPPROTO_UDP, id, (uint16_t)(i * FRAG_SZ),
		      i < FRAG_N - 1, dgram_udp + i * FRAG_SZ, FRAG_SZ);
}

/* Feed fragments in the given order; return the bytes the socket got. */
static int feed(fixture *f, tern_socket *s, const int *order, int n, uint8_t *out)
{
	uint8_t p[FRAG_SZ + 20];
	for (int k = 0; k < n; k++) {
		size_t len = make_frag(p, order[k], 42);
		fx_input(f, p, len, TERN_MS(k));
	}
	return tern_socket_recvfrom(s, out, 65536, NULL);
}

static tern_socket *echo_sock(fixture *f)
{
	tern_socket *s = NULL;
	tern_endpoint ep = {0, 7};
	tern_udp_open(f->st, &s);
	tern_socket_bind(s, &ep);
	return s;
}

static bool reassembled_ok(const uint8_t *out, int n)
{
	return n == (int)dgram_len - 8 && memcmp(out, dgram_udp + 8, (size_t)n) == 0;
}

TT_TEST(test_reassembly_in_order_delivers_exact_bytes)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = echo_sock(&f);
	static uint8_t out[65536];
	int order[] = {0, 1, 2, 3, 4};
	TT_CHECK(reassembled_ok(out, feed(&f, s, order, 5, out)));
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_oks, 1);
	TT_EQ(c.ip_reasm_reqds, 5);
	fx_fini(&f);
	TT_EQ(f.alloc.live_bytes, 0);
}

TT_TEST(test_reassembly_reversed_order_delivers_exact_bytes)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = echo_sock(&f);
	static uint8_t out[65536];
	int order[] = {4, 3, 2, 1, 0};
	TT_CHECK(reassembled_ok(out, feed(&f, s, order, 5, out)));
	fx_fini(&f);
}

TT_TEST(test_reassembly_ignores_exact_duplicate_fragments)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = echo_sock(&f);
	static uint8_t out[65536];
	int order[] = {2, 0, 2, 1, 3, 1, 4};
	TT_CHECK(reassembled_ok(out, feed(&f, s, order, 7, out)));
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), TERN_EAGAIN); /* delivered once */
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_dup, 2);
	fx_fini(&f);
}

TT_TEST(test_reassembly_drops_datagram_with_overlapping_fragments)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = echo_sock(&f);
	uint8_t p[2000];
	size_t n = make_frag(p, 0, 42);
	fx_input(&f, p, n, 0);
	/* 400 bytes starting inside fragment 0, different content */
	uint8_t evil[400];
	memset(evil, 0xee, sizeof evil);
	n = fx_ip4(p, FX_PEER, FX_US, TERN_IPPROTO_UDP, 42, 600, true, evil, sizeof evil);
	fx_input(&f, p, n, 0);
	for (int i = 1; i < FRAG_N; i++) {
		n = make_frag(p, i, 42);
		fx_input(&f, p, n, 0);
	}
	static uint8_t out[65536];
	TT_EQ(tern_socket_recvfrom(s, out, sizeof out, NULL), TERN_EAGAIN);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_overlap, 1);
	TT_EQ(c.ip_reasm_oks, 0);
	fx_fini(&f);
}

TT_TEST(test_reassembly_missing_piece_times_out_and_frees_memory)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = echo_sock(&f);
	size_t base = f.alloc.live_bytes;
	int order[] = {0, 1, 3, 4};
	static uint8_t out[65536];
	TT_EQ(feed(&f, s, order, 4, out), TERN_EAGAIN);
	TT_CHECK(f.alloc.live_bytes > base + 4 * FRAG_SZ);
	tern_time next = tern_stack_poll(f.st, TERN_SEC(1));
	TT_CHECK(next != TERN_TIME_NEVER && next <= TERN_SEC(30));
	tern_stack_poll(f.st, TERN_SEC(31));
	TT_EQ(f.alloc.live_bytes, base);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_timeout, 1);
	/* RFC 792: time exceeded, code 1, since the first fragment came */
	TT_EQ(f.nout, 1);
	tern_ip4_repr ip;
	tern_icmp4_repr m;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &ip), 0);
	TT_EQ(tern_icmp4_parse(ip.payload, ip.payload_len, &m), 0);
	TT_EQ(m.type, TERN_ICMP_TIME_EXCEEDED);
	TT_EQ(m.code, 1);
	/* the quote is the first fragment's header as it arrived, checksum intact */
	uint8_t first[FRAG_SZ + 20];
	make_frag(first, 0, 42);
	TT_CHECK(m.data_len >= 28 && memcmp(m.data, first, 28) == 0);
	TT_EQ(tern_csum(m.data, 20), 0);
	TT_EQ(tern_stack_poll(f.st, TERN_SEC(32)), TERN_TIME_NEVER);
	fx_fini(&f);
}

TT_TEST(test_reassembly_refuses_fragments_over_byte_limit)
{
	fixture f;
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.reasm_max_bytes = 3 * FRAG_SZ;
	TT_EQ(fx_init_cfg(&f, FX_US, 24, 1500, &cfg), 0);
	tern_socket *s = echo_sock(&f);
	int order[] = {0, 1, 2, 3, 4};
	static uint8_t out[65536];
	TT_EQ(feed(&f, s, order, 5, out), TERN_EAGAIN);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_over_limit, 2);
	TT_EQ(c.ip_reasm_oks, 0);
	fx_fini(&f);
	TT_EQ(f.alloc.live_bytes, 0);
}

TT_TEST(test_reassembly_refuses_more_datagrams_than_the_limit)
{
	fixture f;
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.reasm_max_datagrams = 2;
	TT_EQ(fx_init_cfg(&f, FX_US, 24, 1500, &cfg), 0);
	uint8_t p[2000];
	for (uint16_t id = 1; id <= 3; id++) {
		size_t n = make_frag(p, 0, id);
		fx_input(&f, p, n, 0);
	}
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_over_limit, 1);
	fx_fini(&f);
}

TT_TEST(test_reassembly_rejects_oversized_and_misaligned_fragments)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t p[2000], d[1000] = {0};
	/* offset + length beyond 65535: the ping of death */
	size_t n = fx_ip4(p, FX_PEER, FX_US, TERN_IPPROTO_UDP, 9, 65528, false, d, 100);
	fx_input(&f, p, n, 0);
	/* a non-final fragment whose length is not a multiple of 8 */
	n = fx_ip4(p, FX_PEER, FX_US, TERN_IPPROTO_UDP, 9, 0, true, d, 100);
	fx_input(&f, p, n, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_reasm_bad, 2);
	fx_fini(&f);
}

TT_MAIN(test_echo_request_gets_reply_with_same_id_seq_and_data,
	test_malformed_ip_headers_are_dropped_and_counted,
	test_packets_for_other_hosts_or_from_bad_sources_are_dropped,
	test_udp_to_closed_port_gets_port_unreachable_quoting_it,
	test_no_icmp_error_about_broadcast_datagrams,
	test_icmp_errors_are_rate_limited_by_token_bucket,
	test_unknown_protocol_gets_protocol_unreachable,
	test_large_udp_send_is_fragmented_to_mtu_on_8_byte_boundaries,
	test_df_datagram_over_mtu_is_refused_with_emsgsize,
	test_reassembly_in_order_delivers_exact_bytes,
	test_reassembly_reversed_order_delivers_exact_bytes,
	test_reassembly_ignores_exact_duplicate_fragments,
	test_reassembly_drops_datagram_with_overlapping_fragments,
	test_reassembly_missing_piece_times_out_and_frees_memory,
	test_reassembly_refuses_fragments_over_byte_limit,
	test_reassembly_refuses_more_datagrams_than_the_limit,
	test_reassembly_rejects_oversized_and_misaligned_fragments)
