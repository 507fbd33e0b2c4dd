/* demo_tcp.c - the TCP phase of `tern demo`.
 *
 * A connects to B and sends the number of bytes asked for, a generated pattern, then
 * half-closes; B hashes what it reads and, at the end of the stream,
 * closes too. The applications act on a 1 ms tick of virtual time. What
 * is narrated comes from three places: a capture on A (exact times of
 * SYN, SYN-ACK, ACK and FINs, as A sends and receives them), socket
 * callbacks (each state change, at the virtual time it happens), and
 * tern_tcp_walk on A's stack (the TIME-WAIT record that outlives the
 * connection, listed just before 2*MSL and gone just after). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_tcp.h"

#define DT_CHUNK  16384u
#define DT_TICK   TERN_MS(1)
#define DT_LIMIT  TERN_SEC(120)
#define DT_STATES 12
#define DT_NEVER  TERN_TIME_NEVER

/* TCP header flags (RFC 9293 3.1). */
#define F_FIN 0x01u
#define F_SYN 0x02u
#define F_ACK 0x10u

/* A connection's states in the order it entered them. */
typedef struct state_log {
	int state[DT_STATES];
	tern_time at[DT_STATES];
	unsigned n;
} state_log;

/* First times of the control segments, seen from A. */
typedef struct seg_log {
	tern_time syn, synack, ack, fin_a, fin_b, ack_fin_b;
	unsigned syns, fins_a, fins_b;
} seg_log;

/* Reassembles the capture stream into whole records whatever pieces the
 * writer is handed: the 24-byte file header, then 16-byte record headers
 * each followed by its packet. */
typedef struct cap_parser {
	bool file_header;
	size_t have;
	uint8_t buf[16 + 65536];
} cap_parser;

struct demo_tcp {
	tern_sim *sim;
	tern_sim_host *a, *b;
	uint16_t port;
	size_t size;       /* bytes A sends */
	bool progress;     /* draw the progress bar on stdout */
	bool tty;          /* ... redrawn in place */
	unsigned shown;    /* quarters of the transfer already reported (no tty) */
	tern_socket *lst, *cli, *srv;
	tern_time t0, b_ready, last_byte, tw_listed, tw_gone;
	size_t sent, got;
	uint64_t hash_sent, hash_got;
	bool shut_a, eof_b, done;
	state_log sa, sb;
	seg_log seg;
	tern_tcp_info info; /* A's connection as it entered TIME-WAIT */
	tern_counters ca;   /* A's counters then */
	uint8_t chunk[DT_CHUNK];
	cap_parser cap;
};

/* ---- the file: a generated pattern and its hash ----------------------------------- */

static void pattern_fill(uint8_t *p, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t x = (uint32_t)(off + i) * 2654435761u;
		p[i] = (uint8_t)(x >> 24 ^ x >> 11);
	}
}

static uint64_t fnv1a_update(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325u

static uint64_t pattern_hash(uint8_t *scratch, size_t size)
{
	uint64_t h = FNV_BASIS;
	for (size_t off = 0; off < size; off += DT_CHUNK) {
		size_t n = size - off < DT_CHUNK ? size - off : DT_CHUNK;
		pattern_fill(scratch, off, n);
		h = fnv1a_update(h, scratch, n);
	}
	return h;
}

/* ---- the capture on A: control segments ------------------------------------------- */

static uint32_t get_be(const uint8_t *p, int n)
{
	uint32_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void first(tern_time *slot, tern_time t)
{
	if (*slot == DT_NEVER)
		*slot = t;
}

/* One TCP segment of the demo's connection: out is true when A sent it. */
static void seg_note(seg_log *s, tern_time t, bool out, unsigned flags)
{
	if (out && (flags & F_SYN)) {
		s->syns++;
		first(&s->syn, t);
	} else if (!out && (flags & F_SYN)) {
		first(&s->synack, t);
	} else if (out && s->synack != DT_NEVER && (flags & F_ACK)) {
		first(&s->ack, t);
	}
	if (flags & F_FIN) {
		(out ? s->fins_a++ : s->fins_b++);
		first(out ? &s->fin_a : &s->fin_b, t);
	} else if (out && s->fin_b != DT_NEVER && (flags & F_ACK)) {
		first(&s->ack_fin_b, t);
	}
}

/* An IPv4 packet from the capture; only TCP to or from the demo port counts
 * (the phase's connection is the only one). */
static void pkt_note(demo_tcp *t, tern_time ts, const uint8_t *p, size_t len)
{
	if (len < 20 || p[0] >> 4 != 4 || p[9] != 6)
		return;
	size_t ihl = (size_t)(p[0] & 15u) * 4;
	if (ihl < 20 || len < ihl + 20)
		return;
	const uint8_t *tcp = p + ihl;
	if (get_be(tcp, 2) != t->port && get_be(tcp + 2, 2) != t->port)
		return;
	bool out = get_be(p + 12, 4) == tern_sim_host_addr(t->a);
	seg_note(&t->seg, ts, out, tcp[13]);
}

static size_t cap_need(const cap_parser *c)
{
	if (!c->file_header)
		return 24;
	if (c->have < 16)
		return 16;
	size_t incl = get_le32(c->buf + 8);
	return 16 + (incl < 65536 ? incl : 65536);
}

static void cap_done(demo_tcp *t)
{
	cap_parser *c = &t->cap;
	if (!c->file_header) {
		c->file_header = true;
	} else {
		tern_time ts = (tern_time)get_le32(c->buf) * 1000000u + get_le32(c->buf + 4);
		pkt_note(t, ts, c->buf + 16, c->have - 16);
	}
	c->have = 0;
}

static int cap_write(void *ctx, const void *buf, size_t len)
{
	demo_tcp *t = ctx;
	cap_parser *c = &t->cap;
	const uint8_t *p = buf;
	while (len) {
		size_t want = cap_need(c) - c->have;
		size_t take = want < len ? want : len;
		memcpy(c->buf + c->have, p, take);
		c->have += take;
		p += take;
		len -= take;
		if (c->have == cap_need(c))
			cap_done(t);
	}
	return 0;
}

/* ---- states, from socket callbacks ---------------------------------------------------- */

static int last_state(const state_log *l)
{
	return l->n ? l->state[l->n - 1] : -1;
}

static void state_note(state_log *l, int state, tern_time at)
{
	if (state == last_state(l) || l->n == DT_STATES)
		return;
	l->state[l->n] = state;
	l->at[l->n++] = at;
}

static void log_socket(demo_tcp *t, tern_socket *s)
{
	tern_tcp_info ti;
	if (tern_socket_info(s, &ti) == 0)
		state_note(s == t->cli ? &t->sa : &t->sb, ti.state, tern_sim_now(t->sim));
}

/* Runs inside the stack: it only looks. The listener's callback says a
 * connection is ready to accept, i.e. B's side is ESTABLISHED. */
static void on_socket(tern_socket *s, unsigned events, void *ctx)
{
	demo_tcp *t = ctx;
	if (s != t->lst)
		log_socket(t, s);
	else if ((events & TERN_EV_READABLE) && t->b_ready == DT_NEVER)
		t->b_ready = tern_sim_now(t->sim);
	if (s == t->cli && last_state(&t->sa) == TERN_TCP_TIME_WAIT && !t->info.segs_out) {
		tern_socket_info(s, &t->info);
		tern_stack_counters(tern_sim_host_stack(t->a), &t->ca);
	}
}

/* ---- the applications, every tick ------------------------------------------------------- */

static void a_send(demo_tcp *t)
{
	int st = last_state(&t->sa);
	if (st != TERN_TCP_ESTABLISHED && st != TERN_TCP_CLOSE_WAIT)
		return;
	while (t->sent < t->size) {
		size_t n = t->size - t->sent < DT_CHUNK ? t->size - t->sent : DT_CHUNK;
		pattern_fill(t->chunk, t->sent, n);
		int k = tern_socket_send(t->cli, t->chunk, n, 0);
		if (k <= 0)
			return;
		t->sent += (size_t)k;
	}
	if (!t->shut_a) {
		t->shut_a = true;
		tern_socket_shutdown(t->cli, TERN_SHUT_WR);
	}
}

static void b_recv(demo_tcp *t)
{
	int k;
	if (!t->srv && tern_socket_accept(t->lst, &t->srv, NULL) == 0) {
		tern_socket_set_callback(t->srv, on_socket, t);
		log_socket(t, t->srv);
	}
	if (!t->srv || t->eof_b)
		return;
	while ((k = tern_socket_recv(t->srv, t->chunk, DT_CHUNK, 0)) > 0) {
		t->hash_got = fnv1a_update(t->hash_got, t->chunk, (size_t)k);
		t->got += (size_t)k;
		if (t->got == t->size)
			t->last_byte = tern_sim_now(t->sim);
	}
	if (k == 0) {
		t->eof_b = true;
		tern_socket_shutdown(t->srv, TERN_SHUT_WR);
	}
}

static void tick(tern_sim *sim, void *ctx)
{
	demo_tcp *t = ctx;
	b_recv(t);
	a_send(t);
	int sa = last_state(&t->sa), sb = last_state(&t->sb);
	if ((sa == TERN_TCP_TIME_WAIT || sa == TERN_TCP_CLOSED) && sb == TERN_TCP_CLOSED) {
		t->done = true;
		return;
	}
	if (tern_sim_now(sim) - t->t0 < DT_LIMIT)
		tern_sim_at(sim, tern_sim_now(sim) + DT_TICK, tick, t);
}

/* ---- the progress bar ----------------------------------------------------------------------- */

/* One line: a bar, bytes, goodput so far, A's cwnd and retransmissions.
 * On a terminal it is redrawn in place; elsewhere a line per quarter. */
static void progress(demo_tcp *t)
{
	if (!t->progress || !t->cli)
		return;
	tern_tcp_info i;
	if (tern_socket_info(t->cli, &i) < 0)
		return;
	unsigned quarter = (unsigned)(4 * t->got / (t->size ? t->size : 1));
	if (!t->tty && (quarter == t->shown || quarter == 0))
		return;
	t->shown = quarter;
	char bar[41];
	size_t fill = 40 * t->got / (t->size ? t->size : 1);
	for (size_t k = 0; k < 40; k++)
		bar[k] = k < fill ? '#' : '.';
	bar[40] = 0;
	double secs = (double)(tern_sim_now(t->sim) - t->t0) / 1e6;
	printf("%s  [%s] %5.1f/%.1f MB %6.2f Mbit/s  cwnd %4u KB  rtx %" PRIu64 "%s",
	       t->tty ? "\r" : "", bar, (double)t->got / 1e6, (double)t->size / 1e6,
	       secs > 0 ? (double)t->got * 8 / secs / 1e6 : 0.0, i.cwnd / 1024, i.retransmits,
	       t->tty ? "" : "\n");
	fflush(stdout);
}

static void progress_end(demo_tcp *t)
{
	if (t->progress && t->tty)
		printf("\n");
}

/* ---- the run ------------------------------------------------------------------------------ */

static int open_sockets(demo_tcp *t)
{
	tern_endpoint any = {0, t->port}, dst = {tern_sim_host_addr(t->b), t->port};
	int rc;
	if ((rc = tern_tcp_open(tern_sim_host_stack(t->b), &t->lst)) < 0 ||
	    (rc = tern_socket_bind(t->lst, &any)) < 0 || (rc = tern_socket_listen(t->lst, 1)) < 0 ||
	    (rc = tern_tcp_open(tern_sim_host_stack(t->a), &t->cli)) < 0)
		return rc;
	tern_socket_set_callback(t->lst, on_socket, t);
	tern_socket_set_callback(t->cli, on_socket, t);
	rc = tern_socket_connect(t->cli, &dst);
	if (rc != TERN_EINPROGRESS)
		return rc < 0 ? rc : TERN_EPROTO;
	log_socket(t, t->cli); /* SYN-SENT: connect sets it without a callback */
	return 0;
}

typedef struct tw_find {
	tern_endpoint local, remote;
	bool found;
} tw_find;

static void tw_match(const tern_tcp_info *ti, void *ctx)
{
	tw_find *f = ctx;
	if (ti->state == TERN_TCP_TIME_WAIT && ti->local.port == f->local.port &&
	    ti->remote.port == f->remote.port && ti->remote.addr == f->remote.addr)
		f->found = true;
}

static bool tw_listed(demo_tcp *t)
{
	tw_find f = {.local = t->info.local, .remote = t->info.remote};
	tern_tcp_walk(tern_sim_host_stack(t->a), tw_match, &f);
	return f.found;
}

static tern_time state_time(const state_log *l, int state)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->state[i] == state)
			return l->at[i];
	return DT_NEVER;
}

/* The sockets go (A's TCB with them); the record alone keeps the
 * 4-tuple. Look just before 2*MSL is up, then each millisecond after. */
static int watch_time_wait(demo_tcp *t)
{
	tern_time entered = state_time(&t->sa, TERN_TCP_TIME_WAIT);
	int rc = 0;
	tern_socket_close(t->cli);
	tern_socket_close(t->srv);
	tern_socket_close(t->lst);
	t->cli = t->srv = t->lst = NULL;
	if (entered == DT_NEVER)
		return 0;
	rc = tern_sim_run_until(t->sim, entered + 2 * DEMO_TCP_MSL - DT_TICK);
	if (rc == 0 && tw_listed(t))
		t->tw_listed = tern_sim_now(t->sim);
	for (int i = 0; rc == 0 && i < 1000; i++) {
		rc = tern_sim_run_for(t->sim, DT_TICK);
		if (rc == 0 && !tw_listed(t)) {
			t->tw_gone = tern_sim_now(t->sim);
			break;
		}
	}
	return rc;
}

int demo_tcp_run(tern_sim *sim, tern_sim_host *a, tern_sim_host *b, const demo_tcp_opts *o,
		 demo_tcp **out)
{
	demo_tcp *t = calloc(1, sizeof *t);
	int rc;
	if (!t)
		return TERN_ENOMEM;
	*out = t;
	*t = (demo_tcp){.sim = sim, .a = a, .b = b, .port = o->port, .size = o->size,
			.progress = o->progress, .tty = o->tty, .t0 = tern_sim_now(sim)};
	t->b_ready = t->last_byte = t->tw_listed = t->tw_gone = DT_NEVER;
	t->seg = (seg_log){DT_NEVER, DT_NEVER, DT_NEVER, DT_NEVER, DT_NEVER, DT_NEVER, 0, 0, 0};
	t->hash_got = FNV_BASIS;
	t->hash_sent = pattern_hash(t->chunk, t->size);
	if ((rc = tern_sim_capture_host(a, cap_write, t)) < 0 || (rc = open_sockets(t)) < 0 ||
	    (rc = tern_sim_at(sim, t->t0, tick, t)) < 0)
		return rc;
	while (rc == 0 && !t->done && tern_sim_now(sim) - t->t0 <= DT_LIMIT) {
		rc = tern_sim_run_for(sim, TERN_MS(100));
		progress(t);
	}
	progress_end(t);
	if (rc == 0 && !t->info.segs_out)
		tern_socket_info(t->cli, &t->info); /* it never reached TIME-WAIT */
	if (rc == 0 && t->done)
		rc = watch_time_wait(t);
	return rc;
}

bool demo_tcp_ok(const demo_tcp *t)
{
	return t->done && t->got == t->size && t->hash_got == t->hash_sent;
}

void demo_tcp_del(demo_tcp *t)
{
	free(t);
}

/* ---- the report ---------------------------------------------------------------------------- */

/* Milliseconds since the phase began, or "-" for what never happened. */
static const char *ms(const demo_tcp *t, tern_time at, char *buf)
{
	if (at == DT_NEVER)
		return strcpy(buf, "-");
	snprintf(buf, 24, "%.1f", (double)(at - t->t0) / 1000.0);
	return buf;
}

static const char *times(unsigned n, char *buf)
{
	if (n <= 1)
		return strcpy(buf, "");
	snprintf(buf, 24, " (sent %ux)", n);
	return buf;
}

static void report_open(const demo_tcp *t)
{
	char m[4][24], x[24];
	printf("  open:      SYN sent +%s ms%s, SYN-ACK in +%s, ACK sent +%s (ESTABLISHED);"
	       " B ESTABLISHED +%s\n",
	       ms(t, t->seg.syn, m[0]), times(t->seg.syns, x), ms(t, t->seg.synack, m[1]),
	       ms(t, t->seg.ack, m[2]), ms(t, t->b_ready, m[3]));
}

static void report_transfer(const demo_tcp *t)
{
	const tern_tcp_info *i = &t->info;
	tern_time start = state_time(&t->sa, TERN_TCP_ESTABLISHED);
	double secs = t->last_byte != DT_NEVER && start != DT_NEVER
	                  ? (double)(t->last_byte - start) / 1e6
	                  : 0;
	printf("  transfer:  %zu bytes in %.3f s: %.2f Mbit/s goodput, %s\n", t->got, secs,
	       secs > 0 ? (double)t->got * 8 / secs / 1e6 : 0.0,
	       demo_tcp_ok(t) ? "intact (B's hash = A's)" : "DAMAGED or incomplete");
	printf("  recovery:  %" PRIu64 " of %" PRIu64 " segments resent: %" PRIu64
	       " fast retransmit%s, %" PRIu64 " timeout%s; srtt %.1f ms, rto %.0f ms\n",
	       i->retransmits, i->segs_out, t->ca.tcp_fast_retrans,
	       t->ca.tcp_fast_retrans == 1 ? "" : "s", t->ca.tcp_timeouts,
	       t->ca.tcp_timeouts == 1 ? "" : "s", (double)i->srtt / 1000.0,
	       (double)i->rto / 1000.0);
}

static void report_states(const char *who, const state_log *l, const demo_tcp *t)
{
	char m[24];
	int col = printf("             %s:", who);
	for (unsigned i = 0; i < l->n; i++) {
		if (l->state[i] != TERN_TCP_CLOSED && l->state[i] <= TERN_TCP_ESTABLISHED)
			continue; /* the opening is told above */
		col += printf("%s %s +%s", col > 17 ? "," : "", tern_tcp_state_name(l->state[i]),
		              ms(t, l->at[i], m));
	}
	printf(" ms\n");
}

static void report_close(const demo_tcp *t)
{
	char m[3][24], x[2][24];
	printf("  close:     FIN sent +%s ms%s, B's FIN in +%s%s, ACK sent +%s\n",
	       ms(t, t->seg.fin_a, m[0]), times(t->seg.fins_a, x[0]), ms(t, t->seg.fin_b, m[1]),
	       times(t->seg.fins_b, x[1]), ms(t, t->seg.ack_fin_b, m[2]));
	report_states("A", &t->sa, t);
	report_states("B", &t->sb, t);
}

static double secs(const demo_tcp *t, tern_time at)
{
	return (double)(at - t->t0) / 1e6;
}

/* The record's end is 2*MSL after A entered TIME-WAIT (the wheel may
 * fire it up to one 1 ms tick later). */
static void report_time_wait(const demo_tcp *t)
{
	char a[16], b[16];
	tern_time end = state_time(&t->sa, TERN_TCP_TIME_WAIT) + 2 * DEMO_TCP_MSL;
	printf("  time-wait: A keeps a record of %s:%u-%s:%u for 2*MSL = %.0f s, until +%.3f s\n",
	       tern_ip4_to_str(t->info.local.addr, a), t->info.local.port,
	       tern_ip4_to_str(t->info.remote.addr, b), t->info.remote.port,
	       2.0 * (double)DEMO_TCP_MSL / 1e6, secs(t, end));
	if (t->tw_listed == DT_NEVER || t->tw_gone == DT_NEVER)
		printf("             tern_tcp_walk: the record %s\n",
		       t->tw_listed == DT_NEVER ? "is missing" : "never expired");
	else
		printf("             tern_tcp_walk lists it at +%.3f s; at +%.3f s it is gone\n",
		       secs(t, t->tw_listed), secs(t, t->tw_gone));
}

void demo_tcp_report(const demo_tcp *t)
{
	char a[16], b[16];
	printf("tcp: A %s:%u sends %.1f MB to B %s:%u (%s); times from t = %.3f s, seen at A\n",
	       tern_ip4_to_str(t->info.local.addr, a), t->info.local.port, (double)t->size / 1e6,
	       tern_ip4_to_str(tern_sim_host_addr(t->b), b), t->port,
	       t->info.cc[0] ? t->info.cc : "?", (double)t->t0 / 1e6);
	if (!t->done) {
		printf("  did not finish within %.0f s: %zu of %zu bytes arrived\n",
		       (double)DT_LIMIT / 1e6, t->got, t->size);
		return;
	}
	report_open(t);
	report_transfer(t);
	report_close(t);
	report_time_wait(t);
}
