/* up_opts.c - `tern up`'s argument parsing and validation: every invalid
 * argument is refused with one line on stderr and exit status 2 before any
 * device is touched. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "smpp_users.h"
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
	OPT_SMPP_PORT,
	OPT_SMPP_USERS,
	OPT_SMPP_QUEUE,
	OPT_SMPP_WINDOW,
	OPT_SMPP_ENQUIRE,
};

static const struct option long_opts[] = {
    TUN_STACK_LONG_OPTS,
    {"services", required_argument, NULL, OPT_SERVICES},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-root", required_argument, NULL, OPT_HTTP_ROOT},
    {"msl", required_argument, NULL, OPT_MSL},
    {"ctl", required_argument, NULL, OPT_CTL},
    {"smpp-port", required_argument, NULL, OPT_SMPP_PORT},
    {"smpp-users", required_argument, NULL, OPT_SMPP_USERS},
    {"smpp-queue", required_argument, NULL, OPT_SMPP_QUEUE},
    {"smpp-window", required_argument, NULL, OPT_SMPP_WINDOW},
    {"smpp-enquire", required_argument, NULL, OPT_SMPP_ENQUIRE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: " UP_PROG " --addr A.B.C.D/P --peer A.B.C.D/P [options]\n" TUN_STACK_USAGE_SHORT
    "  --services LIST TCP services to run, comma-separated, or 'none'\n"
    "                  [echo,discard,daytime,qotd,chargen,http]\n"
    "                  (echo 7, discard 9, daytime 13, qotd 17, chargen 19;\n"
    "                  UDP echo on port 7 always runs; 'smpp' adds the SMPP\n"
    "                  message centre, docs/SMS.md)\n"
    "  --http PORT     the HTTP service's port [80]\n"
    "  --http-root DIR directory the HTTP service serves [.]\n"
    "  --msl SECONDS   TCP maximum segment lifetime; TIME-WAIT is 2*MSL [30]\n"
    "  --ctl PATH      control socket for 'tern ss'\n"
    "                  [/run/tern/<tun>.net<namespace>.ctl, or /tmp/tern/...]\n"
    "  --smpp-port PORT the SMPP service's port [2775]\n"
    "  --smpp-users FILE accounts, 'system_id:password[:prefix,...]' a line\n"
    "                  [one account, tern:tern]\n"
    "  --smpp-queue FILE the message queue's log, fsync'd: a restart loses\n"
    "                  nothing accepted [in memory only]\n"
    "  --smpp-window N messages a bind may have accepted and undelivered\n"
    "                  before ESME_RTHROTTLED [1000]\n"
    "  --smpp-enquire SECONDS idle time before enquire_link, and the time\n"
    "                  any answer may take [30]\n";

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
			                     "echo,discard,daytime,qotd,chargen,http,smpp or none)",
			                     arg, (int)n, p);
		o->services |= bit_of(svc);
		p += n;
		if (!*p)
			return 0;
	}
}

/* Read now, so a bad file is refused before any device exists, in one
 * line: "FILE:LINE: why". */
static int opt_smpp_users(const tun_stack_opts *dev, up_opts *o, const char *arg)
{
	static tern_smpp_users us;
	char why[512] = "";
	FILE *m = fmemopen(why, sizeof why - 1, "w");
	int rc = tern_smpp_users_load(arg, &us, m ? m : stderr);
	if (m)
		fclose(m);
	if (rc < 0)
		return tun_stack_bad(dev, "--smpp-users %.*s", (int)strcspn(why, "\n"), why);
	o->smpp_users = arg;
	return 0;
}

static int opt_smpp_value(const tun_stack_opts *dev, up_opts *o, int c, const char *arg)
{
	uint64_t v;
	double d;
	switch (c) {
	case OPT_SMPP_PORT:
		if (!tun_stack_parse_u64(arg, 65535, &v) || v == 0)
			return tun_stack_bad(dev, "--smpp-port '%s': expected a port 1..65535", arg);
		o->smpp_port = (uint16_t)v;
		return 0;
	case OPT_SMPP_USERS:
		return opt_smpp_users(dev, o, arg);
	case OPT_SMPP_QUEUE:
		o->smpp_queue = arg;
		return 0;
	case OPT_SMPP_WINDOW:
		if (!tun_stack_parse_u64(arg, 1000000, &v) || v == 0)
			return tun_stack_bad(dev, "--smpp-window '%s': expected 1..1000000", arg);
		o->smpp_window = (uint32_t)v;
		return 0;
	case OPT_SMPP_ENQUIRE:
		if (!tun_stack_parse_double(arg, 0.1, 86400.0, &d))
			return tun_stack_bad(dev, "--smpp-enquire '%s': expected seconds, 0.1..86400",
			                     arg);
		o->smpp_enquire = (tern_time)(d * 1e6 + 0.5);
		return 0;
	default:
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
		return opt_smpp_value(dev, o, c, arg);
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

uint16_t up_port(const up_opts *o, const svc_ops *svc)
{
	if (svc == &svc_http)
		return o->http_port;
	return svc == &svc_smpp ? o->smpp_port : svc->port;
}

/* No two running services on one port (--http and --smpp-port move two). */
static int check_ports(const tun_stack_opts *dev, const up_opts *o)
{
	for (unsigned i = 0; svc_at(i); i++)
		for (unsigned j = i + 1; svc_at(j); j++)
			if ((o->services & (1u << i)) && (o->services & (1u << j)) &&
			    up_port(o, svc_at(i)) == up_port(o, svc_at(j)))
				return tun_stack_bad(dev, "port %u: used by both the %s and the %s service",
				                     up_port(o, svc_at(i)), svc_at(i)->name,
				                     svc_at(j)->name);
	return 0;
}

int up_parse(int argc, char **argv, tun_stack_opts *dev, up_opts *o)
{
	tun_stack_opts_init(dev, UP_PROG);
	memset(o, 0, sizeof *o);
	o->http_port = svc_http.port;
	o->http_root = ".";
	o->smpp_port = svc_smpp.port;
	for (unsigned i = 0; svc_at(i); i++)
		if (!svc_at(i)->opt_in)
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
