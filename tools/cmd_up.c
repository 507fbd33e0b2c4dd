/* cmd_up.c - `tern up`: a tern stack on a TUN device in the current network
 * namespace. It answers ping, echoes UDP on port 7, serves the TCP services
 * (svc.h), answers `tern ss` on a control socket, and runs until SIGINT or
 * SIGTERM. The device chain and its options are tun_stack's (shared with
 * `tern cat`); this adds the services on top, through tun_stack's hooks. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "svc.h"
#include "svc_smpp.h"
#include "up.h"

#define ECHO_PORT 7
#define ECHO_BUF  65536
/* Datagrams echoed per callback or hook call; the hook picks up the rest. */
#define ECHO_BATCH 256

typedef struct up_run {
	tun_stack ts; /* the device chain, stack and loop */
	up_opts o;
	tern_socket *echo;
	svc_host *svc;
	tern_smsc *smsc; /* the SMPP message centre, with --services ...,smpp */
	tern_ctl *ctl;
	int root_fd;
	char ctl_path[128];
	uint8_t *buf;
	uint64_t echoed, echo_drops;
	bool echo_more; /* the last drain stopped at ECHO_BATCH, not empty */
} up_run;

/* ---- UDP echo ------------------------------------------------------------- */

static void echo_drain(up_run *r)
{
	r->echo_more = true;
	for (int i = 0; i < ECHO_BATCH; i++) {
		tern_endpoint src;
		int n = tern_socket_recvfrom(r->echo, r->buf, ECHO_BUF, &src);
		if (n == TERN_EAGAIN) {
			r->echo_more = false;
			return;
		}
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

/* The loop's per-iteration work. The UDP echo callback fires on becoming
 * readable; the hook empties whatever a bounded batch left behind. TCP
 * services do all their work here, never inside the stack's callbacks. */
static tern_time up_hook(void *ctx, tern_time now)
{
	up_run *r = ctx;
	/* A drain that emptied the socket leaves nothing for the hook: the
	 * next datagram makes it readable again, which calls echo_cb. */
	if (r->echo_more)
		echo_drain(r);
	/* The centre's timers first: the sessions they wake step below. */
	tern_time next = r->smsc ? tern_smsc_tick(r->smsc, now) : TERN_TIME_NEVER;
	tern_time svc = r->svc ? svc_host_run(r->svc, now) : TERN_TIME_NEVER;
	return svc < next ? svc : next;
}

static int echo_open(up_run *r)
{
	tern_endpoint local = {.addr = 0, .port = ECHO_PORT};
	int rc = tern_udp_open(r->ts.st, &r->echo);
	if (rc == 0)
		rc = tern_socket_bind(r->echo, &local);
	if (rc == 0)
		tern_socket_set_callback(r->echo, echo_cb, r);
	r->echo_more = true;  /* the first hook looks, whatever came before */
	return rc;
}

/* ---- TCP services ----------------------------------------------------------- */

static int open_smsc(up_run *r, svc_env *env)
{
	tern_smsc_config cfg;
	bool runs = false;
	for (unsigned i = 0; svc_at(i); i++)
		runs |= svc_at(i) == &svc_smpp && (r->o.services & (1u << i));
	if (!runs)
		return 0;
	tern_smsc_config_init(&cfg);
	cfg.users_path = r->o.smpp_users;
	cfg.queue_path = r->o.smpp_queue;
	if (r->o.smpp_window)
		cfg.window = r->o.smpp_window;
	if (r->o.smpp_enquire)
		cfg.enquire = r->o.smpp_enquire;
	if (tern_smsc_new(&cfg, stderr, &r->smsc) < 0)
		return tun_stack_fail(&r->ts, "cannot start the SMPP message centre", TERN_EINVAL);
	env->smsc = r->smsc;
	return 0;
}

static int open_services(up_run *r)
{
	char what[64];
	svc_env env = {.http_root_fd = -1, .cc = r->ts.o.cc};
	if (!r->o.services)
		return 0;
	r->root_fd = open(r->o.http_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->root_fd < 0)
		return tun_stack_fail(&r->ts, r->o.http_root, -errno);
	env.http_root_fd = r->root_fd;
	if (open_smsc(r, &env) != 0)
		return 1;
	int rc = svc_host_new(r->ts.st, &env, &r->svc);
	if (rc < 0)
		return tun_stack_fail(&r->ts, "cannot start the TCP services", rc);
	for (unsigned i = 0; svc_at(i); i++) {
		const svc_ops *svc = svc_at(i);
		uint16_t port = up_port(&r->o, svc);
		if (!(r->o.services & (1u << i)))
			continue;
		if ((rc = svc_host_listen(r->svc, svc, port)) < 0) {
			snprintf(what, sizeof what, "cannot listen for %s on tcp/%u", svc->name,
			         port);
			return tun_stack_fail(&r->ts, what, rc);
		}
	}
	return 0;
}

/* ---- the control socket's additions ------------------------------------------------ */

/* "cut SECONDS": pull the cable for that long (the fault injector drops
 * every packet; the dead-peer tests need it at run time). */
static int ctl_cut(up_run *r, const char *arg, FILE *out)
{
	double secs;
	if (!arg || !tun_stack_parse_double(arg, 0.0, 3600.0, &secs)) {
		fprintf(out, "error: expected: cut SECONDS (0..3600)\n");
		return 0;
	}
	if (!r->ts.fault || tern_fault_cut(r->ts.fault, tern_host_now() + (tern_time)(secs * 1e6)) < 0) {
		fprintf(out, "error: no fault injector (start tern up with a fault option, e.g. "
		             "--loss 0)\n");
		return 0;
	}
	fprintf(out, "cable cut for %.3f s\n", secs);
	return 0;
}

/* After "ss -i": the SMPP binds; "smpp": binds and counters; "cut". */
static int up_ctl(void *ctx, const char *req, FILE *out)
{
	up_run *r = ctx;
	char line[128], *save;
	snprintf(line, sizeof line, "%s", req);
	const char *cmd = strtok_r(line, " \t\r\n", &save);
	if (!cmd)
		return TERN_EINVAL;
	if (!strcmp(cmd, "ss")) {
		if (r->smsc && strchr(req, 'i'))
			tern_smsc_print_binds(r->smsc, out);
		return 0;
	}
	if (!strcmp(cmd, "smpp") && r->smsc) {
		tern_smsc_print_binds(r->smsc, out);
		tern_smsc_print_stats(r->smsc, out);
		return 0;
	}
	if (!strcmp(cmd, "cut"))
		return ctl_cut(r, strtok_r(NULL, " \t\r\n", &save), out);
	return TERN_EINVAL;
}

/* An explicit --ctl must work; the default one is a convenience, and a
 * stack without it still runs (with a warning). */
static int open_ctl(up_run *r)
{
	int rc = 0;
	if (r->o.ctl)
		snprintf(r->ctl_path, sizeof r->ctl_path, "%s", r->o.ctl);
	else
		rc = tern_ctl_default_path(NULL, tern_tun_name(r->ts.tun), r->ctl_path,
		                           sizeof r->ctl_path);
	if (rc == 0 && (rc = tern_ctl_open(r->ts.loop, r->ts.st, r->ctl_path, &r->ctl)) == 0) {
		tern_ctl_set_handler(r->ctl, up_ctl, r);
		return 0;
	}
	if (r->o.ctl)
		return tun_stack_fail(&r->ts, r->ctl_path, rc);
	fprintf(stderr, UP_PROG ": no control socket (%s); 'tern ss' will not see this stack\n",
	        strerror(-rc));
	r->ctl_path[0] = '\0';
	return 0;
}

/* ---- tun_stack's hooks -------------------------------------------------------- */

static void up_configure(void *ctx, tern_config *cfg)
{
	const up_run *r = ctx;
	if (r->o.msl)
		cfg->tcp_msl = r->o.msl;
}

/* The UDP echo's and the services' counters, between the stack's and the
 * fault injector's. */
static void up_print_stats(void *ctx, FILE *out)
{
	const up_run *r = ctx;
	fprintf(out, "%-24s %" PRIu64 "\n%-24s %" PRIu64 "\n", "echo_replies", r->echoed,
	        "echo_send_errors", r->echo_drops);
	if (r->svc)
		svc_host_print_stats(r->svc, out);
	if (r->smsc)
		tern_smsc_print_stats(r->smsc, out);
}

/* After the counters are printed: the services reset what is still open,
 * and both they and the control socket live on the stack and loop. */
static void up_release(void *ctx)
{
	up_run *r = ctx;
	tern_ctl_del(r->ctl);
	svc_host_del(r->svc);
	tern_smsc_del(r->smsc); /* after its sessions */
}

/* ---- setup and teardown --------------------------------------------------- */

/* The device chain, stack and loop, then what tern up runs on them. */
static int setup(up_run *r)
{
	int rc;
	r->buf = malloc(ECHO_BUF);
	if (!r->buf)
		return tun_stack_fail(&r->ts, "echo buffer", TERN_ENOMEM);
	r->ts.hooks = (tun_stack_hooks){.configure = up_configure,
	                                .print_stats = up_print_stats,
	                                .release = up_release,
	                                .ctx = r};
	if ((rc = tun_stack_open(&r->ts)) != 0)
		return rc;
	if ((rc = echo_open(r)) < 0)
		return tun_stack_fail(&r->ts, "cannot open the UDP echo socket on port 7", rc);
	if ((rc = open_services(r)) != 0)
		return rc;
	return open_ctl(r);
}

/* tun_stack_close prints the counters and calls up_release. */
static int teardown(up_run *r)
{
	int rc = tun_stack_close(&r->ts);
	if (r->root_fd >= 0)
		close(r->root_fd);
	free(r->buf);
	return rc;
}

static void announce(const up_run *r)
{
	char a[16], p[16];
	const tun_stack_opts *dev = &r->ts.o;
	printf(UP_PROG ": %s %s/%u <-> peer %s, echo udp/%d", tern_tun_name(r->ts.tun),
	       tern_ip4_to_str(dev->addr, a), dev->prefix, tern_ip4_to_str(dev->peer, p),
	       ECHO_PORT);
	const char *sep = ", tcp ";
	for (unsigned i = 0; svc_at(i); i++) {
		if (!(r->o.services & (1u << i)))
			continue;
		printf("%s%s/%u", sep, svc_at(i)->name, up_port(&r->o, svc_at(i)));
		sep = " ";
	}
	if (r->ctl)
		printf(", ctl %s", r->ctl_path);
	if (dev->pcap)
		printf(", pcap %s", dev->pcap);
	if (r->ts.fault)
		printf(", faults seed %" PRIu64, dev->fault.seed);
	printf(", %s", tern_tun_offloading(r->ts.tun) ? "offloads (64 KiB segments)" : "plain TUN");
	if (tern_tun_threaded(r->ts.tun))
		printf(", writer thread");
	printf(", ready\n");
	fflush(stdout);
}

static int serve(up_run *r)
{
	tern_loop_set_hook(r->ts.loop, up_hook, r);
	announce(r);
	int rc = tern_loop_run(r->ts.loop);
	return rc < 0 ? tun_stack_fail(&r->ts, "event loop", rc) : 0;
}

int tern_cmd_up(int argc, char **argv)
{
	up_run r;
	sigset_t stop, old;
	memset(&r, 0, sizeof r);
	r.root_fd = -1;
	int rc = up_parse(argc, argv, &r.ts.o, &r.o);
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
