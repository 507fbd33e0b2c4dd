/* cmd_up.c - `tern up`: a tern stack on a TUN device in the current network
 * namespace. It answers ping, echoes UDP on port 7, and runs until SIGINT or
 * SIGTERM. The device chain is stack -> [fault injector] -> [pcap tap] -> tun,
 * so the capture shows what really crossed the TUN device. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "tern/host.h"

#define ECHO_PORT 7
#define ECHO_BUF  65536
/* Datagrams echoed per callback or hook call; the hook picks up the rest. */
#define ECHO_BATCH 256

typedef struct up_opts {
	const char *tun, *pcap;
	uint32_t addr, peer, mtu;
	uint8_t prefix, peer_prefix;
	bool have_addr, have_peer, faulty, seeded, stats;
	tern_fault_config fault;
} up_opts;

typedef struct up_run {
	up_opts o;
	tern_config cfg;
	tern_stack *st;
	tern_dev *tun, *tap, *fault, *top;
	FILE *pcap;
	tern_socket *echo;
	tern_loop *loop;
	uint8_t *buf;
	uint64_t echoed, echo_drops;
} up_run;

enum {
	OPT_TUN = 't',
	OPT_ADDR = 'a',
	OPT_PEER = 'p',
	OPT_MTU = 'm',
	OPT_PCAP = 'w',
	OPT_HELP = 'h',
	OPT_LOSS = 256,
	OPT_DUP,
	OPT_REORDER,
	OPT_CORRUPT,
	OPT_DELAY,
	OPT_SEED,
	OPT_STATS,
};

static const struct option long_opts[] = {
    {"tun", required_argument, NULL, OPT_TUN},
    {"addr", required_argument, NULL, OPT_ADDR},
    {"peer", required_argument, NULL, OPT_PEER},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"pcap", required_argument, NULL, OPT_PCAP},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"dup", required_argument, NULL, OPT_DUP},
    {"reorder", required_argument, NULL, OPT_REORDER},
    {"corrupt", required_argument, NULL, OPT_CORRUPT},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"seed", required_argument, NULL, OPT_SEED},
    {"stats", no_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: tern up --addr A.B.C.D/P --peer A.B.C.D/P [options]\n"
    "  -t, --tun NAME  TUN device to create [tern0]\n"
    "  -a, --addr A/P  tern's address and prefix\n"
    "  -p, --peer A/P  the Linux side's address and prefix (must contain --addr)\n"
    "  -m, --mtu N     link MTU, 68..65535 [1500]\n"
    "  -w, --pcap FILE capture every packet crossing the TUN device\n"
    "  --loss P, --dup P, --reorder P, --corrupt P\n"
    "                  fault probabilities, 0..1, each direction\n"
    "  --delay MS      extra delay each direction, 0..60000 ms\n"
    "  --seed N        fault injector seed [random]\n"
    "  --stats         print counters to stderr on exit\n";

/* Prints one line on stderr and returns the invalid-arguments status. */
static int bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tern up: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_prob(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0.0 || v > 1.0)
		return false;
	*out = v;
	return true;
}

static double *fault_prob(up_opts *o, int c)
{
	switch (c) {
	case OPT_LOSS:
		return &o->fault.loss;
	case OPT_DUP:
		return &o->fault.dup;
	case OPT_REORDER:
		return &o->fault.reorder;
	case OPT_CORRUPT:
		return &o->fault.corrupt;
	default:
		return NULL;
	}
}

static int opt_value(up_opts *o, int c, const char *name, const char *arg)
{
	uint64_t v;
	double *prob = fault_prob(o, c);
	if (prob) {
		o->faulty = true;
		if (!parse_prob(arg, prob))
			return bad("--%s '%s': expected a probability 0..1", name, arg);
		return 0;
	}
	if (c == OPT_DELAY) {
		if (!parse_u64(arg, 60000, &v))
			return bad("--delay '%s': expected milliseconds 0..60000", arg);
		o->fault.delay = TERN_MS(v);
		o->faulty = true;
	} else if (c == OPT_SEED) {
		if (!parse_u64(arg, UINT64_MAX, &o->fault.seed))
			return bad("--seed '%s': expected an unsigned integer", arg);
		o->seeded = o->faulty = true;
	} else if (c == OPT_MTU) {
		if (!parse_u64(arg, 65535, &v) || v < 68)
			return bad("--mtu '%s': expected 68..65535", arg);
		o->mtu = (uint32_t)v;
	}
	return 0;
}

static int opt_addr(const char *name, const char *arg, uint32_t *addr, uint8_t *prefix, bool *have)
{
	if (tern_ip4_from_str(arg, addr, prefix) < 0)
		return bad("--%s '%s': expected an address A.B.C.D/P", name, arg);
	*have = true;
	return 0;
}

static int opt_tun(up_opts *o, const char *arg)
{
	size_t n = strlen(arg);
	if (n == 0 || n > 15 || strchr(arg, '/') || strchr(arg, '%') || strchr(arg, ' '))
		return bad("--tun '%s': expected an interface name of 1..15 characters", arg);
	o->tun = arg;
	return 0;
}

static int one_opt(up_opts *o, int c, int idx, char **argv)
{
	switch (c) {
	case OPT_TUN:
		return opt_tun(o, optarg);
	case OPT_ADDR:
		return opt_addr("addr", optarg, &o->addr, &o->prefix, &o->have_addr);
	case OPT_PEER:
		return opt_addr("peer", optarg, &o->peer, &o->peer_prefix, &o->have_peer);
	case OPT_PCAP:
		o->pcap = optarg;
		return 0;
	case OPT_STATS:
		o->stats = true;
		return 0;
	case ':':
		return bad("option '%s' needs a value", argv[optind - 1]);
	case '?':
		/* optopt names a bad short option; a long one is in argv. */
		if (optopt > 0 && optopt < 128)
			return bad("unknown option '-%c' (try 'tern up --help')", optopt);
		if (optopt == 0)
			return bad("unknown option '%s' (try 'tern up --help')", argv[optind - 1]);
		return bad("option '%s' takes no value", argv[optind - 1]);
	default:
		return opt_value(o, c, long_opts[idx].name, optarg);
	}
}

/* tern's address must be inside the Linux side's subnet, or Linux would
 * have no route to it. */
static int check_addrs(const up_opts *o)
{
	char a[16], p[16];
	uint32_t mask = o->peer_prefix ? 0xffffffffu << (32 - o->peer_prefix) : 0;
	if (!o->have_addr || !o->have_peer)
		return bad("--addr and --peer are required (try 'tern up --help')");
	if (o->addr == o->peer)
		return bad("--addr and --peer are both %s", tern_ip4_to_str(o->addr, a));
	if ((o->addr ^ o->peer) & mask)
		return bad("--addr %s is outside --peer's subnet %s/%u",
		           tern_ip4_to_str(o->addr, a), tern_ip4_to_str(o->peer & mask, p),
		           o->peer_prefix);
	return 0;
}

/* Returns 0, 2 for invalid arguments, or -1 after --help (exit 0). */
static int parse(int argc, char **argv, up_opts *o)
{
	memset(o, 0, sizeof *o);
	o->tun = "tern0";
	o->mtu = 1500;
	opterr = 0;
	optind = 0;
	int c, idx = 0, rc;
	while ((c = getopt_long(argc, argv, ":t:a:p:m:w:h", long_opts, &idx)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage_text, stdout);
			return -1;
		}
		/* idx is only set for long options; the options opt_value
		 * handles have no short form. */
		if ((rc = one_opt(o, c, idx, argv)) != 0)
			return rc;
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	return check_addrs(o);
}

/* ---- UDP echo ------------------------------------------------------------- */

static void echo_drain(up_run *r)
{
	for (int i = 0; i < ECHO_BATCH; i++) {
		tern_endpoint src;
		int n = tern_socket_recvfrom(r->echo, r->buf, ECHO_BUF, &src);
		if (n == TERN_EAGAIN)
			return;
		if (n < 0)
			continue; /* a reported error, now cleared */
		size_t len = (size_t)n < ECHO_BUF ? (size_t)n : ECHO_BUF;
		if (tern_socket_sendto(r->echo, r->buf, len, &src) < 0)
			r->echo_drops++;
		else
			r->echoed++;
	}
}

static void echo_cb(tern_socket *s, unsigned events, void *ctx)
{
	(void)s;
	(void)events;
	echo_drain(ctx);
}

/* The callback fires on becoming readable; the hook empties whatever a
 * bounded batch left behind. */
static tern_time echo_hook(void *ctx, tern_time now)
{
	(void)now;
	echo_drain(ctx);
	return TERN_TIME_NEVER;
}

static int echo_open(up_run *r)
{
	tern_endpoint local = {.addr = 0, .port = ECHO_PORT};
	int rc = tern_udp_open(r->st, &r->echo);
	if (rc == 0)
		rc = tern_socket_bind(r->echo, &local);
	if (rc == 0)
		tern_socket_set_callback(r->echo, echo_cb, r);
	return rc;
}

/* ---- setup and teardown --------------------------------------------------- */

static int fail(const char *what, int rc)
{
	fprintf(stderr, "tern up: %s: %s\n", what, strerror(-rc));
	return 1;
}

static int open_tun(up_run *r)
{
	const up_opts *o = &r->o;
	int rc = tern_tun_open(o->tun, &r->cfg.allocator, &r->tun);
	if (rc < 0) {
		bool denied = rc == TERN_EPERM || rc == -EACCES;
		fprintf(stderr, "tern up: cannot create TUN device %s: %s%s\n", o->tun,
		        strerror(-rc), denied ? " (needs root or CAP_NET_ADMIN)" : "");
		return 1;
	}
	rc = tern_tun_configure(tern_tun_name(r->tun), o->peer, o->peer_prefix, o->mtu);
	if (rc < 0)
		return fail("cannot configure the Linux side of the TUN device", rc);
	r->top = r->tun;
	return 0;
}

static int open_middleware(up_run *r)
{
	const up_opts *o = &r->o;
	int rc;
	if (o->pcap) {
		if ((rc = tern_pcap_file_open(o->pcap, &r->pcap)) < 0)
			return fail(o->pcap, rc);
		rc = tern_pcap_tap_new(&r->cfg.allocator, r->top, tern_pcap_file_write, r->pcap,
		                       tern_host_wall_base(), &r->tap);
		if (rc < 0)
			return fail("cannot create the pcap tap", rc);
		r->top = r->tap;
	}
	if (o->faulty) {
		if (!r->o.seeded)
			r->o.fault.seed = r->cfg.random(r->cfg.random_ctx);
		rc = tern_fault_new(&r->cfg.allocator, r->top, &r->o.fault, &r->fault);
		if (rc < 0)
			return fail("cannot create the fault injector", rc);
		r->top = r->fault;
	}
	return 0;
}

static int open_stack(up_run *r)
{
	const up_opts *o = &r->o;
	tern_iface *ifc;
	tern_iface_config ic = {
	    .name = tern_tun_name(r->tun), .addr = o->addr, .prefix = o->prefix, .mtu = o->mtu};
	uint32_t mask = o->prefix ? 0xffffffffu << (32 - o->prefix) : 0;
	int rc = tern_stack_new(&r->cfg, &r->st);
	if (rc < 0)
		return fail("cannot create the stack", rc);
	if ((rc = tern_iface_add(r->st, &ic, r->top, &ifc)) < 0)
		return fail("cannot add the interface", rc);
	/* A narrower --addr prefix (e.g. /32) still has to reach the peer. */
	if ((o->addr ^ o->peer) & mask && (rc = tern_route_add(r->st, o->peer, 32, 0, ifc)) < 0)
		return fail("cannot add the route to the peer", rc);
	if ((rc = echo_open(r)) < 0)
		return fail("cannot open the UDP echo socket on port 7", rc);
	return 0;
}

static int setup(up_run *r)
{
	int rc = tern_host_config_init(&r->cfg);
	if (rc < 0)
		return fail("no entropy from getrandom", rc);
	r->buf = malloc(ECHO_BUF);
	if (!r->buf)
		return fail("echo buffer", TERN_ENOMEM);
	if ((rc = open_tun(r)) || (rc = open_middleware(r)) || (rc = open_stack(r)))
		return rc;
	return 0;
}

static void print_stats(const up_run *r)
{
	tern_counters c;
	tern_stack_counters(r->st, &c);
	const uint64_t *v = (const uint64_t *)&c;
	for (size_t i = 0; i < tern_counter_count(); i++)
		if (v[i])
			fprintf(stderr, "%-24s %" PRIu64 "\n", tern_counter_name(i), v[i]);
	fprintf(stderr, "%-24s %" PRIu64 "\n%-24s %" PRIu64 "\n", "echo_replies", r->echoed,
	        "echo_send_errors", r->echo_drops);
	if (r->fault) {
		tern_fault_stats fs;
		tern_fault_stats_get(r->fault, &fs);
		fprintf(stderr,
		        "fault passed %" PRIu64 " lost %" PRIu64 " duplicated %" PRIu64
		        " reordered %" PRIu64 " corrupted %" PRIu64 " delayed %" PRIu64 "\n",
		        fs.passed, fs.lost, fs.duplicated, fs.reordered, fs.corrupted, fs.delayed);
	}
}

/* Delete in reverse order of creation; the TUN device vanishes when its fd
 * closes, and the capture is complete once the file is closed. */
static int teardown(up_run *r)
{
	int rc = 0;
	if (r->st && r->o.stats)
		print_stats(r);
	tern_stack_del(r->st);
	tern_dev_del(r->fault);
	tern_dev_del(r->tap);
	tern_dev_del(r->tun);
	if (r->pcap && (rc = tern_pcap_file_close(r->pcap)) < 0)
		rc = fail(r->o.pcap, rc);
	tern_loop_del(r->loop);
	free(r->buf);
	return rc;
}

static void announce(const up_run *r)
{
	char a[16], p[16];
	printf("tern up: %s %s/%u <-> peer %s, echo udp/%d", tern_tun_name(r->tun),
	       tern_ip4_to_str(r->o.addr, a), r->o.prefix, tern_ip4_to_str(r->o.peer, p),
	       ECHO_PORT);
	if (r->o.pcap)
		printf(", pcap %s", r->o.pcap);
	if (r->fault)
		printf(", faults seed %" PRIu64, r->o.fault.seed);
	printf(", ready\n");
	fflush(stdout);
}

static int serve(up_run *r)
{
	int rc = tern_loop_new(r->st, r->top, &r->loop);
	if (rc == 0)
		rc = tern_loop_add_tun(r->loop, r->tun);
	if (rc < 0)
		return fail("cannot start the event loop", rc);
	tern_loop_set_hook(r->loop, echo_hook, r);
	announce(r);
	rc = tern_loop_run(r->loop);
	return rc < 0 ? fail("event loop", rc) : 0;
}

int tern_cmd_up(int argc, char **argv)
{
	up_run r;
	sigset_t stop, old;
	memset(&r, 0, sizeof r);
	int rc = parse(argc, argv, &r.o);
	if (rc)
		return rc < 0 ? 0 : rc;
	/* Held pending until the loop's signalfd reads them, so a signal sent
	 * while the device is being set up cannot skip the cleanup. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	rc = setup(&r);
	if (rc == 0)
		rc = serve(&r);
	int trc = teardown(&r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc ? rc : trc;
}
