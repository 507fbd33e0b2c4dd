/* test_tcp_mem_pressure.c - the stack-wide limit on TCP buffer memory
 * (cfg.tcp_mem_max, issue 5 item 5): out-of-order data is pruned first
 * (RFC 2018 8 allows reneging on SACKed data; the sender keeps it), then
 * new work is refused (SYNs, and data that would need new storage), and
 * data already acknowledged is never dropped. Every refusal is counted;
 * every stream is compared end to end by hash. */
#include "pair.h"
#include "tt.h"

#define RING 65536u  /* the limit's unit: 64 KiB */
#define RCV 65535u   /* a receive ring's storage (the default buffer) */

/* A (side 0, default limits) and B (side 1, tcp_mem_max = limit). */
static int pair_init_limit(pair *p, uint64_t limit)
{
	memset(p, 0, sizeof *p);
	p->delay = TERN_MS(5);
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_mem_max = limit;
	cfg.max_sockets = 256;
	cfg.tcp_rcvbuf_max = cfg.tcp_rcvbuf;  /* fixed 64 KiB buffers, as counted below */
	if (fx_init(&p->side[0], TERN_IP4(192, 0, 2, 1), 1500) ||
	    fx_init_cfg(&p->side[1], TERN_IP4(192, 0, 2, 2), 24, 1500, &cfg))
		return -1;
	p->side[1].seed ^= 0x1234567;
	return 0;
}

static uint8_t stream_byte(size_t i, unsigned k)
{
	return (uint8_t)(i * 31 + (i >> 9) + k * 101);
}

typedef struct conn {
	tern_socket *c, *s;
	unsigned k;
	size_t sent, got;
	uint64_t want, have;
} conn;

static void conn_send(conn *x, size_t total)
{
	uint8_t chunk[4096];
	while (x->sent < total) {
		size_t n = total - x->sent < sizeof chunk ? total - x->sent : sizeof chunk;
		for (size_t i = 0; i < n; i++)
			chunk[i] = stream_byte(x->sent + i, x->k);
		int r = tern_socket_send(x->c, chunk, n, 0);
		if (r <= 0)
			return;
		x->want = fx_fnv(x->want, chunk, (size_t)r);
		x->sent += (size_t)r;
	}
}

static void conn_recv(conn *x)
{
	uint8_t b[8192];
	int r;
	while ((r = tern_socket_recv(x->s, b, sizeof b, 0)) > 0) {
		x->have = fx_fnv(x->have, b, (size_t)r);
		x->got += (size_t)r;
	}
}

/* n connections from A to a listener on B:80, accepted in order. */
static int open_conns(pair *p, conn *cs, unsigned n)
{
	tern_socket *l;
	tern_endpoint any = {0, 80}, dst = {TERN_IP4(192, 0, 2, 2), 80};
	if (tern_tcp_open(pair_st(p, 1), &l) || tern_socket_bind(l, &any) ||
	    tern_socket_listen(l, 128))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		memset(&cs[i], 0, sizeof cs[i]);
		cs[i].k = i;
		cs[i].want = cs[i].have = FX_FNV_BASIS;
		if (tern_tcp_open(pair_st(p, 0), &cs[i].c) ||
		    tern_socket_connect(cs[i].c, &dst) != TERN_EINPROGRESS)
			return -2;
		pair_run(p, p->now + TERN_MS(20));
		if (tern_socket_accept(l, &cs[i].s, NULL))
			return -3;
	}
	return 0;
}

/* ---- out-of-order floods ------------------------------------------------ */

/* While `hold`, the first data byte of every stream is lost (and each
 * retransmission of it), so B gets nothing but out-of-order data. */
typedef struct holes {
	bool hold;
	uint32_t first[65536];  /* A's ISN + 1 by A's port; 0 unknown */
	uint64_t held;
} holes;

static bool hole_filter(pair *p, int from, uint8_t *pkt, size_t len)
{
	holes *h = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (from != 0 || tern_ip4_parse(pkt, len, false, &ip) || ip.proto != TERN_IPPROTO_TCP ||
	    tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &t))
		return true;
	if ((t.flags & TERN_TCP_SYN) && !(t.flags & TERN_TCP_ACK))
		h->first[t.sport] = t.seq + 1;
	if (h->hold && t.payload_len && t.seq == h->first[t.sport]) {
		h->held++;
		return false;
	}
	return true;
}

#define NCONN 40
#define STREAM 200000u
#define LIMIT (16u * RING)  /* 1 MiB: room for 16 of the 40 receive rings */

/* Issue 5's pressure test: 40 connections each get out-of-order data (the
 * first segment of every stream lost for 2 s) past a 1 MiB stack limit,
 * 2.5 times what the rings would take. B's buffer memory never passes the
 * limit (its own account and the allocator agree); out-of-order data that
 * does not fit is refused and counted; when the holes fill, rings holding
 * only out-of-order data are pruned, oldest first, to make room for
 * in-order data (counted); the sender, which never frees SACKed data
 * before the cumulative ACK, resends what was reneged; all 40 streams of
 * 200 KB arrive intact by hash. */
TT_TEST(test_out_of_order_flood_past_the_stack_limit_is_pruned_and_every_stream_survives)
{
	static pair p;
	static holes h;
	static conn cs[NCONN];
	memset(&h, 0, sizeof h);
	TT_EQ(pair_init_limit(&p, LIMIT), 0);
	p.filter = hole_filter;
	p.ctx = &h;
	TT_EQ(open_conns(&p, cs, NCONN), 0);
	tern_stack *b = pair_st(&p, 1);
	fx_alloc *mb = &p.side[1].alloc;
	size_t base = mb->live_bytes;
	mb->peak_bytes = base;
	h.hold = true;
	for (int ms = 0; ms < 2000; ms++) {
		for (unsigned i = 0; i < NCONN; i++)
			conn_send(&cs[i], STREAM);
		pair_run(&p, p.now + TERN_MS(1));
		for (unsigned i = 0; i < NCONN; i++) {
			conn_recv(&cs[i]);
			TT_EQ(cs[i].got, 0);  /* nothing is delivered early */
		}
		TT_CHECK(tern_tcp_mem_used(b) <= LIMIT);
	}
	tern_counters c1;
	tern_stack_counters(b, &c1);
	uint64_t ooo_held = 0;
	for (unsigned i = 0; i < NCONN; i++) {
		tern_tcp_info si;
		tern_socket_info(cs[i].s, &si);
		ooo_held += si.ooo_bytes;
	}
	printf("# flood: %llu bytes of out-of-order data held in %llu of %u KiB; "
	       "%llu segments refused for memory\n", (unsigned long long)ooo_held,
	       (unsigned long long)tern_tcp_mem_used(b) / 1024, LIMIT / 1024,
	       (unsigned long long)c1.tcp_mem_pressure_drops);
	TT_CHECK(c1.tcp_mem_pressure_drops > 0);
	TT_EQ(tern_tcp_mem_used(b), 16 * RCV);  /* full, and no further */
	TT_EQ(c1.tcp_ooo_pruned, 0);          /* out of order never evicts out of order */
	/* the holes fill: every stream completes */
	h.hold = false;
	tern_time start = p.now, end = p.now + TERN_SEC(300);
	unsigned done = 0;
	while (done < NCONN && p.now < end) {
		done = 0;
		for (unsigned i = 0; i < NCONN; i++)
			conn_send(&cs[i], STREAM);
		pair_run(&p, p.now + TERN_MS(1));
		for (unsigned i = 0; i < NCONN; i++) {
			conn_recv(&cs[i]);
			done += cs[i].got == STREAM;
		}
		TT_CHECK(tern_tcp_mem_used(b) <= LIMIT);
	}
	tern_counters c2;
	tern_stack_counters(b, &c2);
	printf("# after the holes filled: %llu queues (%llu bytes) pruned, %llu refusals in all, "
	       "%.1f s to finish; B's peak %llu KiB by its account, %zu KiB by its allocator "
	       "(limit %u KiB)\n",
	       (unsigned long long)c2.tcp_ooo_pruned, (unsigned long long)c2.tcp_ooo_pruned_bytes,
	       (unsigned long long)c2.tcp_mem_pressure_drops, (double)(p.now - start) / 1e6,
	       (unsigned long long)tern_tcp_mem_peak(b) / 1024, (mb->peak_bytes - base) / 1024,
	       LIMIT / 1024);
	TT_EQ(done, NCONN);
	for (unsigned i = 0; i < NCONN; i++)
		TT_CHECK(cs[i].have == cs[i].want);
	TT_CHECK(c2.tcp_ooo_pruned > 0);
	TT_CHECK(c2.tcp_ooo_pruned_bytes > 0);
	TT_CHECK(tern_tcp_mem_peak(b) <= LIMIT);
	/* the allocator agrees: the rings and a little per-connection state */
	TT_CHECK(mb->peak_bytes - base <= LIMIT + 64 * 1024);
	TT_EQ(tern_tcp_mem_used(b), 0);  /* all read: every ring given back */
	pair_fini(&p);
}

/* ---- buffers full of acknowledged data ---------------------------------- */

/* With B's limit taken by four receive buffers of in-order data nobody
 * reads, what would need more storage waits: a fifth connection's data is
 * refused (not acknowledged, counted), a new connection's SYN is refused
 * (counted), B's own writes meet EAGAIN and the socket is not writable;
 * nothing held is dropped. Once the applications read,
 * the fifth stream arrives on retransmission, the new client gets in on a
 * SYN retry, and every stream is intact by hash. */
TT_TEST(test_buffers_full_of_unread_data_refuse_new_work_and_lose_nothing)
{
	static pair p;
	static conn cs[6];
	TT_EQ(pair_init_limit(&p, 4 * RING), 0);
	TT_EQ(open_conns(&p, cs, 5), 0);
	tern_stack *b = pair_st(&p, 1);
	/* four streams fill their receive buffers; nobody reads */
	for (unsigned i = 0; i < 4; i++)
		conn_send(&cs[i], 100000);
	pair_run(&p, p.now + TERN_SEC(1));
	for (unsigned i = 0; i < 4; i++) {
		tern_tcp_info si;
		tern_socket_info(cs[i].s, &si);
		TT_EQ(si.unread, 65535);
	}
	TT_EQ(tern_tcp_mem_used(b), 4 * RCV);
	/* the fifth connection's data finds no storage */
	conn_send(&cs[4], 100000);
	pair_run(&p, p.now + TERN_SEC(2));
	tern_tcp_info ci, si;
	tern_socket_info(cs[4].c, &ci);
	tern_socket_info(cs[4].s, &si);
	TT_EQ(si.unread, 0);
	TT_EQ(ci.unacked + ci.unsent, 65536);  /* nothing acknowledged */
	tern_counters ct;
	tern_stack_counters(b, &ct);
	uint64_t data_refused = ct.tcp_mem_pressure_drops;
	TT_CHECK(data_refused > 0);
	/* a new connection is refused too */
	tern_endpoint dst = {TERN_IP4(192, 0, 2, 2), 80};
	TT_EQ(tern_tcp_open(pair_st(&p, 0), &cs[5].c), 0);
	TT_EQ(tern_socket_connect(cs[5].c, &dst), TERN_EINPROGRESS);
	pair_run(&p, p.now + TERN_MS(500));
	tern_socket_info(cs[5].c, &ci);
	TT_EQ(ci.state, TERN_TCP_SYN_SENT);
	tern_stack_counters(b, &ct);
	TT_CHECK(ct.tcp_mem_pressure_drops > data_refused);
	TT_EQ(ct.tcp_ooo_pruned, 0);  /* nothing out of order to prune */
	/* B's application cannot write either: no storage for a send ring */
	TT_CHECK(!(tern_socket_events(cs[4].s) & TERN_EV_WRITABLE));
	TT_EQ(tern_socket_send(cs[4].s, "reply", 5, 0), TERN_EAGAIN);
	TT_EQ(tern_tcp_mem_used(b), 4 * RCV);
	printf("# limit full of unread data: %llu segments and SYNs refused, nothing pruned\n",
	       (unsigned long long)ct.tcp_mem_pressure_drops);
	/* the readers wake: everything arrives, the sixth client gets in */
	for (tern_time end = p.now + TERN_SEC(60); p.now < end; ) {
		for (unsigned i = 0; i < 5; i++) {
			conn_send(&cs[i], 100000);
			conn_recv(&cs[i]);
		}
		pair_run(&p, p.now + TERN_MS(1));
		tern_tcp_info li;
		tern_socket_info(cs[5].c, &li);
		if (li.state == TERN_TCP_ESTABLISHED)
			break;
	}
	for (unsigned i = 0; i < 5; i++) {
		for (int k = 0; k < 5000 && cs[i].got < 100000; k++) {
			conn_send(&cs[i], 100000);
			pair_run(&p, p.now + TERN_MS(1));
			conn_recv(&cs[i]);
		}
		TT_EQ(cs[i].got, 100000);
		TT_CHECK(cs[i].have == cs[i].want);
	}
	tern_tcp_info li;
	tern_socket_info(cs[5].c, &li);
	TT_EQ(li.state, TERN_TCP_ESTABLISHED);
	TT_CHECK(tern_socket_events(cs[4].s) & TERN_EV_WRITABLE);  /* memory is back */
	TT_EQ(tern_socket_send(cs[4].s, "reply", 5, 0), 5);
	TT_CHECK(tern_tcp_mem_peak(b) <= 4 * RING);
	pair_fini(&p);
}

TT_MAIN(test_out_of_order_flood_past_the_stack_limit_is_pruned_and_every_stream_survives,
	test_buffers_full_of_unread_data_refuse_new_work_and_lose_nothing)
