/* test_tcp_misbehaving_peer.c - peers that break the rules of the game
 * (issue 5): one that never reads (its window stays shut for an hour), one
 * that shrinks its window, one that acknowledges data never sent. In each,
 * tern (side A, the sender) must keep its limits, not crash, keep the
 * connection unless told otherwise, and deliver every byte: each transfer
 * is compared end to end by hash. (A peer that sends only out-of-order
 * data is test_tcp_ooo_peer.) */
#include "pair.h"
#include "tcp/tcp_seq.h"
#include "tt.h"

#define SNDBUF 65536u
#define RCVBUF 65535u

/* A (side 0) connects to a listener on B (side 1); *c is A's socket, *s
 * the accepted one. */
static int connect_ab(pair *p, tern_socket **c, tern_socket **s)
{
	tern_socket *l;
	tern_endpoint any = {0, 80}, dst = {TERN_IP4(192, 0, 2, 2), 80};
	if (tern_tcp_open(pair_st(p, 1), &l) || tern_socket_bind(l, &any) ||
	    tern_socket_listen(l, 4) || tern_tcp_open(pair_st(p, 0), c) ||
	    tern_socket_connect(*c, &dst) != TERN_EINPROGRESS)
		return -1;
	pair_run(p, p->now + TERN_MS(100));
	return tern_socket_accept(l, s, NULL);
}

static int state_of(tern_socket *s)
{
	tern_tcp_info i;
	tern_socket_info(s, &i);
	return i.state;
}

/* The stream's bytes: a pattern that no shift of itself matches. */
static uint8_t stream_byte(size_t i) { return (uint8_t)(i * 31 + (i >> 9) + (i >> 17)); }

typedef struct flow {
	size_t total, sent, got;
	uint64_t want, have;
} flow;

static void flow_init(flow *f, size_t total)
{
	memset(f, 0, sizeof *f);
	f->total = total;
	f->want = f->have = FX_FNV_BASIS;
}

/* Write as much as the send buffer takes; returns the last result. */
static int flow_send(flow *f, tern_socket *c)
{
	uint8_t chunk[4096];
	int k = 0;
	while (f->sent < f->total) {
		size_t n = f->total - f->sent < sizeof chunk ? f->total - f->sent : sizeof chunk;
		for (size_t i = 0; i < n; i++)
			chunk[i] = stream_byte(f->sent + i);
		k = tern_socket_send(c, chunk, n, 0);
		if (k <= 0)
			return k;
		f->want = fx_fnv(f->want, chunk, (size_t)k);
		f->sent += (size_t)k;
	}
	return k;
}

static void flow_recv(flow *f, tern_socket *s)
{
	uint8_t b[8192];
	int r;
	while ((r = tern_socket_recv(s, b, sizeof b, 0)) > 0) {
		f->have = fx_fnv(f->have, b, (size_t)r);
		f->got += (size_t)r;
	}
}

/* Run the transfer to its end: A writes, B reads, 1 ms steps. */
static void flow_finish(pair *p, flow *f, tern_socket *c, tern_socket *s, tern_time limit)
{
	tern_time end = p->now + limit;
	while (f->got < f->total && p->now < end) {
		flow_send(f, c);
		pair_run(p, p->now + TERN_MS(1));
		flow_recv(f, s);
	}
}

/* ---- a peer that never reads ------------------------------------------- */

/* RFC 9293 3.8.6.1 (MUST-36, MUST-37): a receiver may keep its window shut
 * indefinitely, and while it answers the probes the sender keeps the
 * connection. For an hour of virtual time the application's writes meet a
 * full send buffer (EAGAIN, not writable), A's memory stays within its
 * send buffer and B's within its receive buffer, the probes back off to
 * one a minute; then B reads and every byte arrives. */
TT_TEST(test_peer_that_never_reads_is_probed_for_an_hour_with_memory_bounded)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	tern_socket *c, *s;
	TT_EQ(connect_ab(&p, &c, &s), 0);
	fx_alloc *ma = &p.side[0].alloc, *mb = &p.side[1].alloc;
	size_t base_a = ma->live_bytes, base_b = mb->live_bytes;
	ma->peak_bytes = base_a;
	mb->peak_bytes = base_b;
	flow f;
	flow_init(&f, 4u << 20);
	unsigned eagain = 0;
	size_t live_at_10min = 0;
	for (int sec = 0; sec < 3600; sec++) {
		int k = flow_send(&f, c);
		if (sec > 0) {  /* by now the window is shut and the buffer full */
			TT_EQ(k, TERN_EAGAIN);
			TT_CHECK(!(tern_socket_events(c) & TERN_EV_WRITABLE));
			eagain++;
		}
		pair_run(&p, p.now + TERN_SEC(1));
		if (sec == 600)
			live_at_10min = ma->live_bytes;
	}
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	TT_EQ(state_of(s), TERN_TCP_ESTABLISHED);
	tern_tcp_info ci, si;
	tern_socket_info(c, &ci);
	tern_socket_info(s, &si);
	TT_EQ(ci.snd_wnd, 0);
	TT_EQ(si.unread, RCVBUF);
	TT_EQ(ci.unacked + ci.unsent, SNDBUF);  /* the send buffer, full */
	TT_EQ(f.sent, SNDBUF + RCVBUF);
	TT_EQ(ma->live_bytes, live_at_10min);   /* nothing grows while it waits */
	/* A: the send buffer and the RACK ring of the first flight; B: its
	 * receive buffer. Nothing else. */
	printf("# an hour shut: A peak %zu bytes over its idle connection (sndbuf %u), "
	       "B %zu (rcvbuf %u)\n", ma->peak_bytes - base_a, SNDBUF,
	       mb->peak_bytes - base_b, RCVBUF);
	TT_CHECK(ma->peak_bytes - base_a <= SNDBUF + 4096);
	TT_CHECK(mb->peak_bytes - base_b <= RCVBUF + 1024);
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 0), &ct);
	/* backed off to the 60 s maximum: about one a minute */
	printf("# %llu persist probes in an hour, %u writes refused\n",
	       (unsigned long long)ct.tcp_persist_probes, eagain);
	TT_CHECK(ct.tcp_persist_probes >= 55 && ct.tcp_persist_probes <= 75);
	TT_EQ(ct.tcp_timeout_drops, 0);
	/* the reader wakes: everything arrives, in order */
	flow_finish(&p, &f, c, s, TERN_SEC(120));
	TT_EQ(f.got, f.total);
	TT_CHECK(f.have == f.want);
	pair_fini(&p);
}

/* RFC 5482 / RFC 9293 3.8.3: a user timeout bounds how long sent data may
 * stay unacknowledged, and the zero-window probe is such data: with a
 * 30 s user timeout the connection to a peer that never reads ends
 * ETIMEDOUT half a minute after the first unanswered probe, though the
 * peer answers every probe (the resource-management exception of MUST-37,
 * RFC 6429). */
TT_TEST(test_peer_that_never_reads_times_out_under_a_user_timeout)
{
	pair p;
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	tern_socket *c, *s;
	TT_EQ(connect_ab(&p, &c, &s), 0);
	TT_EQ(tern_socket_setopt(c, TERN_SO_USER_TIMEOUT, 30000), 0);
	flow f;
	flow_init(&f, 1u << 20);
	flow_send(&f, c);
	tern_time t0 = p.now;
	pair_run(&p, t0 + TERN_SEC(29));
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 0), &ct);
	TT_CHECK(ct.tcp_persist_probes >= 5);
	pair_run(&p, t0 + TERN_SEC(32));
	uint8_t b[8];
	TT_EQ(tern_socket_recv(c, b, sizeof b, 0), TERN_ETIMEDOUT);
	TT_EQ(tern_socket_send(c, "x", 1, 0), TERN_ETIMEDOUT);
	TT_EQ(state_of(c), TERN_TCP_CLOSED);
	tern_stack_counters(pair_st(&p, 0), &ct);
	TT_EQ(ct.tcp_timeout_drops, 1);
	/* what B held is exactly the first 65535 bytes A wrote */
	uint64_t want = FX_FNV_BASIS, have = FX_FNV_BASIS;
	for (size_t i = 0; i < RCVBUF; i++) {
		uint8_t x = stream_byte(i);
		want = fx_fnv(want, &x, 1);
	}
	size_t got = 0;
	int r;
	uint8_t buf[4096];
	while ((r = tern_socket_recv(s, buf, sizeof buf, 0)) > 0) {
		have = fx_fnv(have, buf, (size_t)r);
		got += (size_t)r;
	}
	TT_EQ(got, RCVBUF);
	TT_CHECK(have == want);
	pair_fini(&p);
}

/* ---- a peer that shrinks its window ------------------------------------- */

/* The filter rewrites B's window so that its right edge stays at `cap`
 * (set when shrinking starts: well below what B offered before), and
 * checks every data segment A sends against the right edge A knows. */
typedef struct shrink {
	bool on;
	uint32_t cap;            /* the right edge while shrinking */
	bool synced;             /* A has had a window from B */
	uint32_t wl1, wl2, edge; /* A's view: RFC 9293 3.10.7.4's window update */
	bool started;
	uint32_t base;           /* sequence number of the stream's first byte */
	uint32_t snd_max;        /* A's highest sequence number sent + 1 */
	unsigned rewritten, shrinks_seen, beyond_new, beyond_rexmt, probes;
} shrink;

static void patch16(uint8_t *tcp, size_t at, uint16_t v)
{
	uint16_t old = tern_get16(tcp + at);
	tern_put16(tcp + at, v);
	tern_put16(tcp + 16, tern_csum_update16(tern_get16(tcp + 16), old, v));
}

static void patch32(uint8_t *tcp, size_t at, uint32_t v)
{
	uint32_t old = tern_get32(tcp + at);
	tern_put32(tcp + at, v);
	tern_put16(tcp + 16, tern_csum_update32(tern_get16(tcp + 16), old, v));
}

static bool parse(uint8_t *pkt, size_t len, tern_ip4_repr *ip, tern_tcp_repr *t)
{
	return tern_ip4_parse(pkt, len, false, ip) == 0 && ip->proto == TERN_IPPROTO_TCP &&
	       tern_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, true, t) == 0;
}

/* A data segment from A, checked against the edge A knows. RFC 9293
 * 3.8.6 (SHLD-15) and RFC 7323 2.4 rule 3: no new data beyond it; rule 5:
 * no retransmission beyond it either, but for the one-byte zero-window
 * probe (MUST-35). */
static void shrink_check_a(shrink *w, const tern_tcp_repr *t)
{
	if (!t->payload_len)
		return;
	uint32_t end = t->seq + (uint32_t)t->payload_len;
	if (!w->started) {
		w->started = true;
		w->base = w->snd_max = t->seq;
	}
	bool fresh = seq_gt(end, w->snd_max);
	if (fresh)
		w->snd_max = end;
	if (seq_leq(end, w->edge))
		return;
	if (t->payload_len == 1 && t->seq == w->edge)
		w->probes++;
	else if (fresh)
		w->beyond_new++;
	else
		w->beyond_rexmt++;
}

/* B's segments: while shrinking, the window is cut so the edge is at most
 * `cap` (B's shift is 0: a 64 KiB buffer needs none). */
static bool shrink_filter(pair *p, int from, uint8_t *pkt, size_t len)
{
	shrink *w = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (!parse(pkt, len, &ip, &t) || (t.flags & TERN_TCP_SYN))
		return true;
	if (from == 0) {
		shrink_check_a(w, &t);
		return true;
	}
	if (!w->on)
		return true;
	if (!w->cap)
		w->cap = t.ack + 3000;
	if (seq_gt(t.ack + t.wnd, w->cap)) {
		uint32_t wnd = seq_gt(w->cap, t.ack) ? w->cap - t.ack : 0;
		patch16((uint8_t *)ip.payload, 14, (uint16_t)wnd);
		w->rewritten++;
	}
	return true;
}

/* What A receives from B: the window it takes, by RFC 9293 3.10.7.4's
 * rule (SND.WL1 < SEG.SEQ, or SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK),
 * since the pair may deliver segments of the same instant out of order. */
static bool shrink_arrive(pair *p, int from, uint8_t *pkt, size_t len)
{
	shrink *w = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (from != 1 || !parse(pkt, len, &ip, &t) || !(t.flags & TERN_TCP_ACK))
		return true;
	if (w->synced && !seq_gt(t.seq, w->wl1) && !(t.seq == w->wl1 && seq_geq(t.ack, w->wl2)))
		return true;
	uint32_t edge = t.ack + t.wnd;
	if (w->synced && w->on && seq_lt(edge, w->edge))
		w->shrinks_seen++;  /* during the phase (same-instant ACKs may also cross) */
	w->synced = true;
	w->wl1 = t.seq;
	w->wl2 = t.ack;
	w->edge = edge;
	return true;
}

/* RFC 9293 3.8.6 (MUST-34, SHLD-15..17, MUST-35) and RFC 7323 2.4: in the
 * middle of a 2 MB transfer B pulls its right edge back to 3,000 bytes
 * past its ACK (below data already in flight) and holds it there for 3 s,
 * through a zero window. A sends nothing beyond the edge it has seen but
 * zero-window probes, keeps the connection, and once the window reopens
 * the stream completes with the right hash. */
TT_TEST(test_peer_that_shrinks_its_window_gets_nothing_beyond_the_edge)
{
	pair p;
	shrink w;
	memset(&w, 0, sizeof w);
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	p.filter = shrink_filter;
	p.arrive = shrink_arrive;
	p.ctx = &w;
	tern_socket *c, *s;
	TT_EQ(connect_ab(&p, &c, &s), 0);
	flow f;
	flow_init(&f, 2u << 20);
	while (f.got < 500000) {
		flow_send(&f, c);
		pair_run(&p, p.now + TERN_MS(1));
		flow_recv(&f, s);
	}
	tern_tcp_info ci;
	tern_socket_info(c, &ci);
	TT_CHECK(ci.unacked > 3000);  /* the shrink will cut into the flight */
	w.on = true;
	for (int ms = 0; ms < 3000; ms++) {
		flow_send(&f, c);
		pair_run(&p, p.now + TERN_MS(1));
		flow_recv(&f, s);
	}
	TT_CHECK(w.shrinks_seen > 0);
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	w.on = false;
	flow_finish(&p, &f, c, s, TERN_SEC(60));
	printf("# %u windows cut, A saw its edge move left %u times, %u probes; "
	       "beyond the edge: %u new, %u resent\n",
	       w.rewritten, w.shrinks_seen, w.probes, w.beyond_new, w.beyond_rexmt);
	TT_EQ(w.beyond_new, 0);
	TT_EQ(w.beyond_rexmt, 0);
	TT_CHECK(w.probes > 0);
	TT_EQ(f.got, f.total);
	TT_CHECK(f.have == f.want);
	pair_fini(&p);
}

/* ---- a peer that acknowledges data never sent --------------------------- */

typedef struct liar {
	unsigned lies, every;
	uint64_t seen;
} liar;

/* Every `every`th segment from B (data or not) acknowledges 100,000 bytes
 * A has not sent yet. */
static bool liar_filter(pair *p, int from, uint8_t *pkt, size_t len)
{
	liar *w = p->ctx;
	tern_ip4_repr ip;
	tern_tcp_repr t;
	if (from != 1 || !parse(pkt, len, &ip, &t) || !(t.flags & TERN_TCP_ACK) ||
	    (t.flags & (TERN_TCP_SYN | TERN_TCP_RST | TERN_TCP_FIN)))
		return true;
	if (++w->seen % w->every == 0) {
		patch32((uint8_t *)ip.payload, 8, t.ack + 100000);
		w->lies++;
	}
	return true;
}

/* RFC 9293 3.10.7.4 and RFC 5961 5.2: an ACK of something not yet sent
 * (SEG.ACK > SND.MAX) is answered with an ACK and the segment dropped,
 * text and all. One in five of B's segments lies so through a transfer
 * in both directions: each lie is counted, the connection never moves
 * SND.UNA past what it sent, and both streams arrive intact by hash. */
TT_TEST(test_peer_acknowledging_unsent_data_is_counted_and_harms_nothing)
{
	pair p;
	liar w = {0, 5, 0};
	TT_EQ(pair_init(&p, TERN_MS(5)), 0);
	p.filter = liar_filter;
	p.ctx = &w;
	tern_socket *c, *s;
	TT_EQ(connect_ab(&p, &c, &s), 0);
	flow ab, ba;
	flow_init(&ab, 1u << 20);
	flow_init(&ba, 1u << 20);
	tern_time end = p.now + TERN_SEC(120);
	while ((ab.got < ab.total || ba.got < ba.total) && p.now < end) {
		flow_send(&ab, c);
		flow_send(&ba, s);
		pair_run(&p, p.now + TERN_MS(1));
		flow_recv(&ab, s);
		flow_recv(&ba, c);
		tern_tcp_info ci;
		tern_socket_info(c, &ci);
		/* the lies never make the sender count more than its ring holds
		 * (send-buffer auto-tuning may have grown it, within its max) */
		TT_CHECK(ci.unacked + ci.unsent <= ci.sndbuf);
		TT_CHECK(ci.sndbuf <= 4u << 20);
	}
	TT_EQ(state_of(c), TERN_TCP_ESTABLISHED);
	TT_EQ(ab.got, ab.total);
	TT_CHECK(ab.have == ab.want);
	TT_EQ(ba.got, ba.total);
	TT_CHECK(ba.have == ba.want);
	tern_counters ct;
	tern_stack_counters(pair_st(&p, 0), &ct);
	printf("# %u lying segments, %llu counted as acknowledging unsent data, %llu segments "
	       "unacceptable\n",
	       w.lies, (unsigned long long)ct.tcp_ack_too_new,
	       (unsigned long long)ct.tcp_unacceptable);
	TT_CHECK(w.lies > 100);
	/* Each lie is counted, unless its segment failed the sequence test,
	 * which RFC 9293 3.10.7.4 applies first (e.g. a tail-loss probe of
	 * data A holds): dropped as unacceptable, never reaching the ACK. */
	TT_CHECK(ct.tcp_ack_too_new <= w.lies);
	TT_CHECK(ct.tcp_ack_too_new + ct.tcp_unacceptable >= w.lies);
	TT_EQ(ct.tcp_estab_resets, 0);
	pair_fini(&p);
}

TT_MAIN(test_peer_that_never_reads_is_probed_for_an_hour_with_memory_bounded,
	test_peer_that_never_reads_times_out_under_a_user_timeout,
	test_peer_that_shrinks_its_window_gets_nothing_beyond_the_edge,
	test_peer_acknowledging_unsent_data_is_counted_and_harms_nothing)
