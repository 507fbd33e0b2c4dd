/* test_tcp_synflood.c - a SYN flood from spoofed sources at many times a
 * listener's capacity (RFC 4987): SYN cookies keep answering, the
 * listener's state and memory stay bounded, and an honest client still
 * connects and moves its bytes intact. */
#include "pair.h"
#include "tt.h"

#define US TERN_IP4(192, 0, 2, 2)
#define HONEST TERN_IP4(192, 0, 2, 1)

static bool drop_to_spoofed(pair *p, int from, uint8_t *pkt, size_t len)
{
	(void)p;
	tern_ip4_repr ip;
	return from == 0 || (tern_ip4_parse(pkt, len, false, &ip) == 0 && ip.dst == HONEST);
}

static void spoofed_syn(pair *p, uint32_t n)
{
	uint8_t seg[64], pkt[128];
	uint32_t src = TERN_IP4(192, 0, 2, 3 + n % 250);
	tern_tcp_repr h = {.sport = (uint16_t)(1024 + n / 250 % 60000), .dport = 80,
			   .seq = n * 2654435761u, .flags = TERN_TCP_SYN, .wnd = 65535};
	h.opts.present = TERN_TCPO_MSS | TERN_TCPO_TS | TERN_TCPO_SACK_PERM;
	h.opts.mss = 1460;
	h.opts.ts_val = n;
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, NULL, 0, src, US);
	size_t k = fx_ip4(pkt, src, US, TERN_IPPROTO_TCP, (uint16_t)n, 0, false, seg, sl);
	fx_input(&p->side[1], pkt, k, p->now);
}

TT_TEST(test_syn_flood_leaves_an_honest_transfer_intact_and_memory_bounded)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	p.filter = drop_to_spoofed;
	tern_socket *l, *c, *s = NULL;
	tern_endpoint any = {0, 80}, dst = {US, 80};
	TT_EQ(tern_tcp_open(pair_st(&p, 1), &l), 0);
	TT_EQ(tern_socket_bind(l, &any), 0);
	TT_EQ(tern_socket_listen(l, 16), 0);
	/* the flood fills the SYN queue before the honest client arrives */
	uint32_t n = 0;
	for (; n < 1000; n++)
		spoofed_syn(&p, n);
	TT_EQ(tern_tcp_open(pair_st(&p, 0), &c), 0);
	TT_EQ(tern_socket_connect(c, &dst), TERN_EINPROGRESS);
	static uint8_t data[256 * 1024];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	size_t sent = 0, got = 0;
	uint64_t h_got = FX_FNV_BASIS;
	/* 200 ms steps of 1 ms, 500 spoofed SYNs each: 100,000 SYNs, 500/ms */
	for (int step = 0; step < 2000 && got < sizeof data; step++) {
		for (int k = 0; k < 500; k++, n++)
			spoofed_syn(&p, n);
		pair_run(&p, p.now + TERN_MS(1));
		if (!s && tern_socket_accept(l, &s, NULL) != 0)
			s = NULL;
		if (sent < sizeof data) {
			long w = tern_socket_send(c, data + sent, sizeof data - sent, 0);
			if (w > 0)
				sent += (size_t)w;
		}
		uint8_t b[8192];
		long r;
		while (s && (r = tern_socket_recv(s, b, sizeof b, 0)) > 0) {
			h_got = fx_fnv(h_got, b, (size_t)r);
			got += (size_t)r;
		}
	}
	TT_EQ(got, sizeof data);
	TT_CHECK(h_got == fx_fnv(FX_FNV_BASIS, data, sizeof data));
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 1), &ct);
	printf("# %u spoofed SYNs, %llu cookies sent, %llu ok, peak %zu bytes, %.0f ms\n", n,
	       (unsigned long long)ct.tcp_syncookies_sent, (unsigned long long)ct.tcp_syncookies_ok,
	       p.side[1].alloc.peak_bytes, (double)p.now / 1000);
	TT_CHECK(ct.tcp_syncookies_sent > 50000);
	TT_CHECK(ct.tcp_syncookies_ok >= 1);  /* the honest client came in on a cookie */
	TT_EQ(ct.tcp_syncookies_failed, 0);
	/* state: the SYN queue (16) and the honest connection; memory is that
	 * plus the stack's own pools, far under what 100,000 children need */
	TT_CHECK(p.side[1].alloc.peak_bytes < 1024u * 1024);
	pair_fini(&p);
}

/* Regression (found by test_sim_tcp_synflood): the cookie binds the
 * client's ISN as SEG.SEQ - 1, so when an honest client's first data
 * segment (the one completing the handshake) is lost and a later one
 * arrives first, the cookie fails. That segment must be dropped, not
 * answered with a RST: the retransmission of the first segment brings the
 * cookie back and the connection comes up with every byte. A forged pure
 * ACK still gets its RST (RFC 9293 3.10.7.2). */
typedef struct lose_first {
	uint32_t first;  /* the client's ISN + 1, from its SYN */
	int lost;
} lose_first;

static bool lose_first_data(pair *p, int from, uint8_t *pkt, size_t len)
{
	lose_first *lf = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (!drop_to_spoofed(p, from, pkt, len))
		return false;
	if (from != 0 || tern_ip4_parse(pkt, len, false, &ip) ||
	    tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t))
		return true;
	if (t.flags & TERN_TCP_SYN)
		lf->first = t.seq + 1;
	else if (t.payload_len && t.seq == lf->first && lf->lost == 0) {
		lf->lost++;
		return false;
	}
	return true;
}

TT_TEST(test_cookie_ack_behind_a_lost_first_segment_is_dropped_not_reset)
{
	pair p;
	lose_first lf = {0};
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	p.filter = lose_first_data;
	p.ctx = &lf;
	tern_socket *l, *c, *s = NULL;
	tern_endpoint any = {0, 80}, dst = {US, 80};
	TT_EQ(tern_tcp_open(pair_st(&p, 1), &l), 0);
	TT_EQ(tern_socket_bind(l, &any), 0);
	TT_EQ(tern_socket_listen(l, 1), 0);
	spoofed_syn(&p, 0); /* the SYN queue (1) is full: cookies from here */
	TT_EQ(tern_tcp_open(pair_st(&p, 0), &c), 0);
	TT_EQ(tern_socket_connect(c, &dst), TERN_EINPROGRESS);
	static uint8_t data[16 * 1024];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 13 + (i >> 8));
	/* queued before the SYN-ACK comes: the handshake's ACK rides on data */
	TT_EQ(tern_socket_send(c, data, sizeof data, 0), (int)sizeof data);
	size_t got = 0;
	uint64_t h = FX_FNV_BASIS;
	for (int step = 0; step < 3000 && got < sizeof data; step++) {
		pair_run(&p, p.now + TERN_MS(1));
		if (!s && tern_socket_accept(l, &s, NULL) != 0)
			s = NULL;
		uint8_t b[4096];
		int r;
		while (s && (r = tern_socket_recv(s, b, sizeof b, 0)) > 0) {
			h = fx_fnv(h, b, (size_t)r);
			got += (size_t)r;
		}
	}
	TT_EQ(lf.lost, 1);
	TT_EQ(got, sizeof data);
	TT_CHECK(h == fx_fnv(FX_FNV_BASIS, data, sizeof data));
	tern_counters ca, cb;
	tern_stack_counters(pair_st(&p, 0), &ca);
	tern_stack_counters(pair_st(&p, 1), &cb);
	TT_CHECK(cb.tcp_syncookies_failed >= 1); /* the segments behind the lost one */
	TT_EQ(cb.tcp_syncookies_ok, 1);          /* the retransmission */
	TT_EQ(cb.tcp_out_rsts, 0);
	TT_EQ(ca.tcp_in_rsts, 0);
	/* a forged pure ACK to the listener is still reset */
	uint8_t seg[64], pkt[128];
	uint32_t src = TERN_IP4(192, 0, 2, 77);
	tern_tcp_repr f = {.sport = 4242, .dport = 80, .seq = 1000, .ack = 123456,
			   .flags = TERN_TCP_ACK, .wnd = 65535};
	size_t sl = tern_tcp_build(seg, sizeof seg, &f, NULL, 0, src, US);
	fx_input(&p.side[1], pkt, fx_ip4(pkt, src, US, TERN_IPPROTO_TCP, 9, 0, false, seg, sl), p.now);
	tern_stack_counters(pair_st(&p, 1), &cb);
	TT_EQ(cb.tcp_out_rsts, 1);
	pair_fini(&p);
}

TT_MAIN(test_syn_flood_leaves_an_honest_transfer_intact_and_memory_bounded,
	test_cookie_ack_behind_a_lost_first_segment_is_dropped_not_reset)
