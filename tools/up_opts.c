/* up_opts.c - `tern up`'s argument parsing and validation: every invalid
 * argument is refused with one line on stderr and exit status 2 before any
 * device is touched. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "svc.h"
#include "up.h"

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
	OPT_SERVICES,
	OPT_HTTP,
	OPT_HTTP_ROOT,
	OPT_MSL,
	OPT_CTL,
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
    {"services", required_argument, NULL, OPT_SERVICES},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-root", required_argument, NULL, OPT_HTTP_ROOT},
    {"msl", required_argument, NULL, OPT_MSL},
    {"ctl", required_argument, NULL, OPT_CTL},
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
    "  --stats         print counters to stderr on exit\n"
    "  --services LIST TCP services to run, comma-separated, or 'none'\n"
    "                  [echo,discard,daytime,qotd,chargen,http]\n"
    "                  (echo 7, discard 9, daytime 13, qotd 17, chargen 19;\n"
    "                  UDP echo on port 7 always runs)\n"
    "  --http PORT     the HTTP service's port [80]\n"
    "  --http-root DIR directory the HTTP service serves [.]\n"
    "  --msl SECONDS   TCP maximum segment lifetime; TIME-WAIT is 2*MSL [30]\n"
    "  --ctl PATH      control socket for 'tern ss'\n"
    "                  [/run/tern/<tun>.net<namespace>.ctl, or /tmp/tern/...]\n";

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

static bool parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
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

/* ---- the TCP services' options ---------------------------------------------- */

static unsigned bit_of(const svc_ops *svc)
{
	for (unsigned i = 0; svc_at(i); i++)
		if (svc_at(i) == svc)
			return 1u << i;
	return 0;
}

static int opt_services(up_opts *o, const char *arg)
{
	o->services = 0;
	if (!strcmp(arg, "none"))
		return 0;
	for (const char *p = arg;; p++) {
		size_t n = strcspn(p, ",");
		const svc_ops *svc = svc_find(p, n);
		if (!svc)
			return bad("--services '%s': unknown service '%.*s' (known: "
			           "echo,discard,daytime,qotd,chargen,http or none)",
			           arg, (int)n, p);
		o->services |= bit_of(svc);
		p += n;
		if (!*p)
			return 0;
	}
}

static int opt_svc_value(up_opts *o, int c, const char *arg)
{
	uint64_t v;
	double d;
	struct stat st;
	switch (c) {
	case OPT_SERVICES:
		return opt_services(o, arg);
	case OPT_HTTP:
		if (!parse_u64(arg, 65535, &v) || v == 0)
			return bad("--http '%s': expected a port 1..65535", arg);
		o->http_port = (uint16_t)v;
		return 0;
	case OPT_HTTP_ROOT:
		if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
			return bad("--http-root '%s': not a directory", arg);
		o->http_root = arg;
		return 0;
	case OPT_MSL:
		if (!parse_double(arg, 0.001, 3600.0, &d))
			return bad("--msl '%s': expected seconds, 0.001..3600", arg);
		o->msl = (tern_time)(d * 1e6 + 0.5);
		return 0;
	case OPT_CTL:
		if (!*arg || strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return bad("--ctl '%s': expected a socket path of 1..107 bytes", arg);
		o->ctl = arg;
		return 0;
	default:
		return 0;
	}
}

/* ---- the link's options ----------------------------------------------------- */

static int opt_value(up_opts *o, int c, const char *name, const char *arg)
{
	uint64_t v;
	double *prob = fault_prob(o, c);
	if (prob) {
		o->faulty = true;
		if (!parse_double(arg, 0.0, 1.0, prob))
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
	} else {
		return opt_svc_value(o, c, arg);
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

/* ---- whole-command checks --------------------------------------------------- */

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

/* The HTTP port must not be one another running service listens on. */
static int check_ports(const up_opts *o)
{
	if (!(o->services & bit_of(&svc_http)))
		return 0;
	for (unsigned i = 0; svc_at(i); i++)
		if (svc_at(i) != &svc_http && (o->services & (1u << i)) &&
		    svc_at(i)->port == o->http_port)
			return bad("--http %u: port already used by the %s service", o->http_port,
			           svc_at(i)->name);
	return 0;
}

int up_parse(int argc, char **argv, up_opts *o)
{
	memset(o, 0, sizeof *o);
	o->tun = "tern0";
	o->mtu = 1500;
	o->http_port = svc_http.port;
	o->http_root = ".";
	for (unsigned i = 0; svc_at(i); i++)
		o->services |= 1u << i;
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
	if ((rc = check_addrs(o)) != 0)
		return rc;
	return check_ports(o);
}
