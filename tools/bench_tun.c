/*
 * bench_tun.c - tun-throughput: bulk TCP between Linux's TCP and a stack
 * behind a TUN device, both directions, in network namespaces this
 * benchmark creates and always deletes (needs root; without it one
 * "skipped" line, exit 0).
 *
 * Namespace C holds the Linux client: this thread enters it for the whole
 * run, so every socket below is C's. Each stack under test runs in C too:
 *   - tern: `tern up` (this very binary) with its TUN offloads, and again
 *     with --no-offload (a plain TUN); 192.0.2.2, Linux 192.0.2.1;
 *   - lwIP: bench/lwip/lwip_tun_peer (built only when liblwip-dev is
 *     installed) on its own TUN; 198.51.100.2, Linux 198.51.100.1;
 *   - Linux: a veth pair from C to namespace S, where a thread of this
 *     process serves discard and chargen; 198.18.0.1 <-> 198.18.0.2.
 * Per run and stack: "to" = the client sends --tun-bytes of the pattern to
 * the discard port (9), shuts its side and waits for the server's FIN;
 * "from" = the client reads --tun-bytes from the chargen port (19) and
 * checks every byte against the RFC 864 stream (bench_chargen.h). The
 * figure is goodput: bytes over wall time from connect() to the FIN or the
 * last byte. Discard's bytes are checked where the server can say what it
 * got: the veth server and the lwIP peer hash them (bench_hash) and the
 * client compares with the pattern's hash; tern's discard keeps no count,
 * so tern is checked by its FIN (sent only after it read everything up to
 * the client's FIN) and by a hashed round trip of --tun-bytes / 4 through
 * its echo service on the same TUN, each run and mode.
 *
 * The raw TUN packet ceiling: a TUN with nothing behind it but this
 * process. Writing 1500-byte IPv4/UDP packets into it for one second
 * towards a UDP socket that counts them (what Linux does with a stack's
 * data), and reading for one second the 1500-byte packets a UDP socket
 * sends through it (what a stack does with Linux's data): packets/s, and
 * Gbit/s as if each packet carried 1448 bytes of TCP payload (an MSS with
 * timestamps) - the most a plain TUN lets any stack reach.
 *
 * Repeats (--repeat, default 3) are interleaved stack by stack so that
 * load from elsewhere falls on all of them; medians are reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_chargen.h"

#define TB_MAX_REP     15
#define TB_BUF         (256u * 1024u)              /* client read/write size */
#define TB_IO_TIMEOUT  20                          /* s: any one socket call */
#define TB_XFER_LIMIT  (120ull * 1000000000ull)    /* ns: any one transfer */
#define TB_RAW_NS      1000000000ull               /* ns: each ceiling run */
#define TB_MSS_TS      1448u                       /* payload of an MSS-1500 segment */
#define TB_PORT_RAW    5555

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define TERN_IP   IP4(192, 0, 2, 2)
#define LWIP_IP   IP4(198, 51, 100, 2)
#define VETH_C_IP IP4(198, 18, 0, 1)
#define VETH_S_IP IP4(198, 18, 0, 2)
#define RAW_LX_IP IP4(203, 0, 113, 1)   /* Linux's end of the raw TUN */
#define RAW_FAR_IP IP4(203, 0, 113, 2)  /* the packets' other end */

enum { CFG_OFFLOAD, CFG_PLAIN, CFG_VETH, CFG_LWIP, NCFG };
enum { DIR_TO, DIR_FROM, NDIR };

/* ---- the namespaces, deleted however the run ends ---------------------------- */

static struct {
	char ns[2][32];     /* [0] C: the Linux client and the stacks; [1] S: veth peer */
	char path[2][64];   /* /run/netns/NAME: what `ip netns del` unmounts */
	volatile pid_t kid; /* the stack process running now, 0 when none */
	int home_fd;        /* this thread's namespace before the run */
} env = {.home_fd = -1};

/* What `ip netns del` does (umount2 + unlink), and kill(): async-signal-safe,
 * so the signal handler can call it too. */
static void env_cleanup(void)
{
	if (env.kid > 0) {
		kill(env.kid, SIGKILL);
		waitpid(env.kid, NULL, 0);
		env.kid = 0;
	}
	for (int i = 0; i < 2; i++)
		if (env.path[i][0]) {
			umount2(env.path[i], MNT_DETACH);
			unlink(env.path[i]);
			env.path[i][0] = '\0';
		}
}

static void on_signal(int sig)
{
	env_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Run a shell command, its output discarded; -1 (with a message) on failure. */
static int sh(const char *fmt, ...)
{
	char cmd[512], full[560];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "%s >/dev/null 2>&1", cmd);
	if (system(full) == 0)
		return 0;
	fprintf(stderr, "tern bench: tun-throughput: '%s' failed\n", cmd);
	return -1;
}

static int enter_ns(const char *name)
{
	char p[80];
	snprintf(p, sizeof p, "/run/netns/%s", name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc;
}

/* Namespaces a killed run (SIGKILL) left behind: ternbPIDc/s of a dead PID. */
static void env_sweep(void)
{
	FILE *ls = popen("ip netns list 2>/dev/null", "r");
	char line[256];
	int pid;
	char side;

	while (ls && fgets(line, sizeof line, ls))
		if (sscanf(line, "ternb%d%c", &pid, &side) == 2 && (side == 'c' || side == 's') &&
		    pid > 0 && kill(pid, 0) && errno == ESRCH)
			sh("ip netns del ternb%d%c", pid, side);
	if (ls)
		pclose(ls);
}

static int env_setup(void)
{
	env_sweep();
	for (int i = 0; i < 2; i++) {
		snprintf(env.ns[i], sizeof env.ns[i], "ternb%d%c", (int)getpid(), "cs"[i]);
		if (sh("ip netns add %s", env.ns[i]))
			return -1;
		snprintf(env.path[i], sizeof env.path[i], "/run/netns/%s", env.ns[i]);
		if (sh("ip -n %s link set lo up", env.ns[i]) ||
		    sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		       "net.ipv6.conf.default.disable_ipv6=1", env.ns[i]))
			return -1;
	}
	/* Linux to Linux: a veth pair, MTU 1500, the kernel's default offloads. */
	if (sh("ip -n %s link add tbv0 type veth peer name tbv1 netns %s", env.ns[0], env.ns[1]) ||
	    sh("ip -n %s addr add 198.18.0.1/24 dev tbv0", env.ns[0]) ||
	    sh("ip -n %s addr add 198.18.0.2/24 dev tbv1", env.ns[1]) ||
	    sh("ip -n %s link set tbv0 up", env.ns[0]) || sh("ip -n %s link set tbv1 up", env.ns[1]))
		return -1;
	env.home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return env.home_fd < 0 || enter_ns(env.ns[0]) ? -1 : 0;
}

static void env_teardown(void)
{
	if (env.home_fd >= 0) {
		if (setns(env.home_fd, CLONE_NEWNET))
			perror("tern bench: tun-throughput: back to the home namespace");
		close(env.home_fd);
		env.home_fd = -1;
	}
	env_cleanup();
}

/* ---- the stack under test, a child process ------------------------------------ */

typedef struct tb_kid {
	pid_t pid;
	int out, err;       /* its stdout and stderr */
	char buf[2048];     /* stdout not yet consumed as lines */
	size_t len;
	uint64_t cpu_ticks; /* utime + stime at the last tb_kid_cpu() */
} tb_kid;

/* The next line of k's stdout starting with `prefix`, within `ms`. */
static int kid_line(tb_kid *k, const char *prefix, char *line, size_t cap, int ms)
{
	uint64_t end = bench_wall_ns() + (uint64_t)ms * 1000000u;

	for (;;) {
		char *nl;
		while ((nl = memchr(k->buf, '\n', k->len)) != NULL) {
			size_t n = (size_t)(nl - k->buf) + 1;
			bool hit = !strncmp(k->buf, prefix, strlen(prefix));
			if (hit)
				snprintf(line, cap, "%.*s", (int)(n - 1), k->buf);
			memmove(k->buf, k->buf + n, k->len - n);
			k->len -= n;
			if (hit)
				return 0;
		}
		uint64_t now = bench_wall_ns();
		struct pollfd p = {k->out, POLLIN, 0};
		if (now >= end || k->len == sizeof k->buf ||
		    poll(&p, 1, (int)((end - now) / 1000000u) + 1) <= 0)
			return -1;
		ssize_t r = read(k->out, k->buf + k->len, sizeof k->buf - k->len);
		if (r <= 0)
			return -1;
		k->len += (size_t)r;
	}
}

/* Start argv (in this thread's namespace, C) and wait for its "...ready" line. */
static int kid_start(tb_kid *k, char *const argv[])
{
	int po[2], pe[2];
	char line[512];

	memset(k, 0, sizeof *k);
	if (pipe2(po, O_CLOEXEC))
		return -1;
	if (pipe2(pe, O_CLOEXEC)) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	/* No signal between fork and env.kid: the handler must see the child. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	k->pid = fork();
	if (k->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* whatever ends the benchmark ends it */
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	env.kid = k->pid > 0 ? k->pid : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(po[1]);
	close(pe[1]);
	k->out = po[0];
	k->err = pe[0];
	if (k->pid < 0)
		return -1;
	if (kid_line(k, "", line, sizeof line, 10000) || !strstr(line, "ready")) {
		fprintf(stderr, "tern bench: tun-throughput: %s did not start\n", argv[0]);
		return -1;
	}
	return 0;
}

/* SIGTERM, at most 5 s to exit, then SIGKILL; its stderr into err. */
static void kid_stop(tb_kid *k, char *err, size_t cap)
{
	int status;

	if (k->pid <= 0)
		return;
	kill(k->pid, SIGTERM);
	for (int i = 0; i < 500 && waitpid(k->pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (kill(k->pid, 0) == 0) {
		kill(k->pid, SIGKILL);
		waitpid(k->pid, &status, 0);
	}
	env.kid = 0;
	k->pid = 0;
	if (err && cap) {
		ssize_t n = read(k->err, err, cap - 1);
		err[n > 0 ? n : 0] = '\0';
	}
	close(k->out);
	close(k->err);
}

/* CPU seconds the child used since the last call. */
static double kid_cpu(tb_kid *k)
{
	char p[64], b[1024];
	unsigned long ut = 0, st = 0;

	snprintf(p, sizeof p, "/proc/%d/stat", (int)k->pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(b, 1, sizeof b - 1, f);
	fclose(f);
	b[n] = '\0';
	const char *s = strrchr(b, ')');
	if (!s || sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	uint64_t t = (uint64_t)ut + st, d = t - k->cpu_ticks;
	k->cpu_ticks = t;
	return (double)d / (double)sysconf(_SC_CLK_TCK);
}

/* ---- the Linux client ------------------------------------------------------------ */

typedef struct tb_ctx {
	const bench_opts *o;
	uint64_t bytes;     /* per transfer */
	bench_pattern pat;
	uint64_t pat_hash;  /* of the first `bytes` */
	uint8_t *cg;        /* the chargen stream, BENCH_CG_CYCLE + TB_BUF bytes */
	uint8_t *buf;       /* TB_BUF */
	char why[160];      /* the first failure */
} tb_ctx;

static int fail(tb_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!c->why[0])
		vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	return -1;
}

static void set_timeouts(int fd)
{
	struct timeval tv = {TB_IO_TIMEOUT, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(ip);
	return sa;
}

static int tcp_open(tb_ctx *c, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = sin_of(ip, port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return fail(c, "socket: %s", strerror(errno));
	set_timeouts(fd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		fail(c, "connect to port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool too_long(uint64_t t0) { return bench_wall_ns() - t0 > TB_XFER_LIMIT; }

/* The pattern to the discard port; the seconds until the server's FIN. */
static int xfer_to(tb_ctx *c, uint32_t ip, double *secs)
{
	uint64_t t0 = bench_wall_ns(), left = c->bytes;
	int fd = tcp_open(c, ip, 9);

	if (fd < 0)
		return -1;
	c->pat.off = 0;
	while (left) {
		size_t len = left < TB_BUF ? (size_t)left : TB_BUF;
		const uint8_t *b = bench_pattern_next(&c->pat, &len);
		ssize_t w = send(fd, b, len, MSG_NOSIGNAL);
		if (w <= 0 || too_long(t0)) {
			close(fd);
			return fail(c, "discard: send after %llu bytes: %s",
			            (unsigned long long)(c->bytes - left), w < 0 ? strerror(errno) : "timeout");
		}
		bench_pattern_advance(&c->pat, (size_t)w);
		left -= (uint64_t)w;
	}
	shutdown(fd, SHUT_WR);
	ssize_t r = recv(fd, c->buf, TB_BUF, 0); /* discard says nothing: EOF */
	*secs = (double)(bench_wall_ns() - t0) / 1e9;
	close(fd);
	if (r != 0)
		return fail(c, "discard: %s instead of FIN", r < 0 ? strerror(errno) : "data");
	return 0;
}

/* bytes from the chargen port, each checked against the RFC 864 stream. */
static int xfer_from(tb_ctx *c, uint32_t ip, double *secs)
{
	uint64_t t0 = bench_wall_ns(), got = 0;
	size_t pos = BENCH_CG_START;
	int fd = tcp_open(c, ip, 19);

	if (fd < 0)
		return -1;
	while (got < c->bytes) {
		size_t want = c->bytes - got < TB_BUF ? (size_t)(c->bytes - got) : TB_BUF;
		ssize_t r = recv(fd, c->buf, want, 0);
		if (r <= 0 || too_long(t0)) {
			close(fd);
			return fail(c, "chargen: recv after %llu bytes: %s", (unsigned long long)got,
			            r < 0 ? strerror(errno) : r == 0 ? "EOF" : "timeout");
		}
		if (memcmp(c->buf, c->cg + pos, (size_t)r)) {
			close(fd);
			return fail(c, "chargen: a byte differs within %llu..%llu", (unsigned long long)got,
			            (unsigned long long)(got + (uint64_t)r));
		}
		pos = (pos + (size_t)r) % BENCH_CG_CYCLE;
		got += (uint64_t)r;
	}
	*secs = (double)(bench_wall_ns() - t0) / 1e9;
	close(fd);
	return 0;
}

/* n bytes of the pattern through the echo port, both ways at once; the
 * hash of what came back must be the pattern's. */
static int xfer_echo(tb_ctx *c, uint32_t ip, uint64_t n)
{
	uint64_t t0 = bench_wall_ns(), sent = 0, got = 0;
	bench_hash h;
	int fd = tcp_open(c, ip, 7);

	if (fd < 0)
		return -1;
	bench_hash_init(&h);
	c->pat.off = 0;
	while (got < n && !too_long(t0)) {
		struct pollfd p = {fd, (short)(POLLIN | (sent < n ? POLLOUT : 0)), 0};
		if (poll(&p, 1, 1000) < 0)
			break;
		if (sent < n && (p.revents & POLLOUT)) {
			size_t len = n - sent < TB_BUF ? (size_t)(n - sent) : TB_BUF;
			const uint8_t *b = bench_pattern_next(&c->pat, &len);
			ssize_t w = send(fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0) {
				bench_pattern_advance(&c->pat, (size_t)w);
				if ((sent += (uint64_t)w) == n)
					shutdown(fd, SHUT_WR);
			}
		}
		ssize_t r = recv(fd, c->buf, TB_BUF, MSG_DONTWAIT);
		if (r > 0) {
			bench_hash_update(&h, c->buf, (size_t)r);
			got += (uint64_t)r;
		} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			break;
		}
	}
	close(fd);
	if (got != n || bench_hash_final(&h) != bench_pattern_hash(&c->pat, n))
		return fail(c, "echo: %llu of %llu bytes back, hash %s", (unsigned long long)got,
		            (unsigned long long)n, got == n ? "differs" : "-");
	return 0;
}

/* ---- the Linux peer over veth: discard and chargen in namespace S -------------- */

typedef struct veth_srv {
	tb_ctx *c;
	pthread_t th;
	atomic_bool stop;
	atomic_int ready;     /* 1 listening, -1 failed */
	pthread_mutex_t mu;
	uint64_t got, hash;   /* the last discard connection's bytes and hash */
	uint64_t conns;       /* discard connections finished */
} veth_srv;

static int listen_on(uint16_t port)
{
	struct sockaddr_in sa = sin_of(VETH_S_IP, port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 4)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void veth_discard(veth_srv *v, int fd, uint8_t *buf)
{
	bench_hash h;
	ssize_t r;

	bench_hash_init(&h);
	while ((r = recv(fd, buf, TB_BUF, 0)) > 0 && !v->stop)
		bench_hash_update(&h, buf, (size_t)r);
	pthread_mutex_lock(&v->mu); /* before the FIN, which the client waits for */
	v->got = h.total;
	v->hash = bench_hash_final(&h);
	v->conns++;
	pthread_mutex_unlock(&v->mu);
}

static void veth_chargen(veth_srv *v, int fd)
{
	size_t pos = BENCH_CG_START;
	ssize_t w;

	while (!v->stop && (w = send(fd, v->c->cg + pos, TB_BUF, MSG_NOSIGNAL)) > 0)
		pos = (pos + (size_t)w) % BENCH_CG_CYCLE;
}

static void *veth_main(void *arg)
{
	veth_srv *v = arg;
	uint8_t *buf = malloc(TB_BUF);
	int l9 = -1, l19 = -1;

	if (buf && enter_ns(env.ns[1]) == 0) {
		l9 = listen_on(9);
		l19 = listen_on(19);
	}
	v->ready = l9 >= 0 && l19 >= 0 ? 1 : -1;
	while (v->ready > 0 && !v->stop) {
		struct pollfd p[2] = {{l9, POLLIN, 0}, {l19, POLLIN, 0}};
		if (poll(p, 2, 100) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			int fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			set_timeouts(fd);
			if (i == 0)
				veth_discard(v, fd, buf);
			else
				veth_chargen(v, fd);
			close(fd);
		}
	}
	if (l9 >= 0)
		close(l9);
	if (l19 >= 0)
		close(l19);
	free(buf);
	return NULL;
}

/* ---- the raw TUN packet ceiling ------------------------------------------------ */

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A 1500-byte IPv4/UDP packet from `src` to `dst`:TB_PORT_RAW (no UDP checksum). */
static void raw_packet(uint8_t *p, uint32_t src, uint32_t dst)
{
	memset(p, 0, 1500);
	p[0] = 0x45;
	p[2] = 1500 >> 8;
	p[3] = 1500 & 0xff;
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = 17;
	for (int i = 0; i < 4; i++) {
		p[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		p[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	uint16_t cs = ip_csum(p, 20);
	p[10] = (uint8_t)(cs >> 8);
	p[11] = (uint8_t)cs;
	p[20] = TB_PORT_RAW >> 8;
	p[21] = TB_PORT_RAW & 0xff;
	p[22] = TB_PORT_RAW >> 8;
	p[23] = TB_PORT_RAW & 0xff;
	p[24] = 1480 >> 8;
	p[25] = 1480 & 0xff;
}

typedef struct raw_side {
	int sock;
	atomic_bool stop;
	atomic_uint_fast64_t count;
} raw_side;

/* Count what reaches the UDP socket (the write direction). */
static void *raw_counter(void *arg)
{
	raw_side *s = arg;
	char b[2048];

	while (!s->stop) {
		struct pollfd p = {s->sock, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		while (recv(s->sock, b, sizeof b, MSG_DONTWAIT) > 0)
			s->count++;
	}
	return NULL;
}

/* Send 1472-byte datagrams through the TUN as fast as it takes them (the read
 * direction), 43 a system call with UDP GSO (UDP_SEGMENT): the kernel cuts
 * them into 1500-byte packets at the device, as it cuts TCP's GSO segments
 * for a plain TUN, so the sender's system calls are not what is measured.
 * Bounded by stop, which the reader sets after TB_RAW_NS. */
static void *raw_sender(void *arg)
{
	static char b[43 * 1472];
	raw_side *s = arg;
	int seg = 1472;
	size_t len = sizeof b;
	struct sockaddr_in to = sin_of(RAW_FAR_IP, TB_PORT_RAW);

	if (setsockopt(s->sock, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg))
		len = 1472; /* no UDP GSO: one datagram a call */
	while (!s->stop)
		if (sendto(s->sock, b, len, 0, (struct sockaddr *)&to, sizeof to) > 0)
			s->count++;
	return NULL;
}

static int raw_open_tun(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "tbr0");
	if (ioctl(fd, TUNSETIFF, &ifr) || sh("ip -n %s addr add 203.0.113.1/24 dev tbr0", env.ns[0]) ||
	    sh("ip -n %s link set tbr0 up mtu 1500", env.ns[0])) {
		close(fd);
		return -1;
	}
	return fd;
}

/* pps[0]: packets/s read from the TUN (Linux sending); pps[1]: written into
 * it and delivered to a UDP socket (Linux receiving). */
static int raw_ceiling(double pps[2])
{
	uint8_t pkt[2048];
	struct sockaddr_in here = sin_of(RAW_LX_IP, TB_PORT_RAW);
	raw_side s = {.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
	int big = 8 << 20, tun = raw_open_tun(), rc = -1;
	pthread_t th;
	uint64_t t0, n = 0;

	if (tun < 0 || s.sock < 0)
		goto out;
	setsockopt(s.sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	if (bind(s.sock, (struct sockaddr *)&here, sizeof here))
		goto out;
	/* read: what a UDP socket sends through the TUN, for TB_RAW_NS */
	if (pthread_create(&th, NULL, raw_sender, &s))
		goto out;
	t0 = bench_wall_ns();
	while (bench_wall_ns() - t0 < TB_RAW_NS) {
		struct pollfd p = {tun, POLLIN, 0};
		if (poll(&p, 1, 100) > 0 && read(tun, pkt, sizeof pkt) == 1500)
			n++;
	}
	pps[0] = (double)n / ((double)(bench_wall_ns() - t0) / 1e9);
	s.stop = true;
	pthread_join(th, NULL);
	/* write: 1500-byte packets into the TUN to the socket, for TB_RAW_NS */
	s.stop = false;
	s.count = 0;
	if (pthread_create(&th, NULL, raw_counter, &s))
		goto out;
	raw_packet(pkt, RAW_FAR_IP, RAW_LX_IP);
	t0 = bench_wall_ns();
	while (bench_wall_ns() - t0 < TB_RAW_NS)
		for (int i = 0; i < 32; i++)
			if (write(tun, pkt, 1500) != 1500)
				break;
	double secs = (double)(bench_wall_ns() - t0) / 1e9;
	usleep(20000); /* the counter drains what is queued */
	s.stop = true;
	pthread_join(th, NULL);
	pps[1] = (double)s.count / secs;
	rc = 0;
out:
	if (s.sock >= 0)
		close(s.sock);
	if (tun >= 0)
		close(tun); /* a non-persistent TUN goes with its fd */
	return rc;
}

/* ---- one run of each stack ------------------------------------------------------ */

typedef struct tb_runs {
	double gbps[NCFG][NDIR][TB_MAX_REP], cpu[NCFG][NDIR][TB_MAX_REP];
	double raw_pps[NDIR][TB_MAX_REP];
	unsigned n, lwip_n;
	uint64_t gso_sent, gso_received; /* tern's last offload run */
	bool lwip;
} tb_runs;

static double gbps_of(uint64_t bytes, double secs) { return secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0; }

/* Both directions against a server at ip; k (may be NULL) is its process. */
static int both_ways(tb_ctx *c, uint32_t ip, tb_kid *k, tb_runs *R, int cfg)
{
	double s = 0;
	unsigned i = R->n;

	if (k)
		kid_cpu(k);
	if (xfer_to(c, ip, &s))
		return -1;
	R->gbps[cfg][DIR_TO][i] = gbps_of(c->bytes, s);
	R->cpu[cfg][DIR_TO][i] = k ? kid_cpu(k) : 0;
	if (xfer_from(c, ip, &s))
		return -1;
	R->gbps[cfg][DIR_FROM][i] = gbps_of(c->bytes, s);
	R->cpu[cfg][DIR_FROM][i] = k ? kid_cpu(k) : 0;
	return 0;
}

static int run_tern(tb_ctx *c, tb_runs *R, bool offload)
{
	char self[4096], err[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	tb_kid k;

	if (n <= 0)
		return fail(c, "readlink /proc/self/exe");
	self[n] = '\0';
	char *argv[] = {self, "up", "--tun", "tbt0", "--addr", "192.0.2.2/24", "--peer",
	                "192.0.2.1/24", "--services", "discard,chargen,echo", "--stats",
	                offload ? NULL : "--no-offload", NULL};
	if (kid_start(&k, argv)) {
		kid_stop(&k, err, sizeof err);
		return fail(c, "tern up did not start: %.100s", err);
	}
	int rc = xfer_echo(c, TERN_IP, c->bytes / 4) || both_ways(c, TERN_IP, &k, R, offload ? CFG_OFFLOAD : CFG_PLAIN);
	kid_stop(&k, err, sizeof err);
	const char *g = strstr(err, "gso_sent");
	if (offload && g) {
		unsigned long long s = 0, r = 0;
		sscanf(g, "gso_sent %llu gso_received %llu", &s, &r);
		R->gso_sent = s;
		R->gso_received = r;
	}
	return rc ? -1 : 0;
}

static int run_veth(tb_ctx *c, tb_runs *R, veth_srv *v)
{
	if (both_ways(c, VETH_S_IP, NULL, R, CFG_VETH))
		return -1;
	pthread_mutex_lock(&v->mu);
	bool ok = v->got == c->bytes && v->hash == c->pat_hash;
	pthread_mutex_unlock(&v->mu);
	return ok ? 0 : fail(c, "veth discard: %llu bytes, hash %s", (unsigned long long)v->got,
	                     v->hash == c->pat_hash ? "ok" : "differs");
}

static int run_lwip(tb_ctx *c, tb_runs *R, const char *peer)
{
	char line[256], want[128];
	tb_kid k;
	char *argv[] = {(char *)peer, "tbl0", "198.51.100.2", NULL};

	if (kid_start(&k, argv) || sh("ip -n %s addr add 198.51.100.1/24 dev tbl0", env.ns[0]) ||
	    sh("ip -n %s link set tbl0 up mtu 1500", env.ns[0])) {
		kid_stop(&k, NULL, 0);
		return fail(c, "the lwIP peer did not start");
	}
	int rc = both_ways(c, LWIP_IP, &k, R, CFG_LWIP);
	/* its discard's count and hash of what it received */
	snprintf(want, sizeof want, "discard %llu %016llx", (unsigned long long)c->bytes,
	         (unsigned long long)c->pat_hash);
	if (rc == 0 && (kid_line(&k, "discard ", line, sizeof line, 2000) || strcmp(line, want)))
		rc = fail(c, "lwIP discard: '%s', want '%s'", line, want);
	kid_stop(&k, NULL, 0);
	return rc;
}

/* ---- figures ---------------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
	double s[TB_MAX_REP];
	if (!n)
		return 0;
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_dbl);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* "a/b/c": every run's figure, for the spread. */
static void runs_str(char *out, size_t cap, const double *v, unsigned n)
{
	size_t at = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < n && at < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%s%.3g", i ? "/" : "", v[i]);
}

static void report(const tb_ctx *c, const tb_runs *R, int cfg, int dir)
{
	static const char *const dname[NDIR] = {"linux-to-tern", "tern-to-linux"};
	bench_result r;
	char runs[96];
	double tern = median(R->gbps[cfg][dir], R->n), veth = median(R->gbps[CFG_VETH][dir], R->n);
	/* Linux sending: the stack reads from the TUN (pps[0]); receiving: it writes (pps[1]) */
	double raw_pps = median(R->raw_pps[dir], R->n), raw = raw_pps * TB_MSS_TS * 8 / 1e9;
	double lwip = median(R->gbps[CFG_LWIP][dir], R->lwip_n);

	memset(&r, 0, sizeof r);
	r.name = "tun-throughput";
	r.unit = "Gbit/s";
	r.tern = tern;
	if (cfg == CFG_OFFLOAD) {
		r.peer = veth;
		r.peer_name = "Linux-Linux veth";
		r.target = ">= 1 (Linux over veth); >= 5x lwIP";
		r.met = tern >= veth && (!R->lwip_n || tern >= 5 * lwip);
	} else {
		r.peer = raw;
		r.peer_name = "raw TUN ceiling";
		r.target = ">= 0.9 (of the raw TUN packet ceiling)";
		r.met = tern >= 0.9 * raw;
	}
	bench_extra_str(&r, "case", dname[dir]);
	bench_extra_str(&r, "tun", cfg == CFG_OFFLOAD ? "offload" : "plain");
	bench_extra_num(&r, "bytes", (double)c->bytes);
	bench_extra_num(&r, "runs", R->n);
	runs_str(runs, sizeof runs, R->gbps[cfg][dir], R->n);
	bench_extra_str(&r, "tern_runs", runs);
	bench_extra_num(&r, "tern_cpu_s", median(R->cpu[cfg][dir], R->n));
	bench_extra_num(&r, "veth_gbps", veth);
	bench_extra_num(&r, "veth_ratio", veth > 0 ? tern / veth : 0);
	runs_str(runs, sizeof runs, R->gbps[CFG_VETH][dir], R->n);
	bench_extra_str(&r, "veth_runs", runs);
	if (R->lwip_n) {
		bench_extra_num(&r, "lwip_gbps", lwip);
		bench_extra_num(&r, "lwip_ratio", lwip > 0 ? tern / lwip : 0);
		runs_str(runs, sizeof runs, R->gbps[CFG_LWIP][dir], R->lwip_n);
		bench_extra_str(&r, "lwip_runs", runs);
		bench_extra_num(&r, "lwip_cpu_s", median(R->cpu[CFG_LWIP][dir], R->lwip_n));
	} else {
		bench_extra_str(&r, "lwip", "not built (liblwip-dev missing)");
	}
	bench_extra_num(&r, "raw_tun_pps", raw_pps);
	bench_extra_num(&r, "raw_tun_gbps", raw);
	bench_extra_num(&r, "raw_ratio", raw > 0 ? tern / raw : 0);
	if (cfg == CFG_OFFLOAD) {
		bench_extra_num(&r, "gso_sent", (double)R->gso_sent);
		bench_extra_num(&r, "gso_received", (double)R->gso_received);
	}
	bench_extra_str(&r, "check", "ok");
	if (c->o->json) {
		bench_report(&r, true);
		return;
	}
	printf("%-15s %-13s %-8s tern %6.3f Gbit/s | veth %6.3f (x%.2f) | lwIP %6.3f (x%.2f) | "
	       "raw TUN %6.3f (%.0f pps, x%.2f) | target %s: %s\n",
	       r.name, dname[dir], cfg == CFG_OFFLOAD ? "offload" : "plain", tern, veth,
	       veth > 0 ? tern / veth : 0, lwip, lwip > 0 ? tern / lwip : 0, raw, raw_pps,
	       raw > 0 ? tern / raw : 0, r.target, r.met ? "met" : "not met");
	fflush(stdout);
}

/* The lwIP peer next to this binary (CMake builds it there when liblwip-dev
 * is installed); NULL when absent. */
static const char *lwip_peer(char *path, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", path, cap - 1);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) + 16 > cap)
		return NULL;
	strcpy(slash + 1, "lwip_tun_peer");
	return access(path, X_OK) == 0 ? path : NULL;
}

static void skipped(const bench_opts *o, const char *why)
{
	if (o->json)
		printf("{\"name\":\"tun-throughput\",\"skipped\":\"%s\"}\n", why);
	else
		printf("tun-throughput       SKIPPED: %s\n", why);
	fflush(stdout);
}

static int tb_run(tb_ctx *c, tb_runs *R, const char *lwip)
{
	veth_srv v = {.c = c};
	int rc = 0;

	pthread_mutex_init(&v.mu, NULL);
	if (pthread_create(&v.th, NULL, veth_main, &v)) {
		pthread_mutex_destroy(&v.mu);
		return fail(c, "veth server thread");
	}
	for (int i = 0; i < 200 && !v.ready; i++)
		usleep(10000);
	if (v.ready <= 0)
		rc = fail(c, "the veth server did not start");
	unsigned reps = c->o->repeat ? c->o->repeat : 3;
	for (unsigned i = 0; rc == 0 && i < reps && i < TB_MAX_REP; i++) {
		rc = run_tern(c, R, true) || run_tern(c, R, false) || run_veth(c, R, &v) ||
		     (lwip && run_lwip(c, R, lwip));
		double pps[2] = {0, 0};
		if (rc == 0 && raw_ceiling(pps))
			rc = fail(c, "the raw TUN ceiling run failed");
		if (rc)
			break;
		R->raw_pps[DIR_TO][i] = pps[0];
		R->raw_pps[DIR_FROM][i] = pps[1];
		R->lwip_n += lwip != NULL;
		R->n++;
	}
	v.stop = true;
	pthread_join(v.th, NULL);
	pthread_mutex_destroy(&v.mu);
	return rc ? -1 : 0;
}

int bench_tun_throughput(const bench_opts *o, bench_result *r)
{
	static tb_runs R;
	tb_ctx c = {.o = o, .bytes = o->tun_bytes ? o->tun_bytes : 64u << 20};
	char lpath[4096];
	const char *lwip = lwip_peer(lpath, sizeof lpath);
	struct sigaction sa = {.sa_handler = on_signal}, old[3];
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	int rc = -1;

	r->printed = true;
	if (geteuid() != 0) {
		skipped(o, "needs root (network namespaces, TUN devices)");
		return 0;
	}
	if (access("/dev/net/tun", R_OK | W_OK) || system("ip -V >/dev/null 2>&1")) {
		skipped(o, "needs /dev/net/tun and ip (iproute2)");
		return 0;
	}
	memset(&R, 0, sizeof R);
	R.lwip = lwip != NULL;
	c.cg = malloc(BENCH_CG_CYCLE + TB_BUF);
	c.buf = malloc(TB_BUF);
	if (!c.cg || !c.buf || bench_pattern_init(&c.pat)) {
		free(c.cg);
		free(c.buf);
		return 1;
	}
	bench_cg_fill(c.cg, BENCH_CG_CYCLE + TB_BUF, 0);
	c.pat_hash = bench_pattern_hash(&c.pat, c.bytes);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	if (env_setup() == 0)
		rc = tb_run(&c, &R, lwip);
	else
		fail(&c, "cannot set up the namespaces");
	env_teardown();
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (rc == 0)
		for (int cfg = CFG_OFFLOAD; cfg <= CFG_PLAIN; cfg++)
			for (int d = 0; d < NDIR; d++)
				report(&c, &R, cfg, d);
	else
		fprintf(stderr, "tern bench: tun-throughput: %s\n", c.why);
	bench_pattern_free(&c.pat);
	free(c.cg);
	free(c.buf);
	return rc ? 1 : 0;
}
