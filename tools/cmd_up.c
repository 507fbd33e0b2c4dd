/* cmd_up.c - `tern up`: a tern stack on a TUN device in the current network
 * namespace. It answers ping, echoes UDP on port 7, serves the TCP services
 * (svc.h), answers `tern ss` on a control socket, and runs until SIGINT or
 * SIGTERM. The device chain is stack -> [fault injector] -> [pcap tap] ->
 * tun, so the capture shows what really crossed the TUN device. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "svc.h"
#include "tern/host.h"
#include "up.h"

#define ECHO_PORT 7
#define ECHO_BUF  65536
/* Datagrams echoed per callback or hook call; the hook picks up the rest. */
#define ECHO_BATCH 256

typedef struct up_run {
	up_opts o;
	tern_config cfg;
	tern_stack *st;
	tern_dev *tun, *tap, *fault, *top;
	FILE *pcap;
	tern_socket *echo;
	tern_loop *loop;
	svc_host *svc;
	tern_ctl *ctl;
	int root_fd;
	char ctl_path[128];
	uint8_t *buf;
	uint64_t echoed, echo_drops;
} up_run;

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

/* The loop's per-iteration work. The UDP echo callback fires on becoming
 * readable; the hook empties whatever a bounded batch left behind. TCP
 * services do all their work here, never inside the stack's callbacks. */
static tern_time up_hook(void *ctx, tern_time now)
{
	up_run *r = ctx;
	echo_drain(r);
	return r->svc ? svc_host_run(r->svc, now) : TERN_TIME_NEVER;
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

/* ---- TCP services ----------------------------------------------------------- */

static int fail(const char *what, int rc)
{
	fprintf(stderr, "tern up: %s: %s\n", what, strerror(-rc));
	return 1;
}

static int open_services(up_run *r)
{
	char what[64];
	svc_env env = {.http_root_fd = -1};
	if (!r->o.services)
		return 0;
	r->root_fd = open(r->o.http_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->root_fd < 0)
		return fail(r->o.http_root, -errno);
	env.http_root_fd = r->root_fd;
	int rc = svc_host_new(r->st, &env, &r->svc);
	if (rc < 0)
		return fail("cannot start the TCP services", rc);
	for (unsigned i = 0; svc_at(i); i++) {
		const svc_ops *svc = svc_at(i);
		uint16_t port = svc == &svc_http ? r->o.http_port : svc->port;
		if (!(r->o.services & (1u << i)))
			continue;
		if ((rc = svc_host_listen(r->svc, svc, port)) < 0) {
			snprintf(what, sizeof what, "cannot listen for %s on tcp/%u", svc->name,
			         port);
			return fail(what, rc);
		}
	}
	return 0;
}

/* An explicit --ctl must work; the default one is a convenience, and a
 * stack without it still runs (with a warning). */
static int open_ctl(up_run *r)
{
	int rc = 0;
	if (r->o.ctl)
		snprintf(r->ctl_path, sizeof r->ctl_path, "%s", r->o.ctl);
	else
		rc = tern_ctl_default_path(NULL, tern_tun_name(r->tun), r->ctl_path,
		                           sizeof r->ctl_path);
	if (rc == 0 && (rc = tern_ctl_open(r->loop, r->st, r->ctl_path, &r->ctl)) == 0)
		return 0;
	if (r->o.ctl)
		return fail(r->ctl_path, rc);
	fprintf(stderr, "tern up: no control socket (%s); 'tern ss' will not see this stack\n",
	        strerror(-rc));
	r->ctl_path[0] = '\0';
	return 0;
}

/* ---- setup and teardown --------------------------------------------------- */

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
	if (o->msl)
		r->cfg.tcp_msl = o->msl;
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
	return open_services(r);
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
	if (r->svc)
		svc_host_print_stats(r->svc, stderr);
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
 * closes, and the capture is complete once the file is closed. Counters
 * are printed before the services reset what is still open. */
static int teardown(up_run *r)
{
	int rc = 0;
	if (r->st && r->o.stats)
		print_stats(r);
	tern_ctl_del(r->ctl);
	svc_host_del(r->svc);
	tern_stack_del(r->st);
	tern_dev_del(r->fault);
	tern_dev_del(r->tap);
	tern_dev_del(r->tun);
	if (r->pcap && (rc = tern_pcap_file_close(r->pcap)) < 0)
		rc = fail(r->o.pcap, rc);
	tern_loop_del(r->loop);
	if (r->root_fd >= 0)
		close(r->root_fd);
	free(r->buf);
	return rc;
}

static void announce(const up_run *r)
{
	char a[16], p[16];
	printf("tern up: %s %s/%u <-> peer %s, echo udp/%d", tern_tun_name(r->tun),
	       tern_ip4_to_str(r->o.addr, a), r->o.prefix, tern_ip4_to_str(r->o.peer, p),
	       ECHO_PORT);
	const char *sep = ", tcp ";
	for (unsigned i = 0; svc_at(i); i++) {
		if (!(r->o.services & (1u << i)))
			continue;
		printf("%s%s/%u", sep, svc_at(i)->name,
		       svc_at(i) == &svc_http ? r->o.http_port : svc_at(i)->port);
		sep = " ";
	}
	if (r->ctl)
		printf(", ctl %s", r->ctl_path);
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
	if ((rc = open_ctl(r)) != 0)
		return rc;
	tern_loop_set_hook(r->loop, up_hook, r);
	announce(r);
	rc = tern_loop_run(r->loop);
	return rc < 0 ? fail("event loop", rc) : 0;
}

int tern_cmd_up(int argc, char **argv)
{
	up_run r;
	sigset_t stop, old;
	memset(&r, 0, sizeof r);
	r.root_fd = -1;
	int rc = up_parse(argc, argv, &r.o);
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
