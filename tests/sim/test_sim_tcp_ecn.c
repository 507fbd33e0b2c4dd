/* test_sim_tcp_ecn.c - ECN end to end through a simulated bottleneck whose
 * queue marks CE (RFC 3168): the sender learns of congestion without
 * losing a packet, reduces at most once per window (no more reductions than
 * CWRs it sent), and the bytes arrive intact. Without ECN the same link
 * has to drop. */
#include <stdlib.h>

#include "core/siphash.h"
#include "tern/sim.h"
#include "tt.h"

#define SIZE (4u << 20)

typedef struct result {
	bool intact;
	tern_counters a, b;
	tern_sim_link_stats ab;
} result;

static void run(bool ecn, result *res)
{
	memset(res, 0, sizeof *res);
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.tcp_no_ecn = !ecn;
	cfg.tcp_rcvbuf = 1 << 20;
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	tern_sim_link_config lc = {.rate_bps = 10000000, .delay = TERN_MS(5), .queue_pkts = 24,
				   .ecn_mark_pkts = 8, .mtu = 1500};
	if (tern_sim_new(7, &sim) || tern_sim_host_add_config(sim, "a", "10.0.0.1/24", 1500, &cfg, &a) ||
	    tern_sim_host_add_config(sim, "b", "10.0.0.2/24", 1500, &cfg, &b) ||
	    tern_sim_connect(sim, a, b, &lc, &link))
		return;
	uint8_t *data = malloc(SIZE), *got = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 131 + 7);
	tern_socket *l, *c, *s = NULL;
	tern_endpoint any = {0, 9}, dst = {TERN_IP4(10, 0, 0, 2), 9};
	tern_tcp_open(tern_sim_host_stack(b), &l);
	tern_socket_bind(l, &any);
	tern_socket_listen(l, 1);
	tern_tcp_open(tern_sim_host_stack(a), &c);
	tern_socket_connect(c, &dst);
	size_t sent = 0, recvd = 0;
	for (int ms = 0; ms < 60000 && recvd < SIZE; ms++) {
		if (!s)
			tern_socket_accept(l, &s, NULL);
		for (int k = 0; k < 16 && sent < SIZE; k++) {
			int n = tern_socket_send(c, data + sent, SIZE - sent, 0);
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		for (int k = 0; s && k < 64 && recvd < SIZE; k++) {
			int n = tern_socket_recv(s, got + recvd, SIZE - recvd, 0);
			if (n <= 0)
				break;
			recvd += (size_t)n;
		}
		tern_sim_run_for(sim, TERN_MS(1));
	}
	static const uint8_t key[16] = {9};
	res->intact = recvd == SIZE && tern_siphash(key, got, SIZE) == tern_siphash(key, data, SIZE);
	tern_stack_counters(tern_sim_host_stack(a), &res->a);
	tern_stack_counters(tern_sim_host_stack(b), &res->b);
	tern_sim_link_stats_get(link, TERN_SIM_AB, &res->ab);
	tern_sim_del(sim);
	free(data);
	free(got);
}

TT_TEST(test_ecn_replaces_drops_with_marks_and_reduces_once_per_window)
{
	result e, d;
	run(true, &e);
	run(false, &d);
	fprintf(stderr, "  ecn: %llu marks, %llu drops, %llu reductions, %llu retransmissions; "
			"without: %llu drops, %llu retransmissions\n",
		(unsigned long long)e.ab.ce_marked, (unsigned long long)e.ab.queue_drops,
		(unsigned long long)e.a.tcp_ecn_reductions, (unsigned long long)e.a.tcp_retrans_segs,
		(unsigned long long)d.ab.queue_drops, (unsigned long long)d.a.tcp_retrans_segs);
	TT_CHECK(e.intact && d.intact);
	/* without ECN the bottleneck can only drop */
	TT_EQ(d.ab.ce_marked, 0);
	TT_CHECK(d.ab.queue_drops > 0);
	TT_EQ(d.a.tcp_ecn_reductions, 0);
	/* with it, marks take the place of drops (a slow-start overshoot may
	 * still overflow the queue before the first echo returns) */
	TT_CHECK(e.ab.ce_marked > 0);
	TT_CHECK(e.ab.queue_drops * 4 < d.ab.queue_drops);
	TT_CHECK(e.a.tcp_ecn_reductions > 0);
	/* at most once per window: each reduction answers marks, and marks come
	 * in runs within a window */
	TT_CHECK(e.a.tcp_ecn_reductions <= e.b.tcp_ecn_ce_in);
	TT_CHECK(e.a.tcp_ecn_reductions * 2 <= e.ab.ce_marked + 1);
}

TT_MAIN(test_ecn_replaces_drops_with_marks_and_reduces_once_per_window)
