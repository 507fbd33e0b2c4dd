/* tun_stack.c - the device options and the stack -> [fault] -> [pcap tap] ->
 * TUN chain that the TUN commands share. The fault injector sits above the
 * tap so the capture shows what really crossed the TUN device. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tun_stack.h"

void tun_stack_opts_init(tun_stack_opts *o, const char *prog)
{
	memset(o, 0, sizeof *o);
	o->prog = prog;
	o->tun = "tern0";
	o->mtu = 1500;
	/* The environment may change the default, so a whole test suite or
	 * benchmark can run in the other mode (TERN_IO_THREADS=1). */
	const char *e = getenv("TERN_IO_THREADS");
	o->io_threads = e && (e[0] == '0' || e[0] == '1') && !e[1] ? (unsigned)(e[0] - '0')
	                                                           : TUN_STACK_IO_THREADS_DEFAULT;
}

int tun_stack_bad(const tun_stack_opts *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", o->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

bool tun_stack_parse_u64(const char *s, uint64_t max, uint64_t *out)
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

bool tun_stack_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int opt_prob(tun_stack_opts *o, const char *name, const char *arg, double *p)
{
	o->faulty = true;
	if (!tun_stack_parse_double(arg, 0.0, 1.0, p))
		return tun_stack_bad(o, "--%s '%s': expected a probability 0..1", name, arg);
	return 0;
}

/* Mbit/s as a double, so a slow bottleneck (0.5) can be had too. */
static int opt_rate(tun_stack_opts *o, const char *arg)
{
	double mbits;
	if (!tun_stack_parse_double(arg, 0.001, 100000.0, &mbits))
		return tun_stack_bad(o, "--rate '%s': expected Mbit/s 0.001..100000", arg);
	o->fault.rate_bps = (uint64_t)(mbits * 1e6 + 0.5);
	o->faulty = true;
	return 0;
}

static int opt_queue(tun_stack_opts *o, const char *arg)
{
	uint64_t v;
	if (!tun_stack_parse_u64(arg, TERN_FAULT_QUEUE_MAX, &v) || v < 1)
		return tun_stack_bad(o, "--queue '%s': expected packets 1..%u", arg,
		                     TERN_FAULT_QUEUE_MAX);
	o->fault.queue_pkts = (uint32_t)v;
	return 0;
}

static int opt_cc(tun_stack_opts *o, const char *arg)
{
	if (!*arg || strlen(arg) > 15)
		return tun_stack_bad(o, "--cc '%s': expected a name such as cubic or newreno", arg);
	o->cc = arg;
	return 0;
}

static int opt_addr(tun_stack_opts *o, const char *name, const char *arg, uint32_t *addr,
                    uint8_t *prefix, bool *have)
{
	if (tern_ip4_from_str(arg, addr, prefix) < 0)
		return tun_stack_bad(o, "--%s '%s': expected an address A.B.C.D/P", name, arg);
	*have = true;
	return 0;
}

static int opt_tun(tun_stack_opts *o, const char *arg)
{
	size_t n = strlen(arg);
	if (n == 0 || n > 15 || strpbrk(arg, "/% \t\n"))
		return tun_stack_bad(
		    o, "--tun '%s': expected an interface name of 1..15 characters", arg);
	o->tun = arg;
	return 0;
}

static int opt_number(tun_stack_opts *o, int c, const char *arg)
{
	uint64_t v;
	if (c == TUN_OPT_DELAY) {
		if (!tun_stack_parse_u64(arg, 60000, &v))
			return tun_stack_bad(o, "--delay '%s': expected milliseconds 0..60000",
			                     arg);
		o->fault.delay = TERN_MS(v);
		o->faulty = true;
	} else if (c == TUN_OPT_SEED) {
		if (!tun_stack_parse_u64(arg, UINT64_MAX, &o->fault.seed))
			return tun_stack_bad(o, "--seed '%s': expected an unsigned integer", arg);
		o->seeded = o->faulty = true;
	} else if (c == TUN_OPT_IO_THREADS) {
		if (!tun_stack_parse_u64(arg, 1, &v))
			return tun_stack_bad(o, "--io-threads '%s': expected 0 or 1", arg);
		o->io_threads = (unsigned)v;
	} else {
		if (!tun_stack_parse_u64(arg, 65535, &v) || v < 68)
			return tun_stack_bad(o, "--mtu '%s': expected 68..65535", arg);
		o->mtu = (uint32_t)v;
	}
	return 0;
}

int tun_stack_opt_id(int c)
{
	/* The short letters, in TUN_STACK_SHORT_OPTS order. */
	static const struct {
		char letter;
		int id;
	} shorts[] = {{'t', TUN_OPT_TUN},
	              {'a', TUN_OPT_ADDR},
	              {'p', TUN_OPT_PEER},
	              {'m', TUN_OPT_MTU},
	              {'w', TUN_OPT_PCAP}};
	if (c >= TUN_OPT_BASE && c < TUN_OPT_END)
		return c;
	for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
		if (shorts[i].letter == c)
			return shorts[i].id;
	return 0;
}

int tun_stack_opt(tun_stack_opts *o, int c, const char *arg)
{
	switch (c) {
	case TUN_OPT_TUN:
		return opt_tun(o, arg);
	case TUN_OPT_ADDR:
		return opt_addr(o, "addr", arg, &o->addr, &o->prefix, &o->have_addr);
	case TUN_OPT_PEER:
		return opt_addr(o, "peer", arg, &o->peer, &o->peer_prefix, &o->have_peer);
	case TUN_OPT_PCAP:
		o->pcap = arg;
		return 0;
	case TUN_OPT_STATS:
		o->stats = true;
		return 0;
	case TUN_OPT_TRACE:
		o->trace = arg;
		return 0;
	case TUN_OPT_NO_OFFLOAD:
		o->no_offload = true;
		return 0;
	case TUN_OPT_LOSS:
		return opt_prob(o, "loss", arg, &o->fault.loss);
	case TUN_OPT_DUP:
		return opt_prob(o, "dup", arg, &o->fault.dup);
	case TUN_OPT_REORDER:
		return opt_prob(o, "reorder", arg, &o->fault.reorder);
	case TUN_OPT_CORRUPT:
		return opt_prob(o, "corrupt", arg, &o->fault.corrupt);
	case TUN_OPT_RATE:
		return opt_rate(o, arg);
	case TUN_OPT_QUEUE:
		return opt_queue(o, arg);
	case TUN_OPT_CC:
		return opt_cc(o, arg);
	case TUN_OPT_NO_SACK:
		o->no_sack = true;
		return 0;
	default:
		return opt_number(o, c, arg);
	}
}

/* tern's address must be inside the Linux side's subnet, or Linux would
 * have no route to it. */
int tun_stack_check(const tun_stack_opts *o)
{
	char a[16], p[16];
	uint32_t mask = o->peer_prefix ? 0xffffffffu << (32 - o->peer_prefix) : 0;
	if (!o->have_addr || !o->have_peer)
		return tun_stack_bad(o, "--addr and --peer are required (try '%s --help')",
		                     o->prog);
	if (o->fault.queue_pkts && !o->fault.rate_bps)
		return tun_stack_bad(o, "--queue needs --rate (a queue fills only behind a rate)");
	if (o->addr == o->peer)
		return tun_stack_bad(o, "--addr and --peer are both %s",
		                     tern_ip4_to_str(o->addr, a));
	if ((o->addr ^ o->peer) & mask)
		return tun_stack_bad(o, "--addr %s is outside --peer's subnet %s/%u",
		                     tern_ip4_to_str(o->addr, a),
		                     tern_ip4_to_str(o->peer & mask, p), o->peer_prefix);
	return 0;
}

/* ---- building the chain ------------------------------------------------------ */

int tun_stack_fail(const tun_stack *ts, const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", ts->o.prog, what, strerror(-rc));
	return 1;
}

/* With offloads unless told not to, or the kernel refuses them: then the
 * plain device, and a note why. */
static int open_device(tun_stack *ts)
{
	const tun_stack_opts *o = &ts->o;
	unsigned threads = o->io_threads ? TERN_TUN_TX_THREAD : 0;
	if (!o->no_offload) {
		int rc = tern_tun_open_flags(o->tun, &ts->cfg.allocator, TERN_TUN_OFFLOAD | threads,
		                             &ts->tun);
		if (rc == 0 || rc == TERN_EPERM || rc == -EACCES || rc == -EBUSY)
			return rc;
		fprintf(stderr, "%s: no TUN offloads (%s); plain TUN instead\n", o->prog,
		        strerror(-rc));
	}
	return tern_tun_open_flags(o->tun, &ts->cfg.allocator, threads, &ts->tun);
}

static int open_tun(tun_stack *ts)
{
	const tun_stack_opts *o = &ts->o;
	int rc = open_device(ts);
	if (rc < 0) {
		bool denied = rc == TERN_EPERM || rc == -EACCES;
		fprintf(stderr, "%s: cannot create TUN device %s: %s%s\n", o->prog, o->tun,
		        strerror(-rc), denied ? " (needs root or CAP_NET_ADMIN)" : "");
		return 1;
	}
	rc = tern_tun_configure(tern_tun_name(ts->tun), o->peer, o->peer_prefix, o->mtu);
	if (rc < 0)
		return tun_stack_fail(ts, "cannot configure the Linux side of the TUN device", rc);
	tern_tun_set_mtu(ts->tun, o->mtu);
	ts->top = ts->tun;
	return 0;
}

static int open_middleware(tun_stack *ts)
{
	tun_stack_opts *o = &ts->o;
	int rc;
	if (o->pcap) {
		if ((rc = tern_pcap_file_open(o->pcap, &ts->pcap)) < 0)
			return tun_stack_fail(ts, o->pcap, rc);
		rc = tern_pcap_tap_new(&ts->cfg.allocator, ts->top, tern_pcap_file_write, ts->pcap,
		                       tern_host_wall_base(), &ts->tap);
		if (rc < 0)
			return tun_stack_fail(ts, "cannot create the pcap tap", rc);
		ts->top = ts->tap;
	}
	if (o->faulty) {
		if (!o->seeded)
			o->fault.seed = ts->cfg.random(ts->cfg.random_ctx);
		if ((rc = tern_fault_new(&ts->cfg.allocator, ts->top, &o->fault, &ts->fault)) < 0)
			return tun_stack_fail(ts, "cannot create the fault injector", rc);
		ts->top = ts->fault;
	}
	return 0;
}

/* Corruption injected above the TUN would pass unseen by anything that
 * sums on the stack's behalf below it: the kernel finishing a partial
 * checksum, or cutting a TSO segment (whose checksum it always redoes). */
static bool corrupting(const tun_stack_opts *o)
{
	return o->faulty && o->fault.corrupt > 0;
}

/* The checksum work the TUN does for the stack (include/tern/tern.h): none
 * while corrupting; a capture keeps finished TCP checksums, so then the
 * stack computes them. */
static uint32_t csum_offload(const tun_stack *ts)
{
	const tun_stack_opts *o = &ts->o;
	if (!tern_tun_offloading(ts->tun) || corrupting(o))
		return 0;
	return TERN_CSUM_OFFLOAD_RX | (o->pcap ? 0 : TERN_CSUM_OFFLOAD_TCP_TX);
}

static int open_stack(tun_stack *ts)
{
	const tun_stack_opts *o = &ts->o;
	tern_iface_config ic = {.name = tern_tun_name(ts->tun),
	                        .addr = o->addr,
	                        .prefix = o->prefix,
	                        .mtu = o->mtu,
	                        .tso_max = tern_tun_offloading(ts->tun) && !corrupting(o) ? 65535 : 0,
	                        .csum_offload = csum_offload(ts)};
	uint32_t mask = o->prefix ? 0xffffffffu << (32 - o->prefix) : 0;
	int rc = tern_stack_new(&ts->cfg, &ts->st);
	if (rc < 0)
		return tun_stack_fail(ts, "cannot create the stack", rc);
	if (o->trace) {
		if ((rc = tern_trace_file_open(o->trace, "tern", &ts->trace)) < 0)
			return tun_stack_fail(ts, o->trace, rc);
		tern_stack_set_trace(ts->st, tern_trace_file_event, ts->trace);
	}
	if ((rc = tern_iface_add(ts->st, &ic, ts->top, &ts->ifc)) < 0)
		return tun_stack_fail(ts, "cannot add the interface", rc);
	/* A narrower --addr prefix (e.g. /32) still has to reach the peer. */
	if ((o->addr ^ o->peer) & mask &&
	    (rc = tern_route_add(ts->st, o->peer, 32, 0, ts->ifc)) < 0)
		return tun_stack_fail(ts, "cannot add the route to the peer", rc);
	return 0;
}

int tun_stack_socket_init(const tun_stack_opts *o, tern_socket *s)
{
	return o->cc ? tern_socket_set_cc(s, o->cc) : 0;
}

/* An unknown --cc is reported at start, not at the first connection:
 * a throwaway socket asks the stack whether it knows the name. */
static int check_cc(tun_stack *ts)
{
	tern_socket *s;
	int rc;
	if (!ts->o.cc)
		return 0;
	if ((rc = tern_tcp_open(ts->st, &s)) < 0)
		return tun_stack_fail(ts, "cannot open a TCP socket", rc);
	rc = tun_stack_socket_init(&ts->o, s);
	tern_socket_close(s);
	if (rc == TERN_ENOENT)
		return tun_stack_bad(
		    &ts->o, "--cc '%s': no such congestion control (cubic, newreno)", ts->o.cc);
	return rc < 0 ? tun_stack_fail(ts, "--cc", rc) : 0;
}

static int open_loop(tun_stack *ts)
{
	int rc = tern_loop_new(ts->st, ts->top, &ts->loop);
	if (rc == 0)
		rc = tern_loop_add_tun(ts->loop, ts->tun);
	return rc < 0 ? tun_stack_fail(ts, "cannot start the event loop", rc) : 0;
}

int tun_stack_open(tun_stack *ts)
{
	int rc = tern_host_config_init(&ts->cfg);
	if (rc < 0)
		return tun_stack_fail(ts, "no entropy from getrandom", rc);
	ts->cfg.tcp_no_sack = ts->o.no_sack;
	if (ts->hooks.configure)
		ts->hooks.configure(ts->hooks.ctx, &ts->cfg);
	if ((rc = open_tun(ts)) || (rc = open_middleware(ts)) || (rc = open_stack(ts)) ||
	    (rc = check_cc(ts)) || (rc = open_loop(ts)))
		return rc;
	return 0;
}

void tun_stack_print_stats(const tun_stack *ts)
{
	tern_counters c;
	tern_stack_counters(ts->st, &c);
	const uint64_t *v = (const uint64_t *)&c;
	for (size_t i = 0; i < tern_counter_count(); i++)
		if (v[i])
			fprintf(stderr, "%-24s %" PRIu64 "\n", tern_counter_name(i), v[i]);
	if (ts->hooks.print_stats)
		ts->hooks.print_stats(ts->hooks.ctx, stderr);
	tern_tun_stats ns;
	if (ts->tun)
		tern_tun_stats_get(ts->tun, &ns);
	if (ts->tun && tern_tun_offloading(ts->tun))
		fprintf(stderr,
		        "tun gso_sent %" PRIu64 " gso_received %" PRIu64 " bad_headers %" PRIu64
		        " bad_checksums %" PRIu64 "\n",
		        ns.tx_gso, ns.rx_gso, ns.rx_bad, ns.rx_bad_csum);
	if (ts->tun && ns.tx_queued)
		fprintf(stderr, "tun-writer queued %" PRIu64 " waited %" PRIu64 " dropped %" PRIu64 "\n",
		        ns.tx_queued, ns.tx_waits, ns.tx_drops);
	if (ts->fault) {
		tern_fault_stats fs;
		tern_fault_stats_get(ts->fault, &fs);
		fprintf(stderr,
		        "fault passed %" PRIu64 " lost %" PRIu64 " duplicated %" PRIu64
		        " reordered %" PRIu64 " corrupted %" PRIu64 " delayed %" PRIu64
		        " queue_drops %" PRIu64 "\n",
		        fs.passed, fs.lost, fs.duplicated, fs.reordered, fs.corrupted, fs.delayed,
		        fs.queue_drops);
	}
}

/* Reverse order of creation: the loop restores the signal mask last. */
int tun_stack_close(tun_stack *ts)
{
	int rc = 0;
	/* Everything queued to the writer thread is written before the
	 * counters are read. */
	if (ts->tun)
		tern_tun_stop_writer(ts->tun);
	if (ts->st && ts->o.stats)
		tun_stack_print_stats(ts);
	if (ts->hooks.release)
		ts->hooks.release(ts->hooks.ctx);
	tern_stack_del(ts->st);
	tern_dev_del(ts->fault);
	tern_dev_del(ts->tap);
	tern_dev_del(ts->tun);
	if (ts->pcap && (rc = tern_pcap_file_close(ts->pcap)) < 0)
		rc = tun_stack_fail(ts, ts->o.pcap, rc);
	if (ts->trace && tern_trace_file_close(ts->trace) < 0)
		rc = tun_stack_fail(ts, ts->o.trace, -EIO);
	tern_loop_del(ts->loop);
	memset(ts, 0, sizeof *ts);
	return rc;
}
