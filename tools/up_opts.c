/* up_opts.c - `tern up`'s argument parsing and validation: every invalid
 * argument is refused with one line on stderr and exit status 2 before any
 * device is touched. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "svc.h"
#include "up.h"

/* The device options are tun_stack's (TUN_OPT_BASE and up); these are
 * -h and, past any char, the long-only options of the services. */
enum {
	OPT_HELP = 'h',
	OPT_SERVICES = 256,
	OPT_HTTP,
	OPT_HTTP_ROOT,
	OPT_MSL,
	OPT_CTL,
};

static const struct option long_opts[] = {
    TUN_STACK_LONG_OPTS,
    {"services", required_argument, NULL, OPT_SERVICES},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-root", required_argument, NULL, OPT_HTTP_ROOT},
    {"msl", required_argument, NULL, OPT_MSL},
    {"ctl", required_argument, NULL, OPT_CTL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: " UP_PROG " --addr A.B.C.D/P --peer A.B.C.D/P [options]\n" TUN_STACK_USAGE_SHORT
    "  --services LIST TCP services to run, comma-separated, or 'none'\n"
    "                  [echo,discard,daytime,qotd,chargen,http]\n"
    "                  (echo 7, discard 9, daytime 13, qotd 17, chargen 19;\n"
    "                  UDP echo on port 7 always runs)\n"
    "  --http PORT     the HTTP service's port [80]\n"
    "  --http-root DIR directory the HTTP service serves [.]\n"
    "  --msl SECONDS   TCP maximum segment lifetime; TIME-WAIT is 2*MSL [30]\n"
    "  --ctl PATH      control socket for 'tern ss'\n"
    "                  [/run/tern/<tun>.net<namespace>.ctl, or /tmp/tern/...]\n";

/* ---- the TCP services' options ---------------------------------------------- */

static unsigned bit_of(const svc_ops *svc)
{
	for (unsigned i = 0; svc_at(i); i++)
		if (svc_at(i) == svc)
			return 1u << i;
	return 0;
}

static int opt_services(const tun_stack_opts *dev, up_opts *o, const char *arg)
{
	o->services = 0;
	if (!strcmp(arg, "none"))
		return 0;
	for (const char *p = arg;; p++) {
		size_t n = strcspn(p, ",");
		const svc_ops *svc = svc_find(p, n);
		if (!svc)
			return tun_stack_bad(dev,
			                     "--services '%s': unknown service '%.*s' (known: "
			                     "echo,discard,daytime,qotd,chargen,http or none)",
			                     arg, (int)n, p);
		o->services |= bit_of(svc);
		p += n;
		if (!*p)
			return 0;
	}
}

static int opt_svc_value(const tun_stack_opts *dev, up_opts *o, int c, const char *arg)
{
	uint64_t v;
	double d;
	struct stat st;
	switch (c) {
	case OPT_SERVICES:
		return opt_services(dev, o, arg);
	case OPT_HTTP:
		if (!tun_stack_parse_u64(arg, 65535, &v) || v == 0)
			return tun_stack_bad(dev, "--http '%s': expected a port 1..65535", arg);
		o->http_port = (uint16_t)v;
		return 0;
	case OPT_HTTP_ROOT:
		if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
			return tun_stack_bad(dev, "--http-root '%s': not a directory", arg);
		o->http_root = arg;
		return 0;
	case OPT_MSL:
		if (!tun_stack_parse_double(arg, 0.001, 3600.0, &d))
			return tun_stack_bad(dev, "--msl '%s': expected seconds, 0.001..3600", arg);
		o->msl = (tern_time)(d * 1e6 + 0.5);
		return 0;
	case OPT_CTL:
		if (!*arg || strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return tun_stack_bad(
			    dev, "--ctl '%s': expected a socket path of 1..107 bytes", arg);
		o->ctl = arg;
		return 0;
	default:
		return 0;
	}
}

/* ---- one option ------------------------------------------------------------- */

static int one_opt(tun_stack_opts *dev, up_opts *o, int c, char **argv)
{
	int id = tun_stack_opt_id(c);
	if (id)
		return tun_stack_opt(dev, id, optarg);
	switch (c) {
	case ':':
		return tun_stack_bad(dev, "option '%s' needs a value", argv[optind - 1]);
	case '?':
		/* optopt names a bad short option, or the long option given a
		 * value it does not take; an unknown long one is in argv. */
		if (optopt > 0 && optopt < 128)
			return tun_stack_bad(dev, "unknown option '-%c' (try '" UP_PROG " --help')",
			                     optopt);
		if (optopt == 0)
			return tun_stack_bad(dev, "unknown option '%s' (try '" UP_PROG " --help')",
			                     argv[optind - 1]);
		return tun_stack_bad(dev, "option '%s' takes no value", argv[optind - 1]);
	default:
		return opt_svc_value(dev, o, c, optarg);
	}
}

/* ---- whole-command checks --------------------------------------------------- */

/* The HTTP port must not be one another running service listens on. */
static int check_ports(const tun_stack_opts *dev, const up_opts *o)
{
	if (!(o->services & bit_of(&svc_http)))
		return 0;
	for (unsigned i = 0; svc_at(i); i++)
		if (svc_at(i) != &svc_http && (o->services & (1u << i)) &&
		    svc_at(i)->port == o->http_port)
			return tun_stack_bad(dev, "--http %u: port already used by the %s service",
			                     o->http_port, svc_at(i)->name);
	return 0;
}

int up_parse(int argc, char **argv, tun_stack_opts *dev, up_opts *o)
{
	tun_stack_opts_init(dev, UP_PROG);
	memset(o, 0, sizeof *o);
	o->http_port = svc_http.port;
	o->http_root = ".";
	for (unsigned i = 0; svc_at(i); i++)
		o->services |= 1u << i;
	opterr = 0;
	optind = 0;
	int c, rc;
	while ((c = getopt_long(argc, argv, ":" TUN_STACK_SHORT_OPTS "h", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage_text, stdout);
			return -1;
		}
		if ((rc = one_opt(dev, o, c, argv)) != 0)
			return rc;
	}
	if (optind < argc)
		return tun_stack_bad(dev, "unexpected argument '%s'", argv[optind]);
	if ((rc = tun_stack_check(dev)) != 0)
		return rc;
	return check_ports(dev, o);
}
