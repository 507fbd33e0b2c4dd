/* loop.c - the event loop that drives one stack on Linux: epoll waits for
 * the device fds, a timerfd for the stack's next deadline, and a signalfd
 * for SIGINT/SIGTERM, so no signal handler and no global flag is needed. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "tern/host.h"

#define LOOP_MAX_FDS 8
#define LOOP_EVENTS  16
/* epoll tags for the loop's own fds; watched fds use their index. */
#define TAG_TIMER  (LOOP_MAX_FDS + 0u)
#define TAG_SIGNAL (LOOP_MAX_FDS + 1u)

typedef struct loop_fd {
	int fd;
	tern_loop_fd_fn fn;
	void *ctx;
} loop_fd;

/* A TUN device the loop reads, with the stack its bursts go to. */
typedef struct tun_reader {
	tern_stack *st;
	tern_dev *tun;
} tun_reader;

struct tern_loop {
	tern_stack *st;
	tern_dev *top;
	int ep, tfd, sfd;
	sigset_t oldmask;
	loop_fd fds[LOOP_MAX_FDS];
	unsigned nfds;
	tun_reader tuns[4];
	unsigned ntuns;
	tern_loop_hook_fn hook;
	void *hook_ctx;
	tern_time armed;  /* the timerfd's expiry, while it has not fired */
	bool stop;
};

static int watch(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int open_fds(tern_loop *l)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		return -errno;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0)
		return -errno;
	/* Block first: a signal arriving before the signalfd exists must
	 * stay pending rather than kill the process. */
	if (sigprocmask(SIG_BLOCK, &mask, &l->oldmask) < 0)
		return -errno;
	l->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sfd < 0)
		return -errno;
	int rc = watch(l->ep, l->tfd, TAG_TIMER);
	return rc < 0 ? rc : watch(l->ep, l->sfd, TAG_SIGNAL);
}

int tern_loop_new(tern_stack *st, tern_dev *top, tern_loop **out)
{
	tern_loop *l = calloc(1, sizeof *l);
	if (!l)
		return TERN_ENOMEM;
	l->st = st;
	l->top = top;
	l->ep = l->tfd = l->sfd = -1;
	l->armed = TERN_TIME_NEVER - 1;  /* nothing armed yet: arm() must call */
	sigprocmask(SIG_SETMASK, NULL, &l->oldmask);
	int rc = open_fds(l);
	if (rc < 0) {
		tern_loop_del(l);
		return rc;
	}
	*out = l;
	return 0;
}

void tern_loop_del(tern_loop *l)
{
	if (!l)
		return;
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->ep >= 0)
		close(l->ep);
	sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l);
}

int tern_loop_add_fd(tern_loop *l, int fd, tern_loop_fd_fn fn, void *ctx)
{
	if (l->nfds == LOOP_MAX_FDS)
		return TERN_ENOSPC;
	int rc = watch(l->ep, fd, l->nfds);
	if (rc < 0)
		return rc;
	l->fds[l->nfds++] = (loop_fd){fd, fn, ctx};
	return 0;
}

/* Everything the device has ready goes in as one batch, so TCP answers a
 * burst of segments with one ACK (RFC 9293 MUST-58/59). */
static int tun_readable(void *ctx, tern_time now)
{
	tun_reader *r = ctx;
	tern_stack_batch_begin(r->st);
	int rc = tern_tun_read(r->tun, now);
	tern_stack_batch_end(r->st);
	return rc < 0 ? rc : 0;
}

int tern_loop_add_tun(tern_loop *l, tern_dev *tun)
{
	if (l->ntuns == sizeof l->tuns / sizeof l->tuns[0])
		return -ENOSPC;
	tun_reader *r = &l->tuns[l->ntuns++];
	r->st = l->st;
	r->tun = tun;
	return tern_loop_add_fd(l, tern_tun_fd(tun), tun_readable, r);
}

void tern_loop_set_hook(tern_loop *l, tern_loop_hook_fn fn, void *ctx)
{
	l->hook = fn;
	l->hook_ctx = ctx;
}

void tern_loop_stop(tern_loop *l)
{
	l->stop = true;
}

static tern_time earliest(tern_time a, tern_time b)
{
	return a < b ? a : b;
}

/* Poll the device chain around the stack: the first device poll releases
 * inbound packets due now (the stack may arm timers for them), the second
 * takes the deadline of whatever the stack just sent down. Returns the
 * earliest deadline of all. */
static tern_time service(tern_loop *l, tern_time now)
{
	tern_dev_poll(l->top, now);
	tern_time next = tern_stack_poll(l->st, now);
	next = earliest(next, tern_dev_poll(l->top, now));
	if (!l->hook)
		return next;
	next = earliest(next, l->hook(l->hook_ctx, now));
	/* What the hook did can arm stack timers (a retransmission timer for
	 * what it sent) and send through the devices: their deadlines are
	 * read again here rather than in one more turn of the loop. At the
	 * same `now` the wheel fires nothing new (a timer is never armed at
	 * or before the tick it was armed in), so no callback is missed. */
	next = earliest(next, tern_stack_poll(l->st, now));
	return earliest(next, tern_dev_poll(l->top, now));
}

static int arm(tern_loop *l, tern_time deadline)
{
	/* Most turns of the loop ask for the deadline already set: setting it
	 * again would change nothing (it has not fired, or `armed` would have
	 * been reset when its expiry was read), so the system call is spared. */
	if (deadline == l->armed)
		return 0;
	struct itimerspec its = {0};
	if (deadline != TERN_TIME_NEVER) {
		its.it_value.tv_sec = (time_t)(deadline / 1000000u);
		its.it_value.tv_nsec = (long)(deadline % 1000000u) * 1000;
		/* An all-zero it_value disarms the timer instead of firing. */
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		l->armed = TERN_TIME_NEVER - 1;
		return -errno;
	}
	l->armed = deadline;
	return 0;
}

/* Returns the signal number read, 0 if none is pending. */
static int take_signal(tern_loop *l)
{
	struct signalfd_siginfo si;
	if (read(l->sfd, &si, sizeof si) != (ssize_t)sizeof si)
		return 0;
	return (int)si.ssi_signo;
}

/* Handle one batch of epoll events at `now`. Returns a signal number, a
 * negative errno from a callback, or 0 to keep going. */
static int dispatch(tern_loop *l, const struct epoll_event *evs, int n, tern_time now)
{
	int sig = 0;
	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		if (tag == TAG_SIGNAL) {
			sig = take_signal(l);
		} else if (tag == TAG_TIMER) {
			uint64_t expirations;
			/* Only clears readiness; the count does not matter. */
			(void)!read(l->tfd, &expirations, sizeof expirations);
			l->armed = TERN_TIME_NEVER - 1;  /* fired: set it again */
		} else if (tag < l->nfds) {
			int rc = l->fds[tag].fn(l->fds[tag].ctx, now);
			if (rc < 0)
				return rc;
		}
	}
	return sig;
}

int tern_loop_run(tern_loop *l)
{
	l->stop = false;
	tern_time now = tern_host_now();
	for (;;) {
		tern_time next = service(l, now);
		if (l->stop)
			return 0;
		int rc = arm(l, next);
		if (rc < 0)
			return rc;
		struct epoll_event evs[LOOP_EVENTS];
		int n = epoll_wait(l->ep, evs, LOOP_EVENTS, -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		/* One reading of the clock a wake-up: the events are handled at
		 * it, and the stack is polled at it right after (which is never
		 * early for a timer: the clock only moved on since). */
		now = tern_host_now();
		rc = dispatch(l, evs, n < 0 ? 0 : n, now);
		if (rc != 0 || l->stop)
			return rc;
	}
}
