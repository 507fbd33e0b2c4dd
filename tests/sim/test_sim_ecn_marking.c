/* test_sim_ecn_marking.c - link queues that set CE instead of dropping
 * (RFC 3168 5): the step threshold and the RED-like ramp, which packets are
 * left alone, the IPv4 header checksum, statistics and determinism. Raw
 * hosts send hand-built IPv4 packets; no stack is involved. */
#include <math.h>

#include "tern/sim.h"
#include "tt.h"
#include "wire/wire.h"

/* The ECN field, the low two bits of the TOS byte (RFC 3168 5). */
#define NOT_ECT 0x00
#define ECT1    0x01
#define ECT0    0x02
#define CE      0x03
#define DSCP_EF 0xb8 /* set on some packets: marking must keep it */

/* 100-byte packets on an 800 kbit/s link: one millisecond each. */
#define PKT_LEN 100
#define RATE    800000
#define KEEP    128 /* bytes kept of each arrival */

/* What reaches one raw host: each packet's bytes, length and time. */
struct rx {
	uint32_t n, cap;
	uint8_t (*pkt)[KEEP];
	size_t *len;
	tern_time *at;
};

static void rx_up(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	struct rx *r = ctx;

	if (r->n < r->cap) {
		memcpy(r->pkt[r->n], pkt, len < KEEP ? len : KEEP);
		r->len[r->n] = len;
		r->at[r->n] = now;
	}
	r->n++;
}

static void rx_init(struct rx *r, uint32_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap;
	r->pkt = calloc(cap, sizeof(*r->pkt));
	r->len = calloc(cap, sizeof(*r->len));
	r->at = calloc(cap, sizeof(*r->at));
}

static void rx_free(struct rx *r)
{
	free(r->pkt);
	free(r->len);
	free(r->at);
}

/* Raw hosts a and b joined by a link; b's arrivals go to rb, a's to ra. */
struct pair {
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	struct rx ra, rb;
};

static int pair_open(struct pair *p, uint64_t seed, const tern_sim_link_config *c, uint32_t cap)
{
	int rc;

	rx_init(&p->ra, cap);
	rx_init(&p->rb, cap);
	if ((rc = tern_sim_new(seed, &p->sim)) < 0 ||
	    (rc = tern_sim_raw_add(p->sim, "a", &p->a)) < 0 ||
	    (rc = tern_sim_raw_add(p->sim, "b", &p->b)) < 0 ||
	    (rc = tern_sim_connect(p->sim, p->a, p->b, c, &p->link)) < 0)
		return rc;
	tern_sim_host_dev(p->a)->up = rx_up;
	tern_sim_host_dev(p->a)->up_ctx = &p->ra;
	tern_sim_host_dev(p->b)->up = rx_up;
	tern_sim_host_dev(p->b)->up_ctx = &p->rb;
	return 0;
}

static void pair_close(struct pair *p)
{
	tern_sim_del(p->sim);
	rx_free(&p->ra);
	rx_free(&p->rb);
}

/* A UDP-looking IPv4 packet of PKT_LEN bytes: IP id `id`, TOS `tos`, a
 * freshly computed header checksum. */
static void mk_pkt(uint8_t *buf, uint16_t id, uint8_t tos)
{
	tern_ip4_repr r = {.tos = tos,
	                   .total_len = PKT_LEN,
	                   .id = id,
	                   .df = true,
	                   .ttl = 64,
	                   .proto = TERN_IPPROTO_UDP,
	                   .src = 0x0a000001,
	                   .dst = 0x0a000002};

	tern_ip4_build(buf, PKT_LEN, &r);
	for (size_t i = TERN_IP4_HLEN; i < PKT_LEN; i++)
		buf[i] = (uint8_t)(id + i);
}

static int send_raw(tern_sim *sim, tern_sim_host *h, const uint8_t *buf, size_t len)
{
	return tern_dev_transmit(tern_sim_host_dev(h), buf, len, tern_sim_now(sim));
}

static int send_ip(tern_sim *sim, tern_sim_host *h, uint16_t id, uint8_t tos)
{
	uint8_t buf[PKT_LEN];

	mk_pkt(buf, id, tos);
	return send_raw(sim, h, buf, PKT_LEN);
}

static uint16_t id_of(const struct rx *r, uint32_t i)
{
	return tern_get16(r->pkt[i] + 4);
}

static uint8_t ecn_of(const struct rx *r, uint32_t i)
{
	return r->pkt[i][1] & CE;
}

/* Arrival i is the packet sent with TOS `tos`, its ECN field now `ecn`,
 * every other bit kept, and a checksum both valid and equal to a full
 * recomputation (so the incremental update got -0 and +0 right too). */
static bool arrived_as(const struct rx *r, uint32_t i, uint8_t tos, uint8_t ecn)
{
	uint8_t want[PKT_LEN];
	tern_ip4_repr ip;

	mk_pkt(want, id_of(r, i), (uint8_t)((tos & ~CE) | ecn));
	return r->len[i] == PKT_LEN && memcmp(r->pkt[i], want, PKT_LEN) == 0 &&
	       tern_ip4_parse(r->pkt[i], PKT_LEN, true, &ip) == TERN_WIRE_OK && ip.tos == want[1];
}

static bool near(uint64_t got, uint64_t n, double p)
{
	double expect = (double)n * p, sd = sqrt((double)n * p * (1 - p));

	return fabs((double)got - expect) <= 5 * sd + 1;
}

static uint8_t alt_ect(uint32_t k)
{
	return k % 2 ? ECT1 : ECT0;
}

TT_TEST(ecn_step_marks_ect_packets_that_find_the_threshold_queued)
{
	tern_sim_link_config c = {.rate_bps = RATE, .queue_pkts = 20, .ecn_mark_pkts = 3};
	tern_sim_link_stats st;
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 32), 0);
	/* Packet k of a burst finds k - 1 waiting; the first goes straight
	 * onto the wire. ECT(0) and ECT(1) are treated alike. */
	for (uint32_t k = 0; k < 8; k++)
		TT_EQ(send_ip(p.sim, p.a, (uint16_t)k, DSCP_EF | alt_ect(k)), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	/* The queue has drained: the next one finds nobody ahead. */
	TT_EQ(send_ip(p.sim, p.a, 8, DSCP_EF | ECT0), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	TT_EQ(p.rb.n, 9);
	for (uint32_t k = 0; k < 9; k++) {
		uint8_t tos = DSCP_EF | alt_ect(k);

		TT_EQ(id_of(&p.rb, k), k);
		TT_CHECK(arrived_as(&p.rb, k, tos, k >= 4 && k < 8 ? CE : alt_ect(k)));
	}
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.ce_marked, 4);
	TT_EQ(st.delivered, 9);
	TT_EQ(st.queue_drops, 0);
	pair_close(&p);
}

TT_TEST(ecn_full_queue_still_drops_ect_packets)
{
	tern_sim_link_config c = {.rate_bps = RATE, .queue_pkts = 4, .ecn_mark_pkts = 2};
	tern_sim_link_stats st;
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 32), 0);
	for (uint32_t k = 0; k < 8; k++)
		TT_EQ(send_ip(p.sim, p.a, (uint16_t)k, ECT0), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	/* One on the wire, four waiting (two of them marked), three refused
	 * (RFC 3168 5: a full queue drops, ECN or not). */
	TT_EQ(p.rb.n, 5);
	for (uint32_t k = 0; k < 5; k++) {
		TT_EQ(id_of(&p.rb, k), k);
		TT_CHECK(arrived_as(&p.rb, k, ECT0, k >= 3 ? CE : ECT0));
	}
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.ce_marked, 2);
	TT_EQ(st.queue_drops, 3);
	pair_close(&p);
}

/* Packets the queue must leave alone: not-ECT, already CE, and bytes
 * that do not hold a whole IPv4 header even where byte 1 looks ECT. */
static size_t odd_pkt(uint8_t *buf, uint32_t k)
{
	static const uint8_t tos[] = {NOT_ECT, DSCP_EF, CE, DSCP_EF | CE};

	mk_pkt(buf, (uint16_t)k, tos[k % 4]);
	if (k % 8 == 4) {
		buf[0] = 0x45, buf[1] = ECT0; /* a runt: 12 bytes */
		return 12;
	}
	if (k % 8 == 5) {
		buf[0] = 0x4f, buf[1] = ECT1; /* IHL says 60 bytes, 40 given */
		return 40;
	}
	if (k % 8 == 6)
		buf[0] = 0x60, buf[1] = ECT0; /* not IPv4 */
	return PKT_LEN;
}

TT_TEST(ecn_never_marks_not_ect_ce_or_non_ip4_packets)
{
	/* Both modes on and eager to mark: min 0, max 2, step at 1. */
	tern_sim_link_config c = {.rate_bps = RATE,
	                          .queue_pkts = 8,
	                          .ecn_mark_pkts = 1,
	                          .ecn_red_max = 2,
	                          .ecn_red_pmax = 0.5};
	tern_sim_link_stats st;
	uint8_t buf[PKT_LEN];
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 32), 0);
	for (uint32_t k = 0; k < 12; k++)
		TT_EQ(send_raw(p.sim, p.a, buf, odd_pkt(buf, k)), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	/* Only the drop-tail limit acts: one on the wire, eight waiting. */
	TT_EQ(p.rb.n, 9);
	for (uint32_t k = 0; k < 9; k++) {
		size_t len = odd_pkt(buf, k);

		TT_EQ(p.rb.len[k], len);
		TT_CHECK(memcmp(p.rb.pkt[k], buf, len) == 0);
	}
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.ce_marked, 0);
	TT_EQ(st.queue_drops, 3);
	pair_close(&p);
}

/* Every DSCP, with each ECT codepoint, as k runs over 128 values. */
static uint8_t dscp_ect(uint32_t k)
{
	return (uint8_t)(((k >> 1) << 2) & 0xfc) | alt_ect(k);
}

TT_TEST(ecn_marking_keeps_the_header_checksum_right)
{
	tern_sim_link_config c = {.rate_bps = RATE, .ecn_mark_pkts = 1};
	static const uint8_t opts[8] = {TERN_IPOPT_NOP, TERN_IPOPT_NOP, TERN_IPOPT_NOP,
	                                TERN_IPOPT_NOP, TERN_IPOPT_NOP, TERN_IPOPT_NOP,
	                                TERN_IPOPT_NOP, TERN_IPOPT_EOL};
	tern_ip4_repr r = {.tos = ECT1, .total_len = 48, .ttl = 1, .proto = 253};
	uint8_t buf[PKT_LEN] = {0};
	tern_ip4_repr ip;
	struct pair p;
	const uint32_t n = 4096;

	TT_EQ(pair_open(&p, 1, &c, n + 2), 0);
	/* Every DSCP with both ECT codepoints and many ids, all marked but
	 * the first two; arrived_as compares with a full recomputation. */
	for (uint32_t k = 0; k < n; k++)
		TT_EQ(send_ip(p.sim, p.a, (uint16_t)(k * 40503u), dscp_ect(k)), 0);
	/* Options make the header longer; a wrong checksum stays wrong. */
	TT_EQ(tern_ip4_build_opts(buf, sizeof(buf), &r, opts, sizeof(opts)), 28);
	TT_EQ(send_raw(p.sim, p.a, buf, 48), 0);
	buf[10] ^= 0x12;
	TT_EQ(send_raw(p.sim, p.a, buf, 48), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(10)), 0);
	TT_EQ(p.rb.n, n + 2);
	for (uint32_t k = 0; k < n; k++) {
		TT_EQ(id_of(&p.rb, k), (uint16_t)(k * 40503u));
		TT_CHECK(arrived_as(&p.rb, k, dscp_ect(k), k >= 2 ? CE : alt_ect(k)));
	}
	TT_EQ(tern_ip4_parse(p.rb.pkt[n], 48, true, &ip), TERN_WIRE_OK);
	TT_EQ(ip.hlen, 28);
	TT_EQ(ip.tos, CE);
	TT_EQ(tern_ip4_parse(p.rb.pkt[n + 1], 48, true, &ip), TERN_WIRE_BAD_CHECKSUM);
	TT_EQ(p.rb.pkt[n + 1][1], CE);
	pair_close(&p);
}

/* Bursts of BURST ECT packets, far enough apart for the queue to drain:
 * packet k of a burst finds max(k - 1, 0) waiting. */
#define BURST 12

struct bursts {
	tern_sim_host *from;
	uint32_t next, count;
	uint8_t tos;
};

static void burst_tick(tern_sim *sim, void *ctx)
{
	struct bursts *b = ctx;

	for (uint32_t k = 0; k < BURST; k++)
		send_ip(sim, b->from, (uint16_t)(b->next * BURST + k), b->tos);
	if (++b->next < b->count)
		tern_sim_at(sim, tern_sim_now(sim) + TERN_MS(20), burst_tick, b);
}

static void bursts_start(struct pair *p, struct bursts *b, uint32_t count, uint8_t tos)
{
	*b = (struct bursts){.from = p->a, .count = count, .tos = tos};
	tern_sim_at(p->sim, tern_sim_now(p->sim), burst_tick, b);
}

static const tern_sim_link_config red = {
    .rate_bps = RATE, .ecn_red_min = 2, .ecn_red_max = 10, .ecn_red_pmax = 0.4};

static double red_expect(uint32_t ahead)
{
	if (ahead <= 2)
		return 0;
	return ahead >= 10 ? 1 : 0.4 * (ahead - 2) / 8.0;
}

TT_TEST(ecn_red_marks_with_the_ramped_probability)
{
	uint64_t marks[BURST] = {0}, seen[BURST] = {0};
	const uint32_t n = 3000;
	tern_sim_link_stats st;
	struct bursts b;
	struct pair p;
	uint64_t total = 0;

	TT_EQ(pair_open(&p, 21, &red, n * BURST), 0);
	bursts_start(&p, &b, n, ECT0);
	TT_EQ(tern_sim_run_for(p.sim, (tern_time)n * TERN_MS(20) + TERN_SEC(1)), 0);
	TT_EQ(p.rb.n, n * BURST);
	for (uint32_t i = 0; i < p.rb.n; i++) {
		uint32_t k = id_of(&p.rb, i) % BURST, ahead = k ? k - 1 : 0;

		TT_CHECK(arrived_as(&p.rb, i, ECT0, ecn_of(&p.rb, i)));
		seen[ahead]++;
		marks[ahead] += ecn_of(&p.rb, i) == CE;
	}
	for (uint32_t q = 0; q < BURST - 1; q++) {
		TT_CHECK(near(marks[q], seen[q], red_expect(q)));
		total += marks[q];
	}
	/* The ends of the ramp are exact; its middle is neither. */
	TT_EQ(marks[2], 0);
	TT_EQ(marks[10], n);
	TT_CHECK(marks[9] > 0 && marks[9] < n);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.ce_marked, total);
	pair_close(&p);
}

/* A hash of which packets arrived when and, unless blind, with what ECN
 * field. */
static uint64_t arrivals_hash(const struct rx *r, bool blind)
{
	uint64_t h = 1469598103934665603u;

	for (uint32_t i = 0; i < r->n && i < r->cap; i++) {
		uint64_t ecn = blind ? 0 : ecn_of(r, i);

		h = (h ^ id_of(r, i) ^ (ecn << 16)) * 1099511628211u;
		h = (h ^ r->at[i]) * 1099511628211u;
	}
	return h;
}

/* 300 bursts of packets with TOS tos; marked gets ce_marked when set. */
static uint64_t run_hash(uint64_t seed, const tern_sim_link_config *c, uint8_t tos, bool blind,
                         uint64_t *marked)
{
	tern_sim_link_stats st;
	struct bursts b;
	struct pair p;
	uint64_t h;

	pair_open(&p, seed, c, 300 * BURST);
	bursts_start(&p, &b, 300, tos);
	tern_sim_run_for(p.sim, TERN_SEC(10));
	h = arrivals_hash(&p.rb, blind);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	if (marked)
		*marked = st.ce_marked;
	pair_close(&p);
	return h;
}

TT_TEST(ecn_red_is_deterministic_per_seed)
{
	uint64_t m1, m2, h1 = run_hash(1, &red, ECT1, false, &m1);

	TT_CHECK(m1 > 0);
	TT_CHECK(h1 == run_hash(1, &red, ECT1, false, &m2));
	TT_EQ(m1, m2);
	TT_CHECK(h1 != run_hash(2, &red, ECT1, false, NULL));
}

TT_TEST(ecn_marking_leaves_the_other_random_draws_alone)
{
	tern_sim_link_config plain = {.rate_bps = RATE, .jitter = 300, .loss = 0.2, .dup = 0.05};
	tern_sim_link_config red_on = plain, step_on = plain;
	uint64_t m_plain, m_step;

	red_on.ecn_red_min = 2, red_on.ecn_red_max = 10, red_on.ecn_red_pmax = 0.4;
	step_on.ecn_mark_pkts = 4;
	/* RED draws only for ECT packets: not-ECT traffic runs as if it
	 * were off. */
	TT_CHECK(run_hash(5, &plain, NOT_ECT, false, NULL) ==
	         run_hash(5, &red_on, NOT_ECT, false, NULL));
	/* The step never draws: the same packets are lost, duplicated and
	 * delayed alike; only their ECN fields differ. */
	TT_CHECK(run_hash(5, &plain, ECT0, true, &m_plain) ==
	         run_hash(5, &step_on, ECT0, true, &m_step));
	TT_EQ(m_plain, 0);
	TT_CHECK(m_step > 0);
	TT_CHECK(run_hash(5, &plain, ECT0, false, NULL) != run_hash(5, &step_on, ECT0, false, NULL));
}

TT_TEST(ecn_stats_count_marks_per_direction_once_per_packet)
{
	tern_sim_link_config c = {.rate_bps = RATE, .ecn_mark_pkts = 1, .dup = 1.0};
	tern_sim_link_stats ab, ba, both;
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 32), 0);
	for (uint32_t k = 0; k < 4; k++)
		TT_EQ(send_ip(p.sim, p.a, (uint16_t)k, ECT0), 0);
	for (uint32_t k = 0; k < 3; k++)
		TT_EQ(send_ip(p.sim, p.b, (uint16_t)k, ECT1), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &ab);
	tern_sim_link_stats_get(p.link, TERN_SIM_BA, &ba);
	tern_sim_link_stats_get(p.link, TERN_SIM_BOTH, &both);
	TT_EQ(ab.ce_marked, 2);
	TT_EQ(ba.ce_marked, 1);
	TT_EQ(both.ce_marked, 3);
	/* A duplicate is a copy of the marked packet, not a second mark. */
	TT_EQ(p.rb.n, 8);
	for (uint32_t i = 0; i < 8; i++)
		TT_CHECK(arrived_as(&p.rb, i, ECT0, i >= 4 ? CE : ECT0));
	TT_EQ(p.ra.n, 6);
	TT_CHECK(arrived_as(&p.ra, 5, ECT1, CE) && arrived_as(&p.ra, 3, ECT1, ECT1));
	TT_EQ(both.sent, both.delivered + both.lost + both.queue_drops + both.mtu_drops -
	                     both.duplicated);
	pair_close(&p);
}

TT_TEST(ecn_connect_refuses_unusable_marking_configs)
{
	static const tern_sim_link_config bad[] = {
	    {.ecn_mark_pkts = 3},                                   /* no rate: no queue */
	    {.ecn_red_max = 10, .ecn_red_pmax = 0.1},               /* the same for RED */
	    {.rate_bps = RATE, .ecn_red_min = 10, .ecn_red_max = 10}, /* empty ramp */
	    {.rate_bps = RATE, .ecn_red_max = 10, .ecn_red_pmax = 1.5},
	    {.rate_bps = RATE, .ecn_red_max = 10, .ecn_red_pmax = -0.1},
	    {.rate_bps = RATE, .ecn_red_max = 10, .ecn_red_pmax = NAN},
	    {.rate_bps = RATE, .ecn_red_pmax = 0.1}, /* RED half set */
	    {.rate_bps = RATE, .ecn_red_min = 3},
	};
	tern_sim_link_config ok = {.rate_bps = RATE, .ecn_mark_pkts = 3, .ecn_red_max = 1};
	tern_sim_host *a, *b;
	tern_sim_link *l;
	tern_sim *sim;

	TT_EQ(tern_sim_new(1, &sim), 0);
	TT_EQ(tern_sim_raw_add(sim, "a", &a), 0);
	TT_EQ(tern_sim_raw_add(sim, "b", &b), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TT_EQ(tern_sim_connect(sim, a, b, &bad[i], NULL), TERN_EINVAL);
	TT_EQ(tern_sim_connect(sim, a, b, &ok, &l), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TT_EQ(tern_sim_link_set_config(l, &bad[i]), TERN_EINVAL);
	ok.rate_bps = 0, ok.ecn_mark_pkts = 0, ok.ecn_red_max = 0; /* ECN off: fine */
	TT_EQ(tern_sim_link_set_config(l, &ok), 0);
	tern_sim_del(sim);
}

TT_MAIN(ecn_step_marks_ect_packets_that_find_the_threshold_queued,
        ecn_full_queue_still_drops_ect_packets, ecn_never_marks_not_ect_ce_or_non_ip4_packets,
        ecn_marking_keeps_the_header_checksum_right, ecn_red_marks_with_the_ramped_probability,
        ecn_red_is_deterministic_per_seed, ecn_marking_leaves_the_other_random_draws_alone,
        ecn_stats_count_marks_per_direction_once_per_packet,
        ecn_connect_refuses_unusable_marking_configs)
