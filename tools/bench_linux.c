/*
 * bench_linux.c - the Linux peers: the kernel's TCP over 127.0.0.1,
 * measured in the same run as tern.
 *
 * Throughput uses two threads (a sender and a receiver, as the issue asks)
 * and charges the whole process's CPU time, which on loopback includes the
 * softirq work done on the senders' and receivers' behalf. Round trips and
 * lifecycles run both ends in one thread, as tern's do: loopback delivers
 * inside the sending system call, so each read finds its data waiting and
 * the figure is the stack's cost, not the scheduler's wake-up latency.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* ---- sockets -------------------------------------------------------------- */

static int lo_listen(int backlog, struct sockaddr_in *addr)
{
	socklen_t alen = sizeof *addr;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)addr, sizeof *addr) || listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)addr, &alen)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int lo_connect(const struct sockaddr_in *addr, bool nodelay)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)addr, sizeof *addr)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int lo_accept(int lfd, bool nodelay)
{
	int one = 1, fd = accept(lfd, NULL, NULL);

	if (fd >= 0 && nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool read_exact(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* ---- throughput ----------------------------------------------------------- */

struct lo_rx {
	int lfd;
	uint32_t chunk;
	uint64_t received;
	bench_hash hash;
	int err;
};

static void *lo_rx_main(void *arg)
{
	struct lo_rx *rx = arg;
	uint8_t *buf = malloc(rx->chunk);
	int fd = lo_accept(rx->lfd, false);

	if (!buf || fd < 0) {
		rx->err = -1;
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, buf, rx->chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rx->err = -1;
		if (n <= 0)
			break;
		bench_hash_update_timed(&rx->hash, buf, (size_t)n);
		rx->received += (uint64_t)n;
	}
	close(fd);
	free(buf);
	return NULL;
}

static bool lo_send_stream(int fd, bench_pattern *pat, uint64_t total, uint32_t chunk)
{
	while (total) {
		size_t len = total < chunk ? (size_t)total : chunk;
		const uint8_t *b = bench_pattern_next(pat, &len);

		if (!write_all(fd, b, len))
			return false;
		bench_pattern_advance(pat, len);
		total -= len;
	}
	return shutdown(fd, SHUT_WR) == 0;
}

int bench_linux_throughput(const bench_opts *o, bench_linux_stats *out)
{
	struct lo_rx rx = {.chunk = o->chunk};
	struct sockaddr_in addr;
	bench_pattern pat;
	pthread_t th;
	uint64_t want, c0, w0;
	int fd;
	bool ok;

	bench_hash_init(&rx.hash);
	if (bench_pattern_init(&pat))
		return 1;
	want = bench_pattern_hash(&pat, o->bytes);
	rx.lfd = lo_listen(1, &addr);
	if (rx.lfd < 0 || pthread_create(&th, NULL, lo_rx_main, &rx)) {
		perror("bench: linux loopback");
		bench_pattern_free(&pat);
		return 1;
	}
	c0 = bench_proc_ns();
	w0 = bench_wall_ns();
	fd = lo_connect(&addr, false);
	ok = fd >= 0 && lo_send_stream(fd, &pat, o->bytes, o->chunk);
	if (fd >= 0)
		close(fd);
	pthread_join(th, NULL);
	out->cpu_s = (double)(bench_proc_ns() - c0 - rx.hash.cpu_ns) / 1e9;
	out->wall_s = (double)(bench_wall_ns() - w0) / 1e9;
	out->value = (double)o->bytes * 8 / out->cpu_s / 1e9;
	out->hash = bench_hash_final(&rx.hash);
	close(rx.lfd);
	bench_pattern_free(&pat);
	if (!ok || rx.err || rx.received != o->bytes || out->hash != want) {
		fprintf(stderr, "bench: linux loopback transfer failed (%llu bytes, hash %s)\n",
			(unsigned long long)rx.received, out->hash == want ? "ok" : "MISMATCH");
		return 1;
	}
	return 0;
}

/* Loopback of a new network namespace up, with MTU mtu: 0 or -1. */
static int lo_up_with_mtu(uint32_t mtu)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) == 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

int bench_linux_throughput_mtu(const bench_opts *o, bench_linux_stats *out)
{
	int pfd[2], status;

	if (geteuid() != 0 || pipe(pfd))
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		/* A process of its own: its CPU time is the transfer's alone. */
		bench_linux_stats st = {0};
		int rc = unshare(CLONE_NEWNET) || lo_up_with_mtu(o->mtu) ||
			 bench_linux_throughput(o, &st);
		ssize_t n = rc ? 0 : write(pfd[1], &st, sizeof st);
		_exit(n == (ssize_t)sizeof st ? 0 : 1);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], out, sizeof *out);
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return n == (ssize_t)sizeof *out ? 0 : -1;
}

/* ---- request/response ----------------------------------------------------- */

static bool lo_round_trip(int c, int s)
{
	uint8_t b = 'q';

	return write_all(c, &b, 1) && read_exact(s, &b, 1) && write_all(s, &b, 1) &&
	       read_exact(c, &b, 1);
}

int bench_linux_rr(const bench_opts *o, bench_linux_stats *out)
{
	struct sockaddr_in addr;
	int lfd = lo_listen(1, &addr), c = -1, s = -1;
	uint64_t c0, w0, i = 0;

	if (lfd >= 0)
		c = lo_connect(&addr, true);
	if (c >= 0)
		s = lo_accept(lfd, true);
	c0 = bench_proc_ns();
	w0 = bench_wall_ns();
	while (s >= 0 && i < o->count && lo_round_trip(c, s))
		i++;
	out->cpu_s = (double)(bench_proc_ns() - c0) / 1e9;
	out->wall_s = (double)(bench_wall_ns() - w0) / 1e9;
	out->value = out->cpu_s * 1e6 / (double)o->count;
	close(s);
	close(c);
	close(lfd);
	if (i != o->count) {
		perror("bench: linux loopback round trips");
		return 1;
	}
	return 0;
}

/* ---- lifecycles ----------------------------------------------------------- */

/* Connect, one 1-byte request and response, the client closes first (so
 * TIME-WAIT is the client's, as in tern's run), the server sees EOF and
 * closes. Loopback lets a new connection reuse a port in TIME-WAIT
 * (net.ipv4.tcp_tw_reuse = 2), so the ephemeral range never runs dry. */
static bool lo_lifecycle(const struct sockaddr_in *addr, int lfd)
{
	uint8_t b = 'q';
	int c = lo_connect(addr, true), s = c >= 0 ? lo_accept(lfd, true) : -1;
	bool ok = s >= 0 && lo_round_trip(c, s);

	if (c >= 0)
		close(c);
	ok = ok && read(s, &b, 1) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

int bench_linux_connect(const bench_opts *o, bench_linux_stats *out)
{
	struct sockaddr_in addr;
	int lfd = lo_listen(128, &addr);
	uint64_t c0, w0, i = 0;

	c0 = bench_proc_ns();
	w0 = bench_wall_ns();
	while (lfd >= 0 && i < o->count && lo_lifecycle(&addr, lfd))
		i++;
	out->cpu_s = (double)(bench_proc_ns() - c0) / 1e9;
	out->wall_s = (double)(bench_wall_ns() - w0) / 1e9;
	out->value = (double)i / out->cpu_s;
	if (lfd >= 0)
		close(lfd);
	if (i != o->count) {
		fprintf(stderr, "bench: linux loopback lifecycle %llu failed: %s\n",
			(unsigned long long)i, strerror(errno));
		return 1;
	}
	return 0;
}
