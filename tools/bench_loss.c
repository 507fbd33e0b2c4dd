/*
 * bench_loss.c - loss-goodput: one flow over a simulated 100 Mbit/s path
 * with a 40 ms RTT, under 0.1%, 1% and 5% random loss and behind a
 * shallow drop-tail buffer; CUBIC and NewReno, with and without SACK (and
 * so RACK-TLP, which needs it). Each case's goodput is set against the
 * model's prediction for the same path:
 *
 *   NewReno, random loss: Mathis, Semke, Mahdavi and Ott, "The Macroscopic
 *     Behavior of the TCP Congestion Avoidance Algorithm" (CCR 27(3), 1997):
 *     rate = MSS/RTT * C/sqrt(p), C = sqrt(3/2) ~ 1.22 with one ACK per
 *     segment, which is what tern's byte counting (RFC 5681 3.1, RFC 3465)
 *     gives despite delayed ACKs.
 *   CUBIC, random loss: RFC 9438 section 5, Figure 8 (C = 0.4, beta 0.7):
 *     average window 1.054 * (RTT/p)^(3/4) segments, or the Reno-friendly
 *     region's AIMD(alpha_cubic, 0.7) window of section 4.3, Figure 3
 *     (sqrt(alpha (1+beta) / (2 (1-beta) p)) = sqrt(3/(2p)), Reno's), when
 *     that is larger, as it is for every case here.
 *   Shallow buffer, no random loss: the deterministic sawtooth of one flow
 *     whose window is cut (to 0.5 or 0.7 of it) each time it overflows the
 *     BDP plus the buffer, grown by Reno's 1 segment per RTT or by CUBIC's
 *     W_cubic(t+RTT) (RFC 9438 4.2) and W_est (4.3), the RTT growing with the
 *     standing queue: util() below.
 *
 * Every prediction is capped at the link's goodput (its rate times MSS/MTU).
 * The Padhye, Firoiu, Towsley and Kurose model (SIGCOMM 1998, eq. 31),
 * which adds retransmission timeouts, is reported beside it (pftk_mbps):
 * Mathis's model has none and over-predicts at 5% loss.
 *
 * The link drops at random in both directions (ACKs too), as tern up's
 * fault injector does. The figure is the bytes the receiving application
 * read in the measured interval (after a warm-up), all checked by hash.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define LG_RATE 100000000u      /* bottleneck, bit/s */
#define LG_DELAY TERN_MS(20)    /* one way: RTT 40 ms */
#define LG_MTU 1500u
#define LG_MSS 1448u            /* 1500 - 20 IP - 20 TCP - 12 timestamps */
#define LG_RTO_MIN 0.2          /* tern_config.tcp_rto_min default, s */

typedef struct lg_case {
	const char *name;
	double loss;
	uint32_t queue_pkts;
	uint32_t time_factor;  /* measured seconds = factor * opts' sim_s */
} lg_case;

/* BDP = 100 Mbit/s * 40 ms = 333 packets of 1500 bytes. The random-loss
 * cases queue one BDP (the flow never fills it); the shallow case 0.1 BDP.
 * Loss events are rarer at low loss, so those cases run longer. */
static const lg_case lg_cases[] = {
    {"loss-0.1%", 0.001, 333, 10},
    {"loss-1%", 0.01, 333, 4},
    {"loss-5%", 0.05, 333, 4},
    {"shallow-buffer", 0, 33, 2},
};

static double rtt_s(void)
{
	/* propagation both ways plus one packet's serialization */
	return 2 * (double)LG_DELAY / 1e6 + LG_MTU * 8.0 / LG_RATE;
}

static double cap_mbps(void) { return (double)LG_RATE * LG_MSS / LG_MTU / 1e6; }

static double window_mbps(double w_segs)
{
	double m = w_segs * LG_MSS * 8 / rtt_s() / 1e6;

	return m < cap_mbps() ? m : cap_mbps();
}

/* Mathis et al.: W = sqrt(3/(2p)) segments per RTT. */
static double mathis_mbps(double p) { return window_mbps(sqrt(1.5 / p)); }

/* RFC 9438 5, Figure 8, or the Reno-friendly region (4.3), the larger. */
static double cubic_mbps(double p)
{
	double w_cubic = 1.054 * pow(rtt_s() / p, 0.75), w_reno = sqrt(1.5 / p);

	return window_mbps(w_cubic > w_reno ? w_cubic : w_reno);
}

/* Padhye et al. eq. 31 with b = 1 and T0 = the minimum RTO. */
static double pftk_mbps(double p)
{
	double rtt = rtt_s(), to = 3 * sqrt(3 * p / 8);
	double pkts = 1 / (rtt * sqrt(2 * p / 3) + LG_RTO_MIN * (to < 1 ? to : 1) * p *
	                                               (1 + 32 * p * p));

	return window_mbps(pkts * rtt);
}

/* The shallow-buffer sawtooth, integrated in steps of RTT/64: one cycle
 * from the window just after a loss (beta of W_max = BDP + buffer) until
 * it reaches W_max again. While the window is below the BDP the flow sends
 * window/RTT0; above it the link is full and the queue lengthens the RTT,
 * which slows Reno's growth (1 segment per RTT) and CUBIC's W_est, not
 * W_cubic (a function of time). Returns the link's mean utilisation. */
static double util(double bdp, double buffer, bool cubic)
{
	double wmax = bdp + buffer, beta = cubic ? 0.7 : 0.5, rtt0 = rtt_s();
	double alpha = cubic ? 3 * (1 - beta) / (1 + beta) : 1; /* RFC 9438 4.3 */
	double k = cbrt(wmax * (1 - beta) / 0.4);                /* RFC 9438 4.2 */
	double w = beta * wmax, west = w, t = 0, dt = rtt0 / 64, busy = 0;

	while (w < wmax && t < 3600) {
		double rtt = w > bdp ? rtt0 * w / bdp : rtt0, d = t + rtt - k;

		busy += (w < bdp ? w / bdp : 1) * dt;
		west += alpha * dt / rtt;
		w = cubic && 0.4 * d * d * d + wmax > west ? 0.4 * d * d * d + wmax : west;
		t += dt;
	}
	return t > 0 ? busy / t : 0;
}

static double sawtooth_mbps(uint32_t queue_pkts, bool cubic)
{
	double bdp = rtt_s() * LG_RATE / 8 / LG_MTU;

	/* the queue holds queue_pkts behind the one being serialized */
	return util(bdp, queue_pkts + 1.0, cubic) * cap_mbps();
}

/* The model's figure for a case, and its name. */
static double lg_model(const lg_case *c, bool cubic, const char **name)
{
	if (c->loss == 0) {
		*name = cubic ? "sawtooth model (CUBIC)" : "sawtooth model (Reno)";
		return sawtooth_mbps(c->queue_pkts, cubic);
	}
	*name = cubic ? "RFC 9438 model" : "Mathis model";
	return cubic ? cubic_mbps(c->loss) : mathis_mbps(c->loss);
}

typedef struct lg_run {
	double mbps, wall_s, srtt_ms;
	tern_counters a;
	tern_sim_link_stats ab;
} lg_run;

/* One flow through the case's link for warm-up + measured seconds. */
static int lg_flow(const lg_case *c, const char *cc, bool sack, tern_time warm, tern_time meas,
		   lg_run *out)
{
	bench_sim_cfg sc = {.cc = cc, .no_sack = !sack, .flows = 1, .buf = 4u << 20, .seed = 1};
	uint64_t w0 = bench_wall_ns();
	tern_tcp_info ti;
	bench_sim s;
	int rc;

	sc.link = (tern_sim_link_config){.rate_bps = LG_RATE, .delay = LG_DELAY,
					 .queue_pkts = c->queue_pkts, .loss = c->loss,
					 .mtu = LG_MTU};
	rc = bench_sim_init(&s, &sc);
	if (!rc)
		rc = bench_sim_run_until(&s, warm);
	if (!rc) {
		bench_sim_mark(&s);
		rc = bench_sim_run_until(&s, warm + meas);
	}
	if (!rc && bench_sim_verify(&s)) {
		fprintf(stderr, "bench: loss-goodput: %s %s: hash MISMATCH\n", c->name, cc);
		rc = -1;
	}
	if (!rc && s.flow[0].received == 0)
		rc = -1;
	if (!rc) {
		out->mbps = bench_sim_goodput_mbps(&s, 0);
		tern_socket_info(s.flow[0].cli, &ti);
		out->srtt_ms = (double)ti.srtt / 1e3;
		tern_stack_counters(tern_sim_host_stack(s.a), &out->a);
		tern_sim_link_stats_get(s.link, TERN_SIM_AB, &out->ab);
	}
	bench_sim_fini(&s);
	out->wall_s = (double)(bench_wall_ns() - w0) / 1e9;
	return rc;
}

static void lg_extras(bench_result *r, const lg_case *c, const char *cc, bool sack,
		      double meas_s, const lg_run *x)
{
	bench_extra_str(r, "case", c->name);
	bench_extra_str(r, "cc", cc);
	bench_extra_str(r, "sack", sack ? "on" : "off");
	bench_extra_num(r, "loss", c->loss);
	bench_extra_num(r, "queue_pkts", c->queue_pkts);
	bench_extra_num(r, "rtt_ms", rtt_s() * 1e3);
	bench_extra_num(r, "measured_s", meas_s);
	bench_extra_num(r, "srtt_ms", x->srtt_ms);
	bench_extra_num(r, "retrans", (double)x->a.tcp_retrans_segs);
	bench_extra_num(r, "fast_retrans", (double)x->a.tcp_fast_retrans);
	bench_extra_num(r, "timeouts", (double)x->a.tcp_timeouts);
	bench_extra_num(r, "tlp", (double)x->a.tcp_tlp_probes);
	bench_extra_num(r, "link_lost", (double)x->ab.lost);
	bench_extra_num(r, "queue_drops", (double)x->ab.queue_drops);
	if (c->loss > 0) {
		bench_extra_num(r, "mathis_mbps", mathis_mbps(c->loss));
		bench_extra_num(r, "cubic_model_mbps", cubic_mbps(c->loss));
		bench_extra_num(r, "pftk_mbps", pftk_mbps(c->loss));
	}
	bench_extra_num(r, "link_mbps", cap_mbps());
	bench_extra_str(r, "hash", "ok");
	bench_extra_num(r, "wall_s", x->wall_s);
}

/* One case, one variant: run it and print its line. */
static int lg_one(const bench_opts *o, const lg_case *c, const char *cc, bool sack)
{
	uint32_t base = o->sim_s ? o->sim_s : 60;
	tern_time warm = TERN_SEC(base < 5 ? base : 5), meas = TERN_SEC(base * c->time_factor);
	bool cubic = !strcmp(cc, "cubic");
	bench_result r;
	lg_run x;

	memset(&r, 0, sizeof r);
	memset(&x, 0, sizeof x);
	if (lg_flow(c, cc, sack, warm, meas, &x)) {
		fprintf(stderr, "bench: loss-goodput: %s, %s, SACK %s failed\n", c->name, cc,
			sack ? "on" : "off");
		return 1;
	}
	r.name = "loss-goodput";
	r.unit = "Mbit/s";
	r.tern = x.mbps;
	r.peer = lg_model(c, cubic, &r.peer_name);
	/* the target: NewReno at 1% loss above the Mathis bound */
	r.target = !cubic && c->loss == 0.01 ? "> 1 (above the Mathis bound)" : "";
	r.met = r.target[0] && r.tern > r.peer;
	lg_extras(&r, c, cc, sack, (double)meas / 1e6, &x);
	bench_report(&r, o->json);
	return 0;
}

int bench_loss_goodput(const bench_opts *o, bench_result *r)
{
	static const char *const ccs[] = {"cubic", "newreno"};
	int fails = 0;

	r->name = "loss-goodput";
	r->printed = true;
	for (size_t i = 0; i < sizeof lg_cases / sizeof lg_cases[0]; i++)
		for (size_t k = 0; k < 4; k++)
			fails += lg_one(o, &lg_cases[i], ccs[k / 2], k % 2 == 0);
	return fails ? 1 : 0;
}
