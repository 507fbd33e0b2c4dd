/* test_tcp_ooo_peer.c - a peer that sends only out-of-order data, 20,000
 * overlapping pieces at random places in and beyond the window: the
 * receiver holds what fits its limits, refuses (and counts) the rest,
 * delivers nothing early, and once the holes are filled the application
 * reads exactly the bytes that were sent. */
#include "pair.h"
#include "tt.h"

typedef struct seen {
	uint32_t a_next, b_next, a_tsval, b_tsval;
} seen;

static bool watch(pair *p, int from, uint8_t *pkt, size_t len)
{
	seen *w = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (tern_ip4_parse(pkt, len, false, &ip) || ip.proto != TERN_IPPROTO_TCP ||
	    tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t))
		return true;
	uint32_t end = t.seq + (uint32_t)t.payload_len + !!(t.flags & (TERN_TCP_SYN | TERN_TCP_FIN));
	if (from == 0) {
		w->a_next = end;
		w->a_tsval = t.opts.ts_val;
	} else {
		w->b_next = end;
		w->b_tsval = t.opts.ts_val;
	}
	return true;
}

static uint8_t data[65536];

/* A segment from A's side of the connection carrying data[off..off+n). */
static void inject(pair *p, const tern_tcp_info *ai, uint32_t base, uint32_t off, uint32_t n)
{
	seen *w = p->ctx;
	uint8_t seg[1600], pkt[1700];
	tern_tcp_repr h = {.sport = ai->local.port, .dport = ai->remote.port, .seq = base + off,
			   .ack = w->b_next, .flags = TERN_TCP_ACK, .wnd = 65535};
	h.opts.present = TERN_TCPO_TS;
	h.opts.ts_val = w->a_tsval;
	h.opts.ts_ecr = w->b_tsval;
	size_t sl = tern_tcp_build(seg, sizeof seg, &h, data + off, n, ai->local.addr, ai->remote.addr);
	size_t k = fx_ip4(pkt, ai->local.addr, ai->remote.addr, TERN_IPPROTO_TCP, 7, 0, false, seg, sl);
	fx_input(&p->side[1], pkt, k, p->now);
}

TT_TEST(test_peer_sending_only_out_of_order_data_loses_and_corrupts_nothing)
{
	pair p;
	seen w = {0};
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	p.filter = watch;
	p.ctx = &w;
	tern_socket *l, *c, *s;
	TT_EQ(pair_connect(&p, 80, &l, &c, &s), 0);
	tern_tcp_info ai;
	TT_EQ(tern_socket_info(c, &ai), 0);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 31 + (i >> 8));
	uint32_t base = w.a_next;
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	uint32_t ooo_max = 0;
	size_t live0 = p.side[1].alloc.live_bytes;
	p.side[1].alloc.peak_bytes = live0;
	for (int i = 0; i < 20000; i++) {
		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t off = 1 + (uint32_t)(rnd >> 33) % 60000;
		uint32_t n = 100 + (uint32_t)(rnd >> 20) % 900;
		if (off + n > sizeof data)
			n = (uint32_t)sizeof data - off;
		inject(&p, &ai, base, off, n);
		/* the per-connection limit: out-of-order bytes live in the
		 * receive buffer, within the window offered, never beyond */
		tern_tcp_info si;
		TT_EQ(tern_socket_info(s, &si), 0);
		TT_CHECK(si.ooo_bytes <= 65535);
		TT_EQ(si.unread, 0);
		if (si.ooo_bytes > ooo_max)
			ooo_max = si.ooo_bytes;
	}
	uint8_t b[4096];
	TT_EQ(tern_socket_recv(s, b, sizeof b, 0), TERN_EAGAIN);
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 1), &ct);
	printf("# out of order: at most %u bytes held (limit 65535), %llu segments queued, "
	       "%llu refused; memory +%zu bytes at peak\n", ooo_max,
	       (unsigned long long)ct.tcp_ooo_segs, (unsigned long long)ct.tcp_ooo_drops,
	       p.side[1].alloc.peak_bytes - live0);
	TT_CHECK(ct.tcp_ooo_segs > 0);
	TT_CHECK(ct.tcp_ooo_drops > 0);  /* the interval limit refused some */
	/* one receive buffer's worth, however many pieces came */
	TT_CHECK(p.side[1].alloc.peak_bytes - live0 <= 65535 + 1024);
	/* now the whole stream, in order, read as it comes */
	uint64_t want = fx_fnv(FX_FNV_BASIS, data, sizeof data), got_h = FX_FNV_BASIS;
	size_t got = 0;
	for (uint32_t off = 0, step = 0; got < sizeof data && step < 10000; step++) {
		if (off < sizeof data)
			inject(&p, &ai, base, off,
			       1000 < sizeof data - off ? 1000 : (uint32_t)(sizeof data - off));
		pair_run(&p, p.now + TERN_MS(1));
		long r;
		while ((r = tern_socket_recv(s, b, sizeof b, 0)) > 0) {
			got_h = fx_fnv(got_h, b, (size_t)r);
			got += (size_t)r;
		}
		off = (uint32_t)got > off + 1000 ? (uint32_t)got : off + 1000;
		if (off > got + 32768 || off >= sizeof data)  /* no further ahead than the window */
			off = (uint32_t)got;
	}
	TT_EQ(got, sizeof data);
	TT_CHECK(got_h == want);
	pair_fini(&p);
}

TT_MAIN(test_peer_sending_only_out_of_order_data_loses_and_corrupts_nothing)
