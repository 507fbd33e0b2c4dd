/* cmd_cat.c - `tern cat`: netcat over a tern stack on a TUN device.
 *
 * It connects to HOST PORT (or, with -l, accepts one connection on PORT),
 * copies stdin to the connection and the connection to stdout, half-closes
 * at the end of stdin and exits once the peer has closed too.
 *
 * stdin and stdout are driven from the host loop through an epoll set of
 * their own (watched by the loop as one fd), so each can be switched off:
 * stdin is read only when TCP takes what was read before, and the
 * connection is read only when stdout has taken what was read before. A
 * full stdout therefore stops the reads, the receive buffer fills, and
 * TCP's window closes on the sender. Regular files and /dev/null cannot be
 * watched by epoll; they are always ready, so they are simply used. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cmds.h"
#include "tun_stack.h"

#define CAT_PROG  "tern cat"
#define CAT_CHUNK 65536
/* Chunks moved each way per loop iteration, so neither direction (nor
 * the TUN device) waits long behind the other. */
#define CAT_BATCH  16

enum { OPT_LISTEN = 'l', OPT_VERBOSE = 'v', OPT_HELP = 'h', OPT_SNDBUF = 0x2000 };

static const struct option cat_long_opts[] = {
    TUN_STACK_LONG_OPTS,
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"sndbuf", required_argument, NULL, OPT_SNDBUF},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char cat_usage[] =
    "usage: tern cat --addr A/P --peer B/P [options] (-l PORT | HOST PORT)\n"
    "  netcat over tern: copies stdin to a TCP connection and the connection to\n"
    "  stdout; at the end of stdin it sends FIN, then reads until the peer's FIN\n"
    "  -l, --listen PORT accept one connection on PORT instead of connecting\n"
    "  -v, --verbose   say on stderr when listening, connected and done\n"
    "  --sndbuf BYTES  TCP send buffer, 1024..67108864, kept as given [auto-tuned:\n"
    "                  64 KiB growing with the window, up to 4 MiB]\n" TUN_STACK_USAGE
    "exit: 0 both directions done, 1 connection or I/O error, 2 bad arguments\n";

/* One direction's staging area: data[off, off + len) is waiting. */
typedef struct cat_buf {
	uint8_t *data;
	size_t off, len;
} cat_buf;

/* stdin or stdout: the fd, whether epoll can watch it, whether it is in
 * the epoll set now, and its file status flags to restore. */
typedef struct cat_fd {
	int fd;
	bool pollable, armed;
	int flags;
	uint32_t event;
} cat_fd;

typedef struct cat {
	tun_stack ts;
	bool listen, verbose;
	tern_endpoint remote; /* HOST PORT, or the peer once accepted */
	uint16_t port;        /* -l PORT */
	tern_socket *lst, *conn;
	int ep;
	cat_fd in, out;
	cat_buf tx, rx;
	uint32_t sndbuf; /* --sndbuf */
	bool established, in_eof, shut, rx_eof, done, more;
	int status; /* exit status once done */
} cat;

/* ---- arguments ----------------------------------------------------------------- */

static bool parse_port(const char *s, uint16_t *out)
{
	uint64_t v;
	if (!tun_stack_parse_u64(s, 65535, &v) || v < 1)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int cat_opt(cat *c, int opt, char **argv)
{
	tun_stack_opts *o = &c->ts.o;
	uint64_t v;
	if (opt >= TUN_OPT_BASE && opt < TUN_OPT_END)
		return tun_stack_opt(o, opt, optarg);
	switch (opt) {
	case OPT_LISTEN:
		c->listen = true;
		if (!parse_port(optarg, &c->port))
			return tun_stack_bad(o, "-l '%s': expected a port 1..65535", optarg);
		return 0;
	case OPT_VERBOSE:
		c->verbose = true;
		return 0;
	case OPT_SNDBUF:
		if (!tun_stack_parse_u64(optarg, 64u << 20, &v) || v < 1024)
			return tun_stack_bad(o, "--sndbuf '%s': expected bytes 1024..67108864",
			                     optarg);
		c->sndbuf = (uint32_t)v;
		return 0;
	case ':':
		return tun_stack_bad(o, "option '%s' needs a value", argv[optind - 1]);
	default:
		if (optopt > 0 && optopt < 128)
			return tun_stack_bad(o, "unknown option '-%c' (try 'tern cat --help')",
			                     optopt);
		return tun_stack_bad(o, "unknown option '%s' (try 'tern cat --help')",
		                     argv[optind - 1]);
	}
}

static int cat_target(cat *c, int n, char **args)
{
	tun_stack_opts *o = &c->ts.o;
	uint8_t prefix;
	if (c->listen)
		return n ? tun_stack_bad(o, "-l takes no HOST PORT ('%s')", args[0]) : 0;
	if (n != 2)
		return tun_stack_bad(o, "expected HOST PORT or -l PORT (try 'tern cat --help')");
	if (tern_ip4_from_str(args[0], &c->remote.addr, &prefix) < 0 || prefix != 32 ||
	    c->remote.addr == 0)
		return tun_stack_bad(o, "HOST '%s': expected an address A.B.C.D", args[0]);
	if (!parse_port(args[1], &c->remote.port))
		return tun_stack_bad(o, "PORT '%s': expected 1..65535", args[1]);
	return 0;
}

/* Returns 0, 2 for invalid arguments, or -1 after --help (exit 0). */
static int cat_parse(cat *c, int argc, char **argv)
{
	int opt, rc;
	tun_stack_opts_init(&c->ts.o, CAT_PROG);
	c->sndbuf = 0;  /* send-buffer auto-tuning */
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":l:vh", cat_long_opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(cat_usage, stdout);
			return -1;
		}
		if ((rc = cat_opt(c, opt, argv)) != 0)
			return rc;
	}
	if ((rc = cat_target(c, argc - optind, argv + optind)) != 0)
		return rc;
	return tun_stack_check(&c->ts.o);
}

/* ---- stdin and stdout ------------------------------------------------------------ */

/* epoll refuses regular files and some character devices (EPERM); those
 * never block, so they are used as they are. Others become non-blocking
 * until cat_fd_restore. */
static int cat_fd_init(cat *c, cat_fd *f, int fd, uint32_t event)
{
	struct epoll_event ev = {.events = event, .data.fd = fd};
	f->fd = fd;
	f->event = event;
	f->flags = fcntl(fd, F_GETFL);
	if (f->flags < 0)
		return -errno;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return errno == EPERM ? 0 : -errno;
	epoll_ctl(c->ep, EPOLL_CTL_DEL, fd, NULL);
	f->pollable = true;
	if (fcntl(fd, F_SETFL, f->flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void cat_fd_restore(cat_fd *f)
{
	if (f->pollable)
		fcntl(f->fd, F_SETFL, f->flags);
}

/* Watch the fd only while there is something to do with it: a level-
 * triggered fd left in the set while unwanted would spin the loop. */
static void cat_fd_want(cat *c, cat_fd *f, bool want)
{
	struct epoll_event ev = {.events = f->event, .data.fd = f->fd};
	if (!f->pollable || want == f->armed)
		return;
	if (epoll_ctl(c->ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, f->fd, &ev) == 0)
		f->armed = want;
}

/* The loop only says the set is ready; the hook, which runs after every
 * dispatch, does the work (the set is level-triggered, so nothing needs
 * collecting here). */
static int cat_io_ready(void *ctx, tern_time now)
{
	(void)ctx;
	(void)now;
	return 0;
}

/* ---- outcome ----------------------------------------------------------------------- */

/* "connection refused" from "ECONNREFUSED: connection refused". */
static const char *err_text(int err)
{
	const char *s = tern_strerror(err), *colon = strstr(s, ": ");
	return colon ? colon + 2 : s;
}

static void cat_finish(cat *c, int status)
{
	c->done = true;
	c->status = status;
	if (c->verbose && status == 0)
		fprintf(stderr, CAT_PROG ": done\n");
}

static void conn_failed(cat *c, const char *what, int err)
{
	char a[16];
	fprintf(stderr, CAT_PROG ": %s%s%s:%u: %s\n", what, *what ? " " : "",
	        tern_ip4_to_str(c->remote.addr, a), c->remote.port, err_text(err));
	cat_finish(c, 1);
}

static void io_failed(cat *c, const char *what, int err)
{
	fprintf(stderr, CAT_PROG ": %s: %s\n", what, strerror(err));
	cat_finish(c, 1);
}

/* ---- the connection ---------------------------------------------------------------- */

static int cat_start(cat *c)
{
	tern_stack *st = c->ts.st;
	tern_endpoint local = {0, c->port};
	tern_socket **s = c->listen ? &c->lst : &c->conn;
	int rc = tern_tcp_open(st, s);
	if (rc == 0 && c->sndbuf)
		rc = tern_socket_setopt(*s, TERN_SO_SNDBUF, (int)c->sndbuf);
	if (rc == 0)
		rc = tun_stack_socket_init(&c->ts.o, *s);
	if (rc < 0)
		return rc;
	if (c->listen) {
		if ((rc = tern_socket_bind(c->lst, &local)) < 0 ||
		    (rc = tern_socket_listen(c->lst, 1)) < 0)
			return rc;
		if (c->verbose)
			fprintf(stderr, CAT_PROG ": listening on port %u\n", c->port);
		return 0;
	}
	rc = tern_socket_connect(c->conn, &c->remote);
	return rc == TERN_EINPROGRESS ? 0 : rc;
}

/* One connection is all -l serves; closing the listener at once makes
 * further SYNs meet a reset rather than a queue nobody reads. */
static void cat_accept(cat *c)
{
	if (tern_socket_accept(c->lst, &c->conn, &c->remote) < 0)
		return;
	tern_socket_close(c->lst);
	c->lst = NULL;
}

/* Waits for the handshake; reports a refused or timed-out connect. */
static void cat_check_open(cat *c)
{
	char a[16];
	int err = 0;
	unsigned ev = tern_socket_events(c->conn);
	if (ev & TERN_EV_ERROR) {
		tern_socket_getopt(c->conn, TERN_SO_ERROR, &err);
		conn_failed(c, c->listen ? "" : "connect", err ? err : TERN_ECONNABORTED);
		return;
	}
	tern_tcp_info ti;
	tern_socket_info(c->conn, &ti);
	if (ti.state < TERN_TCP_ESTABLISHED)
		return;
	c->established = true;
	if (c->verbose)
		fprintf(stderr, CAT_PROG ": connected %s %s:%u\n", c->listen ? "from" : "to",
		        tern_ip4_to_str(c->remote.addr, a), c->remote.port);
}

/* Refill tx from stdin when it is empty; returns false when stdin has
 * nothing now (or failed). */
static bool tx_fill(cat *c)
{
	ssize_t n = read(c->in.fd, c->tx.data, CAT_CHUNK);
	if (n > 0) {
		c->tx.off = 0;
		c->tx.len = (size_t)n;
		return true;
	}
	if (n == 0)
		c->in_eof = true;
	else if (errno != EAGAIN && errno != EINTR)
		io_failed(c, "stdin", errno);
	return false;
}

/* stdin -> connection, then FIN once stdin ended and all was taken. */
static void pump_tx(cat *c)
{
	for (int i = 0; i < CAT_BATCH && !c->done; i++) {
		if (!c->tx.len && (c->in_eof || !tx_fill(c)))
			break;
		int k = tern_socket_send(c->conn, c->tx.data + c->tx.off, c->tx.len, 0);
		if (k == TERN_EAGAIN)
			return;
		if (k < 0) {
			conn_failed(c, "send to", k);
			return;
		}
		c->tx.off += (size_t)k;
		c->tx.len -= (size_t)k;
		if (c->tx.len)
			return; /* the send buffer is full */
	}
	/* epoll wakes us for a pollable stdin; any other is always ready */
	c->more |= !c->in.pollable && !c->in_eof && !c->tx.len && !c->done;
	if (c->in_eof && !c->tx.len && !c->shut && !c->done) {
		c->shut = true;
		tern_socket_shutdown(c->conn, TERN_SHUT_WR);
	}
}

/* Write what rx holds; returns true once it is empty. */
static bool rx_flush(cat *c)
{
	while (c->rx.len) {
		ssize_t n = write(c->out.fd, c->rx.data + c->rx.off, c->rx.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				io_failed(c, "stdout", errno);
			return false;
		}
		c->rx.off += (size_t)n;
		c->rx.len -= (size_t)n;
	}
	return true;
}

/* connection -> stdout, reading only what stdout can take now. */
static void pump_rx(cat *c)
{
	for (int i = 0; i < CAT_BATCH && !c->done; i++) {
		if (!rx_flush(c) || c->rx_eof)
			return;
		int k = tern_socket_recv(c->conn, c->rx.data, CAT_CHUNK, 0);
		if (k == TERN_EAGAIN)
			return;
		if (k < 0) {
			conn_failed(c, "receive from", k);
			return;
		}
		if (k == 0)
			c->rx_eof = true;
		c->rx.off = 0;
		c->rx.len = (size_t)k;
	}
	c->more |= !c->done;
}

/* Our side is done once the FIN we sent is acknowledged: FIN-WAIT-2,
 * TIME-WAIT, or CLOSED (from LAST-ACK) without an error. */
static void check_done(cat *c)
{
	tern_tcp_info ti;
	int err = 0;
	tern_socket_info(c->conn, &ti);
	if (ti.state == TERN_TCP_CLOSED) {
		tern_socket_getopt(c->conn, TERN_SO_ERROR, &err);
		if (err) {
			conn_failed(c, "", err);
			return;
		}
	}
	bool fin_acked = ti.state == TERN_TCP_FIN_WAIT_2 || ti.state == TERN_TCP_TIME_WAIT ||
	                 ti.state == TERN_TCP_CLOSED;
	if (c->shut && fin_acked && c->rx_eof && !c->rx.len)
		cat_finish(c, 0);
}

/* ---- the loop hook ----------------------------------------------------------------- */

static void cat_step(cat *c)
{
	if (c->lst && !c->conn)
		cat_accept(c);
	if (!c->conn)
		return;
	if (!c->established)
		cat_check_open(c);
	if (!c->established || c->done)
		return;
	pump_tx(c);
	pump_rx(c);
	if (!c->done)
		check_done(c);
}

/* After the end, wait only for packets a device still holds (the fault
 * injector's delay), so the last ACK is not lost with the process. */
static tern_time cat_linger(cat *c, tern_time now)
{
	tern_time next = tern_dev_poll(c->ts.top, now);
	if (next == TERN_TIME_NEVER)
		tern_loop_stop(c->ts.loop);
	return next;
}

static tern_time cat_hook(void *ctx, tern_time now)
{
	cat *c = ctx;
	c->more = false;
	if (!c->done)
		cat_step(c);
	if (c->done)
		return cat_linger(c, now);
	bool open = c->established;
	cat_fd_want(c, &c->in, open && !c->in_eof && !c->tx.len);
	cat_fd_want(c, &c->out, open && c->rx.len > 0);
	/* A batch cut short, or an unpollable stdin, goes on at once. */
	return c->more ? now : TERN_TIME_NEVER;
}

/* ---- setup and teardown -------------------------------------------------------------- */

static int cat_io_open(cat *c)
{
	int rc;
	c->tx.data = malloc(CAT_CHUNK);
	c->rx.data = malloc(CAT_CHUNK);
	if (!c->tx.data || !c->rx.data)
		return -ENOMEM;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0)
		return -errno;
	if ((rc = cat_fd_init(c, &c->in, STDIN_FILENO, EPOLLIN)) < 0 ||
	    (rc = cat_fd_init(c, &c->out, STDOUT_FILENO, EPOLLOUT)) < 0)
		return rc;
	return tern_loop_add_fd(c->ts.loop, c->ep, cat_io_ready, c);
}

/* A connection still open at exit is reset, so the peer is not left
 * waiting for a FIN that will never come. */
static int cat_close(cat *c)
{
	if (c->conn && c->status != 0)
		tern_socket_abort(c->conn);
	else if (c->conn)
		tern_socket_close(c->conn);
	if (c->lst)
		tern_socket_close(c->lst);
	/* The stack is polled once more so the RST leaves before it goes. */
	if (c->ts.st)
		tern_stack_poll(c->ts.st, tern_host_now());
	cat_fd_restore(&c->in);
	cat_fd_restore(&c->out);
	if (c->ep >= 0)
		close(c->ep);
	free(c->tx.data);
	free(c->rx.data);
	return tun_stack_close(&c->ts);
}

static int cat_run(cat *c)
{
	int rc;
	if ((rc = tun_stack_open(&c->ts)) != 0)
		return rc;
	if ((rc = cat_io_open(c)) < 0) {
		io_failed(c, "stdin/stdout", -rc);
		return 1;
	}
	/* Socket calls act at the stack's last poll time: bring it to now, or
	 * the SYN would carry the time the stack was created (0) and its
	 * retransmission timer would fire at the loop's first poll. */
	tern_stack_poll(c->ts.st, tern_host_now());
	if ((rc = cat_start(c)) < 0) {
		if (c->listen)
			fprintf(stderr, CAT_PROG ": listen on port %u: %s\n", c->port,
			        err_text(rc));
		else
			conn_failed(c, "connect", rc);
		return 1;
	}
	tern_loop_set_hook(c->ts.loop, cat_hook, c);
	rc = tern_loop_run(c->ts.loop);
	if (rc > 0)
		fprintf(stderr, CAT_PROG ": interrupted by %s\n", strsignal(rc));
	else if (rc < 0)
		fprintf(stderr, CAT_PROG ": event loop: %s\n", strerror(-rc));
	return rc ? 1 : c->status;
}

int tern_cmd_cat(int argc, char **argv)
{
	cat *c = calloc(1, sizeof *c);
	sigset_t stop, old;
	struct sigaction ign = {.sa_handler = SIG_IGN}, oldpipe;
	if (!c) {
		fprintf(stderr, CAT_PROG ": out of memory\n");
		return 1;
	}
	c->ep = -1;
	int rc = cat_parse(c, argc, argv);
	if (rc) {
		free(c);
		return rc < 0 ? 0 : rc;
	}
	/* Held pending until the loop's signalfd reads them, so a signal
	 * during setup cannot skip removing the device. A closed stdout must
	 * give EPIPE, not kill the process. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	sigaction(SIGPIPE, &ign, &oldpipe);
	rc = cat_run(c);
	c->status = rc;
	int crc = cat_close(c);
	sigaction(SIGPIPE, &oldpipe, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(c);
	return rc ? rc : crc;
}
