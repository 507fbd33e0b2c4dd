/* cmd_ss.c - `tern ss`: a running stack's TCP connection table, asked of
 * its control socket (src/host/ctl.c) and printed as it comes. With neither
 * --tun nor --ctl, the one live control socket of this network namespace
 * in the default directories is used. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmds.h"
#include "tern/host.h"

#define SS_TIMEOUT_S 5
#define SS_PATH_MAX  sizeof(((struct sockaddr_un *)0)->sun_path)

typedef struct ss_opts {
	const char *tun, *ctl;
	bool all, info, summary;
} ss_opts;

static const struct option long_opts[] = {
    {"tun", required_argument, NULL, 't'}, {"ctl", required_argument, NULL, 'c'},
    {"all", no_argument, NULL, 'a'},       {"info", no_argument, NULL, 'i'},
    {"summary", no_argument, NULL, 's'},   {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: tern ss [--tun NAME | --ctl PATH] [-a] [-i] [-s]\n"
    "  -t, --tun NAME  the stack running on TUN device NAME (this namespace)\n"
    "  -c, --ctl PATH  the stack whose control socket is PATH\n"
    "  -a, --all       also listeners and TIME-WAIT\n"
    "  -i, --info      RTT, RTO, cwnd, ssthresh, MSS, retransmissions, bytes\n"
    "  -s, --summary   the stack-wide counters, grouped like netstat -s\n"
    "With neither --tun nor --ctl, the only stack running in this network\n"
    "namespace is asked.\n";

static int say(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tern ss: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

/* Returns 0, 2 for invalid arguments, or -1 after --help. */
static int parse(int argc, char **argv, ss_opts *o)
{
	int c;
	memset(o, 0, sizeof *o);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":t:c:aish", long_opts, NULL)) != -1) {
		switch (c) {
		case 't':
			o->tun = optarg;
			break;
		case 'c':
			o->ctl = optarg;
			break;
		case 'a':
			o->all = true;
			break;
		case 'i':
			o->info = true;
			break;
		case 's':
			o->summary = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case ':':
			return say(2, "option '%s' needs a value", argv[optind - 1]);
		default:
			return say(2, "unknown option '%s' (try 'tern ss --help')",
			           argv[optind - 1]);
		}
	}
	if (optind < argc)
		return say(2, "unexpected argument '%s'", argv[optind]);
	if (o->tun && o->ctl)
		return say(2, "--tun and --ctl name the stack twice; give one");
	if (o->tun && (!*o->tun || strlen(o->tun) > 15 || strchr(o->tun, '/')))
		return say(2, "--tun '%s': expected an interface name of 1..15 characters", o->tun);
	if (o->ctl && (!*o->ctl || strlen(o->ctl) >= SS_PATH_MAX))
		return say(2, "--ctl '%s': expected a socket path of 1..107 bytes", o->ctl);
	return 0;
}

/* A connected stream socket to path, or a negative errno. */
static int dial(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = SS_TIMEOUT_S};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* ---- finding the stack ------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && !strcmp(s + n - m, suffix);
}

/* Count the live control sockets of this namespace in dir; the first goes
 * to path (when *found was 0), the rest are listed in others. */
static void scan_dir(const char *dir, const char *suffix, char *path, unsigned *found, char *others,
                     size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[SS_PATH_MAX];
	while (d && (e = readdir(d)) != NULL) {
		struct stat st;
		int n = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof p || !ends_with(e->d_name, suffix) ||
		    stat(p, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		int fd = dial(p);
		if (fd < 0)
			continue; /* left behind by a stack that was killed */
		close(fd);
		if ((*found)++ == 0)
			memcpy(path, p, (size_t)n + 1);
		size_t used = strlen(others);
		snprintf(others + used, cap - used, "%s%s", used ? ", " : "", p);
	}
	if (d)
		closedir(d);
}

static int find_only(char *path)
{
	char suffix[48], list[1024] = "";
	unsigned found = 0;
	int rc = tern_ctl_suffix(suffix, sizeof suffix);
	if (rc < 0)
		return say(1, "cannot name this network namespace: %s", strerror(-rc));
	for (unsigned i = 0; tern_ctl_dir(i); i++)
		scan_dir(tern_ctl_dir(i), suffix, path, &found, list, sizeof list);
	if (found == 0)
		return say(1,
		           "no running tern stack in this network namespace (no live *%s in "
		           "%s or %s); start 'tern up' or give --ctl PATH",
		           suffix, tern_ctl_dir(0), tern_ctl_dir(1));
	if (found > 1)
		return say(1,
		           "%u stacks run in this network namespace (%s); choose one with "
		           "--tun NAME or --ctl PATH",
		           found, list);
	return 0;
}

static int find_tun(const char *tun, char *path)
{
	struct stat st;
	for (unsigned i = 0; tern_ctl_dir(i); i++)
		if (tern_ctl_default_path(tern_ctl_dir(i), tun, path, SS_PATH_MAX) == 0 &&
		    stat(path, &st) == 0)
			return 0;
	return say(1, "no control socket for %s in this network namespace (looked in %s and %s)",
	           tun, tern_ctl_dir(0), tern_ctl_dir(1));
}

/* ---- asking it -------------------------------------------------------------- */

/* Send the request, copy the answer to stdout (an "error:" answer to
 * stderr). Returns the exit status. */
static int ask(const char *path, const ss_opts *o)
{
	char req[16], buf[4096];
	int fd = dial(path);
	if (fd < 0)
		return say(1, "%s: %s", path, strerror(-fd));
	snprintf(req, sizeof req, "ss%s%s%s\n", o->all ? " -a" : "", o->info ? " -i" : "",
	         o->summary ? " -s" : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return say(1, "%s: cannot send the request: %s", path, strerror(errno));
	}
	shutdown(fd, SHUT_WR);
	ssize_t n;
	size_t total = 0;
	bool error = false;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (total == 0)
			error = n >= 6 && !memcmp(buf, "error:", 6);
		fwrite(buf, 1, (size_t)n, error ? stderr : stdout);
		total += (size_t)n;
	}
	int e = errno;
	close(fd);
	if (n < 0)
		return say(1, "%s: %s", path, e == EAGAIN ? "no answer within 5 s" : strerror(e));
	if (total == 0)
		return say(1, "%s: the stack closed without answering", path);
	return error || fflush(stdout) != 0 ? 1 : 0;
}

int tern_cmd_ss(int argc, char **argv)
{
	ss_opts o;
	char path[SS_PATH_MAX];
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.ctl)
		snprintf(path, sizeof path, "%s", o.ctl);
	else if ((rc = o.tun ? find_tun(o.tun, path) : find_only(path)) != 0)
		return rc;
	return ask(path, &o);
}
