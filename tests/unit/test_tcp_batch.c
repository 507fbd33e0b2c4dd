/* test_tcp_batch.c - RFC 9293 3.10.7.4 (MUST-58/59): segments handed in as
 * one burst are all processed before any ACK goes out, and the connection
 * answers the burst with a single ACK. */
#include "fixture.h"
#include "tt.h"

static uint8_t buf[2048];
static uint32_t iss;

static void segment(fixture *f, uint32_t seq, uint32_t ack, uint8_t flags, size_t len)
{
	static uint8_t payload[1460];
	uint8_t seg[1600];
	tern_tcp_repr h = {.sport = 40000, .dport = 80, .seq = seq, .ack = ack, .flags = flags,
			   .wnd = 65535};
	if (flags & TERN_TCP_SYN) {
		h.opts.present = TERN_TCPO_MSS;
		h.opts.mss = 1460;
	}
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, payload, len, FX_PEER, FX_US);
	size_t n = fx_ip4(buf, FX_PEER, FX_US, TERN_IPPROTO_TCP, 1, 0, false, seg, sl);
	fx_input(f, buf, n, TERN_MS(10));
}

static tern_socket *established(fixture *f)
{
	tern_socket *l, *s;
	tern_endpoint any = {0, 80};
	if (tern_tcp_open(f->st, &l) || tern_socket_bind(l, &any) || tern_socket_listen(l, 1))
		return NULL;
	segment(f, 1000, 0, TERN_TCP_SYN, 0);
	tern_tcp_repr synack;
	if (f->nout != 1 || tern_tcp_parse(f->out[0].data + 20, f->out[0].len - 20, FX_US, FX_PEER,
					   true, &synack))
		return NULL;
	iss = synack.seq;
	segment(f, 1001, iss + 1, TERN_TCP_ACK, 0);
	fx_clear(f);
	return tern_socket_accept(l, &s, NULL) == 0 ? s : NULL;
}

static uint32_t last_ack(const fixture *f)
{
	tern_tcp_repr t;
	const fx_pkt *p = &f->out[f->nout - 1];
	tern_tcp_parse(p->data + 20, p->len - 20, FX_US, FX_PEER, true, &t);
	return t.ack;
}

TT_TEST(test_burst_of_segments_is_answered_with_one_ack)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	TT_CHECK(established(&f) != NULL);
	tern_stack_batch_begin(f.st);
	for (uint32_t i = 0; i < 4; i++)
		segment(&f, 1001 + i * 1460, iss + 1, TERN_TCP_ACK, 1460);
	TT_EQ(f.nout, 0);  /* nothing answered inside the burst */
	tern_stack_batch_end(f.st);
	TT_EQ(f.nout, 1);
	TT_EQ(last_ack(&f), 1001 + 4 * 1460);
	fx_fini(&f);
}

TT_TEST(test_segments_outside_a_batch_get_an_ack_every_second_one)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	TT_CHECK(established(&f) != NULL);
	for (uint32_t i = 0; i < 4; i++)
		segment(&f, 1001 + i * 1460, iss + 1, TERN_TCP_ACK, 1460);
	TT_EQ(f.nout, 2);
	TT_EQ(last_ack(&f), 1001 + 4 * 1460);
	fx_fini(&f);
}

TT_TEST(test_connection_closed_inside_a_batch_is_not_answered_after)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	tern_socket *s = established(&f);
	TT_CHECK(s != NULL);
	tern_stack_batch_begin(f.st);
	segment(&f, 1001, iss + 1, TERN_TCP_ACK, 100);
	segment(&f, 1101, 0, TERN_TCP_RST, 0);
	tern_stack_batch_end(f.st);
	TT_EQ(f.nout, 0);
	uint8_t b[200];
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), 100);
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), TERN_ECONNRESET);
	fx_fini(&f);
}

TT_MAIN(test_burst_of_segments_is_answered_with_one_ack,
	test_segments_outside_a_batch_get_an_ack_every_second_one,
	test_connection_closed_inside_a_batch_is_not_answered_after)
