/*
 * bench_fairness.c - fairness: 2, 10 and 100 bulk flows, each its own
 * connection, share one simulated bottleneck (100 Mbit/s, 40 ms RTT, a
 * drop-tail queue of one BDP), all CUBIC or all NewReno. The flows start
 * staggered, so later ones must take their share from earlier ones; after
 * the first half of the run (convergence), each flow's goodput over the
 * second half gives
 *
 *   Jain's fairness index  J = (sum x_i)^2 / (n * sum x_i^2)
 *
 * (R. Jain, D. Chiu, W. Hawe, "A Quantitative Measure of Fairness and
 * Discrimination for Resource Allocation in Shared Computer Systems",
 * DEC TR-301, 1984): 1 when every flow gets the same, 1/n when one gets
 * all. The same index over each 5 s window of that half, the lowest
 * reported (jain_5s_min), shows the short-term unfairness that the long
 * average smooths away. The link's utilisation is the IP bytes it delivered from A to B
 * (retransmissions included) over its capacity in the same interval; the
 * flows' summed goodput is reported beside it. Every byte read is checked
 * by hash. The peer figure is the ideal, J = 1; the target (ours: the
 * issue sets none) is J >= 0.9 with the link at least 90% used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define FR_RATE 100000000u   /* bottleneck, bit/s */
#define FR_DELAY TERN_MS(20) /* one way: RTT 40 ms */
#define FR_QUEUE 333u        /* one BDP: 100 Mbit/s * 40 ms / 1500 B */
#define FR_MSS 1448u         /* payload of a 1500-byte packet with timestamps */
#define FR_MTU 1500u

typedef struct fr_stats {
	double jain, jain_window_min, util, goodput_mbps, min_mbps, max_mbps, wall_s;
	tern_counters a;
	tern_sim_link_stats ab;
} fr_stats;

/* Jain's index and the extremes over the flows' goodput since the mark. */
static void fr_measure(const bench_sim *s, fr_stats *out)
{
	double sum = 0, sq = 0;

	out->min_mbps = out->max_mbps = bench_sim_goodput_mbps(s, 0);
	for (uint32_t i = 0; i < s->nflows; i++) {
		double x = bench_sim_goodput_mbps(s, i);

		sum += x;
		sq += x * x;
		out->min_mbps = x < out->min_mbps ? x : out->min_mbps;
		out->max_mbps = x > out->max_mbps ? x : out->max_mbps;
	}
	out->jain = sq > 0 ? sum * sum / (s->nflows * sq) : 0;
	out->goodput_mbps = sum;
	out->util = bench_sim_link_util(s, FR_RATE);
	tern_stack_counters(tern_sim_host_stack(s->a), &out->a);
	tern_sim_link_stats_get(s->link, TERN_SIM_AB, &out->ab);
}

/* Jain's index of the bytes each flow read since prev[i]; prev moves on. */
static double fr_window_jain(const bench_sim *s, uint64_t *prev)
{
	double sum = 0, sq = 0;

	for (uint32_t i = 0; i < s->nflows; i++) {
		double x = (double)(s->flow[i].received - prev[i]);

		sum += x;
		sq += x * x;
		prev[i] = s->flow[i].received;
	}
	return sq > 0 ? sum * sum / (s->nflows * sq) : 0;
}

/* The measured half, in windows of FR_WINDOW: the lowest index over one
 * window shows how unfair the flows are over a few seconds (about 125
 * RTTs), the index over the whole half how unfair they are over time. */
#define FR_WINDOW TERN_SEC(5)
static int fr_measured(bench_sim *s, tern_time total, fr_stats *out)
{
	uint64_t *prev = calloc(s->nflows, sizeof *prev);
	tern_time t = total / 2;

	if (!prev)
		return -1;
	bench_sim_mark(s);
	fr_window_jain(s, prev);
	out->jain_window_min = 1;
	while (t < total) {
		double j;

		t = total - t > FR_WINDOW ? t + FR_WINDOW : total;
		if (bench_sim_run_until(s, t)) {
			free(prev);
			return -1;
		}
		j = fr_window_jain(s, prev);
		out->jain_window_min = j < out->jain_window_min ? j : out->jain_window_min;
	}
	free(prev);
	return 0;
}

/* n flows for `total` of virtual time; all have started within the first
 * quarter (at most 5 s), and the second half is measured. */
static int fr_run(uint32_t n, const char *cc, tern_time total, fr_stats *out)
{
	tern_time spread = total / 4 < TERN_SEC(5) ? total / 4 : TERN_SEC(5);
	bench_sim_cfg sc = {.cc = cc, .flows = n, .stagger = spread / n, .seed = 1};
	uint64_t w0 = bench_wall_ns();
	bench_sim s;
	int rc;

	/* enough for one flow alone to fill the BDP and the queue (1 MB) */
	sc.buf = (4u << 20) / n > (128u << 10) ? (4u << 20) / n : 128u << 10;
	sc.link = (tern_sim_link_config){.rate_bps = FR_RATE, .delay = FR_DELAY,
					 .queue_pkts = FR_QUEUE, .mtu = FR_MTU};
	rc = bench_sim_init(&s, &sc);
	if (!rc)
		rc = bench_sim_run_until(&s, total / 2);
	if (!rc)
		rc = fr_measured(&s, total, out);
	if (!rc && bench_sim_verify(&s)) {
		fprintf(stderr, "bench: fairness: %u %s flows: hash MISMATCH\n", n, cc);
		rc = -1;
	}
	if (!rc)
		fr_measure(&s, out);
	bench_sim_fini(&s);
	out->wall_s = (double)(bench_wall_ns() - w0) / 1e9;
	return rc;
}

static void fr_extras(bench_result *r, uint32_t n, const char *cc, double meas_s,
		      const fr_stats *x)
{
	bench_extra_num(r, "flows", n);
	bench_extra_str(r, "cc", cc);
	bench_extra_num(r, "rtt_ms", 2 * (double)FR_DELAY / 1e3);
	bench_extra_num(r, "queue_pkts", FR_QUEUE);
	bench_extra_num(r, "measured_s", meas_s);
	bench_extra_num(r, "jain_5s_min", x->jain_window_min);
	bench_extra_num(r, "link_util", x->util);
	bench_extra_num(r, "goodput_mbps", x->goodput_mbps);
	bench_extra_num(r, "goodput_util", x->goodput_mbps * 1e6 * FR_MTU / FR_MSS / FR_RATE);
	bench_extra_num(r, "fair_share_mbps", x->goodput_mbps / n);
	bench_extra_num(r, "min_flow_mbps", x->min_mbps);
	bench_extra_num(r, "max_flow_mbps", x->max_mbps);
	bench_extra_num(r, "retrans", (double)x->a.tcp_retrans_segs);
	bench_extra_num(r, "timeouts", (double)x->a.tcp_timeouts);
	bench_extra_num(r, "queue_drops", (double)x->ab.queue_drops);
	bench_extra_str(r, "hash", "ok");
	bench_extra_num(r, "wall_s", x->wall_s);
}

static int fr_one(const bench_opts *o, uint32_t n, const char *cc)
{
	tern_time total = TERN_SEC(2 * (o->sim_s ? o->sim_s : 60));
	bench_result r;
	fr_stats x;

	memset(&r, 0, sizeof r);
	memset(&x, 0, sizeof x);
	if (fr_run(n, cc, total, &x)) {
		fprintf(stderr, "bench: fairness: %u %s flows failed\n", n, cc);
		return 1;
	}
	r.name = "fairness";
	r.unit = "jain";
	r.tern = x.jain;
	r.peer = 1;
	r.peer_name = "ideal";
	r.target = ">= 0.9 (and link_util >= 0.9)";
	r.met = x.jain >= 0.9 && x.util >= 0.9;
	fr_extras(&r, n, cc, (double)(total - total / 2) / 1e6, &x);
	bench_report(&r, o->json);
	return 0;
}

int bench_fairness(const bench_opts *o, bench_result *r)
{
	static const char *const ccs[] = {"cubic", "newreno"};
	uint32_t counts[] = {2, 10, 100}, ncounts = 3;
	int fails = 0;

	if (o->flows) { /* --flows N: that count alone */
		counts[0] = o->flows;
		ncounts = 1;
	}
	r->name = "fairness";
	r->printed = true;
	for (uint32_t i = 0; i < ncounts; i++)
		for (size_t k = 0; k < 2; k++)
			fails += fr_one(o, counts[i], ccs[k]);
	return fails ? 1 : 0;
}
