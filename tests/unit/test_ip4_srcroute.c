/* test_ip4_srcroute.c - IP source routes (RFC 791, RFC 1122 3.3.5) and TCP's
 * use of them (RFC 9293 3.9.1.9, MUST-51..53): refused by default (RFC
 * 7126); when accepted, a passive connection answers along the reversed
 * route, an application's own route wins, and the checksum covers the
 * originator and ultimate destination. */
#include "fixture.h"
#include "tt.h"

#define ROUTER_NEAR FX_PEER                 /* on our link */
#define ROUTER_FAR TERN_IP4(198, 18, 0, 1)
#define ORIGIN TERN_IP4(203, 0, 113, 5)

static uint8_t buf[512];

/* A SYN from ORIGIN that came by a loose source route and arrived here,
 * its option recording [ROUTER_FAR, ROUTER_NEAR]; ptr 12 = complete. */
static size_t routed_syn(uint8_t *b, uint8_t ptr, uint16_t dport)
{
	uint8_t seg[64];
	tern_tcp_repr h = {.sport = 40000, .dport = dport, .seq = 100, .flags = TERN_TCP_SYN,
			   .wnd = 8000};
	h.opts.present = TERN_TCPO_MSS;
	h.opts.mss = 1460;
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, ORIGIN, FX_US);
	uint8_t opt[12] = {TERN_IPOPT_LSRR, 11, ptr};
	tern_put32(opt + 3, ROUTER_FAR);
	tern_put32(opt + 7, ROUTER_NEAR);
	opt[11] = TERN_IPOPT_EOL;
	tern_ip4_repr ip = {.total_len = (uint16_t)(32 + sl), .id = 5, .ttl = 60,
			    .proto = TERN_IPPROTO_TCP, .src = ORIGIN, .dst = FX_US};
	tern_ip4_build_opts(b, 32, &ip, opt, sizeof opt);
	memcpy(b + 32, seg, sl);
	return 32 + sl;
}

static tern_socket *listening(fixture *f)
{
	tern_socket *l;
	tern_endpoint any = {0, 80};
	if (tern_tcp_open(f->st, &l) || tern_socket_bind(l, &any) || tern_socket_listen(l, 4))
		return NULL;
	return l;
}

static int init(fixture *f, bool accept)
{
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.ip_accept_source_route = accept;
	return fx_init_cfg(f, FX_US, 24, 1500, &cfg);
}

TT_TEST(test_source_routed_datagrams_are_refused_by_default)
{
	fixture f;
	TT_EQ(init(&f, false), 0);
	TT_CHECK(listening(&f));
	fx_input(&f, buf, routed_syn(buf, 12, 80), TERN_MS(1));
	TT_EQ(f.nout, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_in_source_routed, 1);
	fx_fini(&f);
}

TT_TEST(test_incomplete_source_route_is_refused_even_when_accepted)
{
	fixture f;
	TT_EQ(init(&f, true), 0);
	TT_CHECK(listening(&f));
	fx_input(&f, buf, routed_syn(buf, 8, 80), TERN_MS(1));  /* a host does not forward */
	TT_EQ(f.nout, 0);
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_in_source_routed, 1);
	fx_fini(&f);
}

TT_TEST(test_malformed_ip_options_are_dropped_and_counted)
{
	fixture f;
	TT_EQ(init(&f, true), 0);
	size_t n = routed_syn(buf, 12, 80);
	buf[21] = 60;  /* option length past the header */
	tern_put16(buf + 10, 0);
	tern_put16(buf + 10, tern_csum(buf, 32));
	fx_input(&f, buf, n, TERN_MS(1));
	tern_counters c;
	tern_stack_counters(f.st, &c);
	TT_EQ(c.ip_in_bad_options, 1);
	fx_fini(&f);
}

/* MUST-53: the SYN-ACK goes back along the reversed route. */
TT_TEST(test_passive_open_answers_along_the_reversed_route)
{
	fixture f;
	TT_EQ(init(&f, true), 0);
	TT_CHECK(listening(&f));
	fx_input(&f, buf, routed_syn(buf, 12, 80), TERN_MS(1));
	TT_EQ(f.nout, 1);
	tern_ip4_repr ip;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &ip), 0);
	TT_EQ(ip.dst, ROUTER_NEAR);  /* the first hop back */
	tern_ip4_srcroute sr;
	uint8_t ptr;
	TT_EQ(tern_ip4_opt_srcroute(ip.options, ip.hlen - 20u, &sr, &ptr), TERN_WIRE_OK);
	TT_EQ(ptr, 4);
	TT_EQ(sr.n, 2);
	TT_EQ(sr.hop[0], ROUTER_FAR);
	TT_EQ(sr.hop[1], ORIGIN);  /* the ultimate destination last */
	/* the checksum covers the originator, not the first hop */
	tern_tcp_repr t;
	TT_EQ(tern_tcp_parse(ip.payload, ip.payload_len, FX_US, ORIGIN, true, &t), 0);
	TT_EQ(t.flags, TERN_TCP_SYN | TERN_TCP_ACK);
	TT_EQ(t.ack, 101);
	fx_fini(&f);
}

/* MUST-51/52: an application's route is used from the SYN on, and wins
 * over one the listener's SYNs arrive by. */
TT_TEST(test_application_source_route_is_used_and_takes_precedence)
{
	fixture f;
	TT_EQ(init(&f, true), 0);
	tern_socket *l = listening(&f);
	TT_CHECK(l);
	uint32_t mine[] = {ROUTER_NEAR, TERN_IP4(198, 18, 7, 7), TERN_IP4(198, 18, 8, 8)};
	TT_EQ(tern_socket_set_source_route(l, mine, 3, true), 0);
	TT_EQ(tern_socket_set_source_route(l, mine, 10, true), TERN_EINVAL);
	fx_input(&f, buf, routed_syn(buf, 12, 80), TERN_MS(1));
	TT_EQ(f.nout, 1);
	tern_ip4_repr ip;
	TT_EQ(tern_ip4_parse(f.out[0].data, f.out[0].len, true, &ip), 0);
	tern_ip4_srcroute sr;
	uint8_t ptr;
	TT_EQ(tern_ip4_opt_srcroute(ip.options, ip.hlen - 20u, &sr, &ptr), TERN_WIRE_OK);
	TT_CHECK(sr.strict);
	TT_EQ(sr.n, 3);
	TT_EQ(sr.hop[0], TERN_IP4(198, 18, 7, 7));
	TT_EQ(sr.hop[2], ORIGIN);
	/* an active open with its own route */
	tern_socket *c;
	tern_endpoint dst = {ORIGIN, 443};
	TT_EQ(tern_tcp_open(f.st, &c), 0);
	TT_EQ(tern_socket_set_source_route(c, mine, 2, false), 0);
	tern_route_add(f.st, 0, 0, ROUTER_NEAR, f.ifc);
	TT_EQ(tern_socket_connect(c, &dst), TERN_EINPROGRESS);
	TT_EQ(tern_socket_set_source_route(c, mine, 1, false), TERN_EINVAL);  /* too late */
	TT_EQ(f.nout, 2);
	TT_EQ(tern_ip4_parse(f.out[1].data, f.out[1].len, true, &ip), 0);
	TT_EQ(ip.dst, ROUTER_NEAR);
	TT_EQ(tern_ip4_opt_srcroute(ip.options, ip.hlen - 20u, &sr, &ptr), TERN_WIRE_OK);
	TT_EQ(sr.n, 2);
	TT_EQ(sr.hop[1], ORIGIN);
	fx_fini(&f);
}

TT_MAIN(test_source_routed_datagrams_are_refused_by_default,
	test_incomplete_source_route_is_refused_even_when_accepted,
	test_malformed_ip_options_are_dropped_and_counted,
	test_passive_open_answers_along_the_reversed_route,
	test_application_source_route_is_used_and_takes_precedence)
