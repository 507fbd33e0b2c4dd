/*
 * tun_relay.c - a relay between two TUN devices through tern's fault
 * injector (src/dev/fault.c): the Linux half of loss-goodput
 * (bench/linux_loss.sh). Every packet read from TUN A is transmitted down
 * the fault injector to TUN B; every packet read from TUN B travels up
 * through it to TUN A. The injector drops with probability LOSS and holds
 * each packet DELAY_MS, in both directions, from its own seeded PRNG, as
 * tern up --loss --delay does to tern's own traffic; given RATE_MBITS it is
 * also a bottleneck of that rate with a drop-tail queue of QUEUE_PKTS
 * packets (0: the injector's default) in each direction, as --rate and
 * --queue make it.
 *
 * Usage: tun_relay TUN_A TUN_B LOSS DELAY_MS SEED [RATE_MBITS QUEUE_PKTS].
 * It opens both devices,
 * prints "ready" and relays until SIGINT/SIGTERM, then prints the
 * injector's counters as one JSON line. The caller moves the devices into
 * their namespaces and configures them (bench/linux_loss.sh).
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tern/dev.h"
#include "tern/host.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A -> fault -> B: tern_dev_transmit on the injector sends down to B. */
static void from_a(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_dev_transmit(ctx, pkt, len, now);
}

/* B -> fault (up) -> A. */
static void from_fault(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_dev_transmit(ctx, pkt, len, now);
}

/* How long to wait for a packet: until the injector's next deadline, to
 * the microsecond (at 100 Mbit/s a 1500-byte packet takes 120 us, so a
 * wait rounded up to milliseconds would release the bottleneck's packets
 * in bursts), or 100 ms when nothing is held. */
static struct timespec relay_wait(tern_time now, tern_time next)
{
	tern_time us = next == TERN_TIME_NEVER ? 100000 : next <= now ? 0 : next - now;

	return (struct timespec){(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
}

static int relay(tern_dev *a, tern_dev *b, tern_dev *fault)
{
	struct pollfd pfd[2] = {{tern_tun_fd(a), POLLIN, 0}, {tern_tun_fd(b), POLLIN, 0}};

	while (!stop) {
		tern_time now = tern_host_now();
		struct timespec ts = relay_wait(now, tern_dev_poll(fault, now));

		if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR)
			return -1;
		now = tern_host_now();
		if (pfd[0].revents & POLLIN)
			tern_tun_read(a, now);
		if (pfd[1].revents & POLLIN)
			tern_tun_read(b, now);
		tern_dev_poll(fault, now);
	}
	return 0;
}

int main(int argc, char **argv)
{
	tern_config cfg;
	tern_dev *a, *b, *fault;
	tern_fault_config fc = {0};
	tern_fault_stats st;

	if (argc != 6 && argc != 8) {
		fprintf(
		    stderr,
		    "usage: tun_relay TUN_A TUN_B LOSS DELAY_MS SEED [RATE_MBITS QUEUE_PKTS]\n");
		return 2;
	}
	if (argc == 8) {
		fc.rate_bps = (uint64_t)(atof(argv[6]) * 1e6 + 0.5);
		fc.queue_pkts = (uint32_t)strtoul(argv[7], NULL, 10);
	}
	fc.loss = atof(argv[3]);
	fc.delay = (tern_time)(atof(argv[4]) * 1000);
	fc.seed = strtoull(argv[5], NULL, 10);
	if (tern_host_config_init(&cfg) || tern_tun_open(argv[1], &cfg.allocator, &a) ||
	    tern_tun_open(argv[2], &cfg.allocator, &b) ||
	    tern_fault_new(&cfg.allocator, b, &fc, &fault)) {
		fprintf(stderr, "tun_relay: cannot open the devices (root?)\n");
		return 1;
	}
	a->up = from_a;
	a->up_ctx = fault;
	fault->up = from_fault;
	fault->up_ctx = a;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	if (relay(a, b, fault))
		return 1;
	tern_fault_stats_get(fault, &st);
	printf("{\"passed\":%llu,\"lost\":%llu,\"delayed\":%llu,\"queue_drops\":%llu}\n",
	       (unsigned long long)st.passed, (unsigned long long)st.lost,
	       (unsigned long long)st.delayed, (unsigned long long)st.queue_drops);
	tern_dev_del(fault);
	tern_dev_del(a);
	tern_dev_del(b);
	return 0;
}
