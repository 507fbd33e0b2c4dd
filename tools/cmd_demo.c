/*
 * cmd_demo.c - `tern demo`: two simulated hosts across a lossy link.
 *
 * First host A sends datagrams of mixed sizes (some over the MTU, so they
 * fragment) to a UDP echo socket on host B; A checks every reply against
 * the hash of what it sent and measures round trips on the virtual clock.
 * Then A sends a file to B over TCP (demo_tcp.c) with a progress bar, and
 * the connection is narrated from SYN to the end of TIME-WAIT. The run
 * leaves a capture, the event trace and the figures drawn from it
 * (demo_figures.c) in a directory. Everything runs in the simulator, so a
 * seed replays a run exactly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "demo_figures.h"
#include "demo_tcp.h"
#include "tern/sim.h"

#define DEMO_COUNT    200u
#define DEMO_PORT     7
#define DEMO_GAP      TERN_MS(5)
#define DEMO_DRAIN    TERN_SEC(2)
#define DEMO_MTU      1500u
#define DEMO_RATE     50000000u
#define DEMO_OUT      "tern-demo"
#define DEMO_TCP_PORT 5001

/* Sizes cycle; 1472 is the largest that fits a 1500-byte MTU unfragmented. */
static const size_t demo_sizes[] = {32, 128, 512, 1024, 1400, 1472, 1473, 2048, 2960, 4000};
#define DEMO_NSIZES (sizeof(demo_sizes) / sizeof(demo_sizes[0]))

struct demo_opts {
	const char *out;
	uint64_t seed;
	double loss_pct;
	double rtt_ms;
	double size_mb;
	bool quiet;
};

struct demo {
	struct demo_opts o;
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	demo_tcp *tcp;
	char pcap[4096], trace[4096];
	/* the UDP echo phase */
	tern_socket *client, *server;
	bool client_pending, server_pending;
	uint32_t sent, echoed, dups, bad, send_errors;
	uint64_t hash[DEMO_COUNT];
	tern_time sent_at[DEMO_COUNT];
	bool seen[DEMO_COUNT];
	tern_time rtt_min, rtt_max, rtt_sum;
	uint8_t buf[65536];
};

/* ---- arguments ------------------------------------------------------------ */

static void demo_usage(FILE *f)
{
	fprintf(f,
	        "usage: tern demo [--out DIR] [--seed N] [--loss PCT] [--rtt MS] [--size MB]\n"
	        "  two simulated hosts, A and B, across a %u Mbit/s link; A sends %u\n"
	        "  UDP datagrams of mixed sizes to an echo socket on B and checks the replies,\n"
	        "  then sends B a file over TCP and follows the connection from SYN to\n"
	        "  TIME-WAIT; DIR receives demo.pcap, demo.trace and the figures of\n"
	        "  'tern plot' drawn from the trace\n"
	        "  --out DIR    where the files go, made if missing (default " DEMO_OUT ")\n"
	        "  --seed N     random seed (default 1); a seed replays a run exactly\n"
	        "  --loss PCT   packet loss each way, percent 0..100 (default 1)\n"
	        "  --rtt MS     round-trip propagation delay in ms, 0..60000 (default 20)\n"
	        "  --size MB    how much A sends over TCP, 0.001..100 (default 10)\n"
	        "  --quiet      no progress bar\n",
	        DEMO_RATE / 1000000u, DEMO_COUNT);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* A decimal in [lo, hi], with an optional `suffix` character. */
static bool parse_num(const char *s, double lo, double hi, char suffix, double *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	if (suffix && *end == suffix)
		end++;
	return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi;
}

static int bad_value(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "tern demo: invalid %s '%s' (%s)\n", opt, val, want);
	return 2;
}

/* 0 to run, 2 on bad arguments, -1 when help was printed. */
static int demo_parse(int argc, char **argv, struct demo_opts *o)
{
	*o = (struct demo_opts){.out = DEMO_OUT, .seed = 1, .loss_pct = 1.0, .rtt_ms = 20.0,
	                        .size_mb = 10.0};
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			demo_usage(stdout);
			return -1;
		}
		if (!strcmp(opt, "--quiet")) {
			o->quiet = true;
			continue;
		}
		if (strcmp(opt, "--out") && strcmp(opt, "--seed") && strcmp(opt, "--loss") &&
		    strcmp(opt, "--rtt") && strcmp(opt, "--size")) {
			fprintf(stderr, "tern demo: unknown option '%s' (try 'tern demo --help')\n",
			        opt);
			return 2;
		}
		if (!val) {
			fprintf(stderr, "tern demo: %s needs a value\n", opt);
			return 2;
		}
		i++;
		if (!strcmp(opt, "--out") && !*val)
			return bad_value(opt, val, "a directory");
		else if (!strcmp(opt, "--out"))
			o->out = val;
		else if (!strcmp(opt, "--size") && !parse_num(val, 0.001, 100, 0, &o->size_mb))
			return bad_value(opt, val, "megabytes, 0.001 to 100");
		else if (!strcmp(opt, "--seed") && !parse_u64(val, &o->seed))
			return bad_value(opt, val, "an unsigned integer");
		else if (!strcmp(opt, "--loss") && !parse_num(val, 0, 100, '%', &o->loss_pct))
			return bad_value(opt, val, "a percentage, 0 to 100");
		else if (!strcmp(opt, "--rtt") && !parse_num(val, 0, 60000, 0, &o->rtt_ms))
			return bad_value(opt, val, "milliseconds, 0 to 60000");
	}
	return 0;
}

/* ---- payloads --------------------------------------------------------------- */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

/* Datagram seq: its number, big-endian, then bytes that depend on it. */
static size_t payload_make(uint8_t *p, uint32_t seq)
{
	size_t len = demo_sizes[seq % DEMO_NSIZES];
	uint32_t x = seq * 2654435761u + 1;

	p[0] = (uint8_t)(seq >> 24);
	p[1] = (uint8_t)(seq >> 16);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (size_t i = 4; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return len;
}

/* ---- the UDP echo phase ------------------------------------------------------ */

/* Socket callbacks run inside the stack; the reading and answering is done
 * from a simulator callback at the same instant instead. */
static void server_drain(tern_sim *sim, void *ctx)
{
	struct demo *d = ctx;
	tern_endpoint src;

	(void)sim;
	d->server_pending = false;
	for (int i = 0; i < 1024; i++) {
		int n = tern_socket_recvfrom(d->server, d->buf, sizeof(d->buf), &src);

		if (n == TERN_EAGAIN)
			return;
		if (n >= 0)
			tern_socket_sendto(d->server, d->buf, (size_t)n, &src);
	}
}

static void reply_check(struct demo *d, size_t n)
{
	uint32_t seq;
	tern_time rtt;

	seq = n >= 4 ? (uint32_t)d->buf[0] << 24 | (uint32_t)d->buf[1] << 16 |
	                   (uint32_t)d->buf[2] << 8 | d->buf[3]
	             : UINT32_MAX;
	if (seq >= d->sent || fnv1a(d->buf, n) != d->hash[seq]) {
		d->bad++;
		return;
	}
	if (d->seen[seq]) {
		d->dups++;
		return;
	}
	d->seen[seq] = true;
	d->echoed++;
	rtt = tern_sim_now(d->sim) - d->sent_at[seq];
	d->rtt_sum += rtt;
	if (d->echoed == 1 || rtt < d->rtt_min)
		d->rtt_min = rtt;
	if (rtt > d->rtt_max)
		d->rtt_max = rtt;
}

static void client_drain(tern_sim *sim, void *ctx)
{
	struct demo *d = ctx;

	(void)sim;
	d->client_pending = false;
	for (int i = 0; i < 1024; i++) {
		int n = tern_socket_recvfrom(d->client, d->buf, sizeof(d->buf), NULL);

		if (n == TERN_EAGAIN)
			return;
		if (n >= 0)
			reply_check(d, (size_t)n);
	}
}

static void on_readable(tern_socket *s, unsigned ev, void *ctx)
{
	struct demo *d = ctx;
	bool server = s == d->server;
	bool *pending = server ? &d->server_pending : &d->client_pending;

	if (!(ev & TERN_EV_READABLE) || *pending)
		return;
	*pending = true;
	tern_sim_at(d->sim, tern_sim_now(d->sim), server ? server_drain : client_drain, d);
}

static void send_next(tern_sim *sim, void *ctx)
{
	struct demo *d = ctx;
	tern_endpoint dst = {tern_sim_host_addr(d->b), DEMO_PORT};
	uint32_t seq = d->sent++;
	size_t len = payload_make(d->buf, seq);

	d->hash[seq] = fnv1a(d->buf, len);
	d->sent_at[seq] = tern_sim_now(sim);
	if (tern_socket_sendto(d->client, d->buf, len, &dst) < 0)
		d->send_errors++;
	if (d->sent < DEMO_COUNT)
		tern_sim_at(sim, tern_sim_now(sim) + DEMO_GAP, send_next, d);
}

static int udp_run(struct demo *d)
{
	tern_endpoint echo = {0, DEMO_PORT}, any = {0, 0};
	int rc;

	if ((rc = tern_udp_open(tern_sim_host_stack(d->b), &d->server)) < 0 ||
	    (rc = tern_socket_bind(d->server, &echo)) < 0 ||
	    (rc = tern_udp_open(tern_sim_host_stack(d->a), &d->client)) < 0 ||
	    (rc = tern_socket_bind(d->client, &any)) < 0)
		return rc;
	tern_socket_set_callback(d->server, on_readable, d);
	tern_socket_set_callback(d->client, on_readable, d);
	if ((rc = tern_sim_at(d->sim, tern_sim_now(d->sim), send_next, d)) < 0)
		return rc;
	return tern_sim_run_for(d->sim, DEMO_COUNT * DEMO_GAP + DEMO_DRAIN);
}

static void udp_report(struct demo *d)
{
	printf("udp echo: %" PRIu32 " datagrams of %zu..%zu bytes sent, %" PRIu32
	       " echoed intact, %" PRIu32 " lost",
	       d->sent, demo_sizes[0], demo_sizes[DEMO_NSIZES - 1], d->echoed, d->sent - d->echoed);
	if (d->bad || d->dups || d->send_errors)
		printf(", %" PRIu32 " damaged, %" PRIu32 " duplicate, %" PRIu32
		       " refused by the stack",
		       d->bad, d->dups, d->send_errors);
	printf("\n");
	if (d->echoed)
		printf("  round trip (virtual): min %.2f ms, avg %.2f ms, max %.2f ms\n",
		       d->rtt_min / 1000.0, (double)d->rtt_sum / d->echoed / 1000.0,
		       d->rtt_max / 1000.0);
}

/* ---- the TCP phase (demo_tcp.c) ----------------------------------------------- */

static int tcp_run(struct demo *d)
{
	demo_tcp_opts o = {.port = DEMO_TCP_PORT,
	                   .size = (size_t)(d->o.size_mb * 1e6 + 0.5),
	                   .progress = !d->o.quiet,
	                   .tty = isatty(STDOUT_FILENO) == 1};
	return demo_tcp_run(d->sim, d->a, d->b, &o, &d->tcp);
}

static void tcp_report(struct demo *d)
{
	if (d->tcp)
		demo_tcp_report(d->tcp);
}

/* The phases run one after the other, each to its end, so one's traffic
 * does not disturb the other's figures; each reports when it is over. */
struct demo_phase {
	int (*run)(struct demo *d);
	void (*report)(struct demo *d);
};

static const struct demo_phase demo_phases[] = {
    {udp_run, udp_report},
    {tcp_run, tcp_report},
};
#define DEMO_NPHASES (sizeof(demo_phases) / sizeof(demo_phases[0]))

/* ---- the run --------------------------------------------------------------- */

/* The hosts' MSL is set rather than defaulted so the TIME-WAIT line can
 * name 2*MSL. */
static int demo_host(struct demo *d, const char *name, const char *addr, tern_sim_host **out)
{
	tern_config cfg;

	tern_config_init(&cfg);
	cfg.tcp_msl = DEMO_TCP_MSL;
	return tern_sim_host_add_config(d->sim, name, addr, DEMO_MTU, &cfg, out);
}

static int demo_setup(struct demo *d)
{
	tern_sim_link_config lc = {
	    .rate_bps = DEMO_RATE,
	    .delay = (tern_time)(d->o.rtt_ms * 1000.0 / 2.0 + 0.5),
	    .queue_pkts = 100,
	    .loss = d->o.loss_pct / 100.0,
	    .mtu = DEMO_MTU,
	};
	int rc;

	if ((rc = tern_sim_new(d->o.seed, &d->sim)) < 0 ||
	    (rc = demo_host(d, "A", "10.0.0.1/24", &d->a)) < 0 ||
	    (rc = demo_host(d, "B", "10.0.0.2/24", &d->b)) < 0 ||
	    (rc = tern_sim_connect(d->sim, d->a, d->b, &lc, &d->link)) < 0)
		return rc;
	return 0;
}

static void report_link(const struct demo *d)
{
	tern_sim_link_stats ab, ba;

	tern_sim_link_stats_get(d->link, TERN_SIM_AB, &ab);
	tern_sim_link_stats_get(d->link, TERN_SIM_BA, &ba);
	printf("link: A->B %" PRIu64 " packets sent, %" PRIu64 " lost; "
	       "B->A %" PRIu64 " sent, %" PRIu64 " lost",
	       ab.sent, ab.lost, ba.sent, ba.lost);
	if (ab.queue_drops + ba.queue_drops + ab.mtu_drops + ba.mtu_drops)
		printf("; %" PRIu64 " queue drops, %" PRIu64 " over the MTU",
		       ab.queue_drops + ba.queue_drops, ab.mtu_drops + ba.mtu_drops);
	printf("\n");
}

static void report_frags(const struct demo *d)
{
	tern_counters ca, cb;

	tern_stack_counters(tern_sim_host_stack(d->a), &ca);
	tern_stack_counters(tern_sim_host_stack(d->b), &cb);
	printf("fragments: A split %" PRIu64 " datagrams into %" PRIu64 ", B reassembled %" PRIu64
	       "; B split %" PRIu64 " into %" PRIu64 ", A reassembled %" PRIu64 "\n",
	       ca.ip_frag_oks, ca.ip_frag_created, cb.ip_reasm_oks, cb.ip_frag_oks,
	       cb.ip_frag_created, ca.ip_reasm_oks);
}

/* The nonzero counters, "name=value", wrapped for a terminal. */
static void report_counters(const char *who, tern_sim_host *h)
{
	tern_counters c;
	const uint64_t *v = (const uint64_t *)&c;
	int col = printf("counters %s:", who);

	tern_stack_counters(tern_sim_host_stack(h), &c);
	for (size_t i = 0; i < tern_counter_count(); i++) {
		char item[96];
		int n;

		if (!v[i])
			continue;
		n = snprintf(item, sizeof(item), " %s=%" PRIu64, tern_counter_name(i), v[i]);
		if (col + n > 96)
			col = printf("\n   ") - 1;
		col += printf("%s", item);
	}
	printf("\n");
}

/* The output directory (one level is made), the capture on A and the
 * trace of both hosts. */
static int demo_files(struct demo *d)
{
	int rc;
	if (mkdir(d->o.out, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "tern demo: cannot make %s: %s\n", d->o.out, strerror(errno));
		return -1;
	}
	snprintf(d->pcap, sizeof d->pcap, "%s/demo.pcap", d->o.out);
	snprintf(d->trace, sizeof d->trace, "%s/demo.trace", d->o.out);
	if ((rc = tern_sim_pcap_host(d->a, d->pcap)) < 0) {
		fprintf(stderr, "tern demo: cannot write %s: %s\n", d->pcap, strerror(-rc));
		return -1;
	}
	if ((rc = tern_sim_trace_file(d->sim, d->trace)) < 0) {
		fprintf(stderr, "tern demo: cannot write %s: %s\n", d->trace, strerror(-rc));
		return -1;
	}
	return 0;
}

/* After the run: the trace is complete, so the figures can be drawn. */
static int demo_pictures(struct demo *d)
{
	if (tern_sim_trace_stop(d->sim) < 0) {
		fprintf(stderr, "tern demo: %s is incomplete\n", d->trace);
		return -1;
	}
	printf("\nthe handshake and the close, as A and B saw them:\n\n");
	if (demo_ladder_print(d->trace, stdout) < 0 || demo_figures_write(d->o.out, d->trace) < 0)
		return -1;
	printf("\nfiles in %s/:\n", d->o.out);
	printf("  demo.pcap     what host A sent and received (tshark -r, wireshark)\n");
	printf("  demo.trace    every TCP event of both hosts, JSON lines (docs/TRACE.md)\n");
	for (size_t i = 0; demo_figure_kinds[i]; i++)
		printf("  %-13s %s\n", demo_figure_files[i], demo_figure_what[i]);
	printf("open the .svg files in a web browser; the whole ladder in the terminal:\n"
	       "  tern plot %s --kind ladder --text | less\n", d->trace);
	return 0;
}

static int demo_run(struct demo *d)
{
	int rc = demo_setup(d);

	if (rc == 0 && demo_files(d) < 0)
		return 1;
	printf("tern demo: seed %" PRIu64 ", A 10.0.0.1 <-> B 10.0.0.2, %u Mbit/s, "
	       "RTT %.1f ms, loss %.2f%% each way, MTU %u\n",
	       d->o.seed, DEMO_RATE / 1000000u, d->o.rtt_ms, d->o.loss_pct, DEMO_MTU);
	for (size_t i = 0; rc == 0 && i < DEMO_NPHASES; i++) {
		rc = demo_phases[i].run(d);
		if (rc == 0)
			demo_phases[i].report(d);
	}
	if (rc < 0) {
		fprintf(stderr, "tern demo: %s\n", tern_strerror(rc));
		return 1;
	}
	report_link(d);
	report_frags(d);
	report_counters("A", d->a);
	report_counters("B", d->b);
	if (demo_pictures(d) < 0)
		return 1;
	return d->bad || !d->tcp || !demo_tcp_ok(d->tcp) ? 1 : 0;
}

int tern_cmd_demo(int argc, char **argv)
{
	struct demo *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "tern demo: out of memory\n");
		return 1;
	}
	rc = demo_parse(argc, argv, &d->o);
	if (rc == 0)
		rc = demo_run(d);
	else if (rc < 0)
		rc = 0;
	/* The TCP phase's capture writer lives in d->tcp: the simulation goes
	 * first. */
	tern_sim_del(d->sim);
	demo_tcp_del(d->tcp);
	free(d);
	return rc;
}
