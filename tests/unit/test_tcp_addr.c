/* test_tcp_addr.c - RFC 9293 3.9.1.1 (MUST-43): OPEN may name the local
 * address. With two interfaces, a listener bound to one address answers
 * only there (the other gets a reset), and a client bound to an address
 * sends from it. */
#include "fixture.h"
#include "tt.h"

#define US2 TERN_IP4(198, 51, 100, 2)
#define PEER2 TERN_IP4(198, 51, 100, 1)

static uint8_t buf[256];

static void syn_to(fixture *f, uint32_t src, uint32_t dst)
{
	uint8_t seg[64];
	tern_tcp_repr h = {.sport = 40000, .dport = 80, .seq = 7, .flags = TERN_TCP_SYN, .wnd = 1000};
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, src, dst);
	size_t n = fx_ip4(buf, src, dst, TERN_IPPROTO_TCP, 1, 0, false, seg, sl);
	fx_input(f, buf, n, TERN_MS(1));
}

static uint8_t flags_of(const fx_pkt *p)
{
	tern_tcp_repr t;
	tern_ip4_repr ip;
	tern_ip4_parse(p->data, p->len, false, &ip);
	tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t);
	return t.flags;
}

TT_TEST(test_listener_bound_to_one_address_answers_only_there)
{
	fixture f, second;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	memset(&second, 0, sizeof second);
	second.dev.ops = f.dev.ops;
	tern_iface_config ic = {"fx1", US2, 24, 1500, 0, 0};
	tern_iface *i2;
	TT_EQ(tern_iface_add(f.st, &ic, &second.dev, &i2), 0);
	tern_socket *l;
	tern_endpoint at2 = {US2, 80};
	TT_EQ(tern_tcp_open(f.st, &l), 0);
	TT_EQ(tern_socket_bind(l, &at2), 0);
	TT_EQ(tern_socket_listen(l, 4), 0);
	syn_to(&f, PEER2, US2);  /* to the bound address: SYN-ACK from it */
	TT_EQ(second.nout, 1);
	TT_EQ(flags_of(&second.out[0]), TERN_TCP_SYN | TERN_TCP_ACK);
	TT_EQ(tern_get32(second.out[0].data + 12), US2);
	syn_to(&f, FX_PEER, FX_US);  /* to the other address: reset */
	TT_EQ(f.nout, 1);
	TT_EQ(flags_of(&f.out[0]), TERN_TCP_RST | TERN_TCP_ACK);
	fx_fini(&f);
	fx_clear(&second);  /* after: closing sends through it too */
}

TT_TEST(test_client_bound_to_an_address_sends_from_it)
{
	fixture f, second;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	memset(&second, 0, sizeof second);
	second.dev.ops = f.dev.ops;
	tern_iface_config ic = {"fx1", US2, 24, 1500, 0, 0};
	tern_iface *i2;
	TT_EQ(tern_iface_add(f.st, &ic, &second.dev, &i2), 0);
	tern_route_add(f.st, 0, 0, PEER2, i2);  /* default route via the second link */
	tern_socket *c;
	tern_endpoint local = {US2, 0}, dst = {TERN_IP4(203, 0, 113, 9), 80};
	TT_EQ(tern_tcp_open(f.st, &c), 0);
	TT_EQ(tern_socket_bind(c, &local), 0);
	TT_EQ(tern_socket_connect(c, &dst), TERN_EINPROGRESS);
	TT_EQ(second.nout, 1);
	TT_EQ(tern_get32(second.out[0].data + 12), US2);
	tern_tcp_info i;
	TT_EQ(tern_socket_info(c, &i), 0);
	TT_EQ(i.local.addr, US2);
	fx_fini(&f);
	fx_clear(&second);  /* after: closing sends through it too */
}

TT_MAIN(test_listener_bound_to_one_address_answers_only_there,
	test_client_bound_to_an_address_sends_from_it)
