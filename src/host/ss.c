/* ss.c - the stack's TCP connection table as text, in the columns of
 * `ss -tan`, for the control socket (and any embedder that wants to print
 * it). The walk callback cannot fail or stop, so write errors are read
 * back from the FILE at the end. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "tern/host.h"

#define SS_HEADER "%-12s %-7s %-7s %-22s %s\n"
#define SS_ROW    "%-12s %-7" PRIu32 " %-7" PRIu32 " %-22s %s\n"

typedef struct ss_walk {
	FILE *f;
	unsigned flags;
} ss_walk;

/* "a.b.c.d:port", or "a.b.c.d:*" for a listener's unspecified peer. */
static const char *endpoint(const tern_endpoint *e, bool any_port, char *buf, size_t cap)
{
	char a[16];
	tern_ip4_to_str(e->addr, a);
	if (any_port)
		snprintf(buf, cap, "%s:*", a);
	else
		snprintf(buf, cap, "%s:%u", a, (unsigned)e->port);
	return buf;
}

/* ss prints milliseconds with three decimals. */
static double ms(tern_time us)
{
	return (double)us / 1000.0;
}

static void print_info(FILE *f, const tern_tcp_info *i)
{
	fprintf(f, "\t %s rtt:%.3f/%.3f rto:%.0f mss:%" PRIu32 " cwnd:%" PRIu32, i->cc, ms(i->srtt),
	        ms(i->rttvar), ms(i->rto), (uint32_t)i->smss, i->cwnd);
	if (i->ssthresh != UINT32_MAX)
		fprintf(f, " ssthresh:%" PRIu32, i->ssthresh);
	fprintf(f,
	        " retrans:%" PRIu64 " bytes_acked:%" PRIu64 " bytes_received:%" PRIu64
	        " segs_out:%" PRIu64 " segs_in:%" PRIu64 " snd_wnd:%" PRIu32 " rcv_wnd:%" PRIu32
	        "\n",
	        i->retransmits, i->bytes_acked, i->bytes_received, i->segs_out, i->segs_in,
	        i->snd_wnd, i->rcv_wnd);
}

/* Like ss: listeners and TIME-WAIT only with -a; Recv-Q is unread bytes (a
 * listener's accept queue), Send-Q bytes not yet acknowledged (a
 * listener's backlog); tern_socket_info fills them that way. */
static void row(const tern_tcp_info *i, void *ctx)
{
	ss_walk *w = ctx;
	bool listen = i->state == TERN_TCP_LISTEN;
	bool hidden = listen || i->state == TERN_TCP_TIME_WAIT;
	char l[32], r[32];
	if (hidden && !(w->flags & TERN_SS_ALL))
		return;
	fprintf(w->f, SS_ROW, tern_tcp_state_name(i->state), i->unread, i->unacked + i->unsent,
	        endpoint(&i->local, false, l, sizeof l), endpoint(&i->remote, listen, r, sizeof r));
	if ((w->flags & TERN_SS_INFO) && !hidden)
		print_info(w->f, i);
}

int tern_ss_print(tern_stack *st, unsigned flags, FILE *f)
{
	if (flags & TERN_SS_SUMMARY)
		return tern_ss_print_summary(st, f);
	ss_walk w = {.f = f, .flags = flags};
	fprintf(f, SS_HEADER, "State", "Recv-Q", "Send-Q", "Local Address:Port",
	        "Peer Address:Port");
	tern_tcp_walk(st, row, &w);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
