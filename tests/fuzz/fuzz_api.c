/* fuzz_api.c - the socket API: a fuzzer-chosen sequence of calls on two
 * stacks (A at 192.0.2.1, B at 192.0.2.2) wired back to back through a
 * simulated link the fuzzer also controls (1 ms delay; it may drop,
 * duplicate, reorder or corrupt the oldest packet in flight), with time
 * advancing on request and allocation failures injected on request.
 *
 * Input: records, each an op byte b and its arguments; side = b & 1 (the
 * stack the call is made on), op = (b >> 1) % 20:
 *   0 open TCP (slot)        1 open UDP (slot)     2 bind (slot, where)
 *   3 listen (slot, backlog) 4 connect (slot, where)
 *   5 accept (listener slot, slot)                 6 send (slot, how)
 *   7 sendto (slot, how)     8 recv (slot, how)    9 recvfrom (slot, how)
 *   10 shutdown (slot, how)  11 close (slot)       12 abort (slot)
 *   13 setopt (slot, opt, value)                   14 getopt (slot, opt)
 *   15 info, name and events of every socket       16 run the clock (t)
 *   17 link fault (f)        18 refuse allocations (n)
 *   19 misc (congestion control by name, source route, batches)
 * A slot is one of 8 socket handles per side; an op on an empty slot is
 * skipped. Invariants: every call returns 0, a count within what was asked,
 * or a TERN_E* code; readiness bits are the defined ones; counters only grow
 * and match what the link carried; packets sent are well-formed; and once
 * everything is closed and the link has run dry and 2*MSL has passed, each
 * stack holds exactly the memory it held when new, and none when deleted. */
#include "fuzz.h"

#define NSLOT 8
#define LINK_MAX 1024
#define LINK_DELAY TERN_MS(1)
#define MAX_RECORDS 1024
#define RUN_STEPS 4096
#define FINI_STEPS 200000
#define IDLE_LIMIT TERN_SEC(3 * 24 * 3600)

typedef struct side {
	fz_cap cap; /* first: the capture device */
	fz_alloc alloc;
	uint64_t seed;
	tern_stack *st;
	tern_iface *ifc;
	fz_ctr ctr;
	size_t base_live;
	uint32_t addr;
	tern_socket *sk[NSLOT];
	bool tcp[NSLOT];
	int batch;
} side;

typedef struct lpkt {
	uint8_t *data;
	size_t len;
	tern_time at;
	int to;
} lpkt;

typedef struct world {
	side s[2];
	lpkt q[LINK_MAX];
	size_t nq;
	tern_time now;
	uint64_t delivered, dropped;
} world;

static uint8_t pattern[1 << 18];
static uint8_t rbuf[1 << 17];

/* ---- the link -------------------------------------------------------------- */

static void link_take(world *w)
{
	for (int k = 0; k < 2; k++) {
		fz_cap *c = &w->s[k].cap;
		for (size_t i = 0; i < c->n; i++) {
			if (w->nq == LINK_MAX) {
				free(c->pkt[i].data);
				w->dropped++;
				continue;
			}
			lpkt *p = &w->q[w->nq++];
			p->data = c->pkt[i].data;
			p->len = c->pkt[i].len;
			p->at = w->now + LINK_DELAY;
			p->to = 1 - k;
		}
		c->n = 0;
	}
}

static void check_side(side *s)
{
	fz_ctr_check(&s->ctr, s->st, &s->cap);
}

static void deliver(world *w, size_t i)
{
	lpkt p = w->q[i];
	memmove(&w->q[i], &w->q[i + 1], (w->nq - i - 1) * sizeof w->q[0]);
	w->nq--;
	side *s = &w->s[p.to];
	s->ctr.inputs++;
	tern_stack_input(s->st, s->ifc, p.data, p.len, w->now);
	free(p.data);
	w->delivered++;
	link_take(w);
	check_side(s);
}

/* Advance to `until`, event by event: packet arrivals and each stack's
 * timers, at most `steps` events. */
static void run(world *w, tern_time until, int steps)
{
	for (int step = 0; step < steps; step++) {
		link_take(w);
		tern_time next = TERN_TIME_NEVER;
		size_t pick = SIZE_MAX;
		for (size_t i = 0; i < w->nq; i++) {
			if (w->q[i].at < next) {
				next = w->q[i].at;
				pick = i;
			}
		}
		for (int k = 0; k < 2; k++) {
			tern_time d = tern_stack_poll(w->s[k].st, w->now);
			if (d <= next) {
				next = d;
				pick = SIZE_MAX;
			}
		}
		link_take(w);
		if (next == TERN_TIME_NEVER || next > until) {
			w->now = until > w->now ? until : w->now;
			break;
		}
		if (next > w->now)
			w->now = next;
		if (pick != SIZE_MAX)
			deliver(w, pick);
		else
			for (int k = 0; k < 2; k++)
				tern_stack_poll(w->s[k].st, w->now);
	}
	for (int k = 0; k < 2; k++)
		tern_stack_poll(w->s[k].st, w->now);
	link_take(w);
}

static void fault(world *w, uint8_t f)
{
	if (!w->nq)
		return;
	lpkt *p = &w->q[0];
	switch (f & 3) {
	case 0: /* loss */
		free(p->data);
		memmove(&w->q[0], &w->q[1], (w->nq - 1) * sizeof w->q[0]);
		w->nq--;
		break;
	case 1: /* duplication */
		if (w->nq < LINK_MAX) {
			lpkt d = *p;
			d.data = malloc(p->len ? p->len : 1);
			FZ_CHECK(d.data != NULL);
			memcpy(d.data, p->data, p->len);
			w->q[w->nq++] = d;
		}
		break;
	case 2: { /* reordering: the oldest goes last, later */
		lpkt d = *p;
		memmove(&w->q[0], &w->q[1], (w->nq - 1) * sizeof w->q[0]);
		d.at += TERN_MS(5);
		w->q[w->nq - 1] = d;
		break;
	}
	default: /* corruption of one byte */
		if (p->len)
			p->data[(f >> 2) % p->len] ^= (uint8_t)(1u << ((f >> 5) & 7));
		break;
	}
}

/* ---- the calls ------------------------------------------------------------ */

static const uint16_t ports[8] = {0, 80, 81, 7, 443, 49152, 65535, 1};
static const int backlogs[8] = {0, 1, 2, 5, 65535, 65536, -1, 128};
static const size_t send_lens[8] = {0, 1, 100, 1460, 1461, 5000, 65536, 200000};
static const size_t udp_lens[8] = {0, 1, 100, 1472, 1473, 5000, 65507, 65508};
static const size_t caps[8] = {0, 1, 100, 1460, 4096, 65536, 65507, 1 << 17};
static const int opt_values[16] = {0, 1, -1, 2, 5, 60, 1024, 65536,
				   4096, 30000, 255, 127, 128, 1 << 20, -5, 32767};

static uint32_t where(const world *w, int k, uint8_t c)
{
	switch (c % 5) {
	case 0: return 0;
	case 1: return w->s[k].addr;
	case 2: return w->s[1 - k].addr;
	case 3: return TERN_IP4(192, 0, 2, 99); /* on the link, nobody there */
	default: return TERN_IP4(10, 0, 0, 1); /* no route */
	}
}

static void check_socket(tern_socket *s)
{
	FZ_CHECK((tern_socket_events(s) & ~(unsigned)FZ_EV_ALL) == 0);
	tern_endpoint l, r;
	FZ_CHECK(tern_socket_name(s, &l, &r) == 0);
	tern_tcp_info info;
	if (FZ_RC(tern_socket_info(s, &info)) == 0) {
		FZ_CHECK(info.state >= TERN_TCP_CLOSED && info.state <= TERN_TCP_TIME_WAIT);
		FZ_CHECK(info.unread <= (64u << 20) && info.unsent <= (64u << 20));
	}
}

static void walk_cb(const tern_tcp_info *info, void *ctx)
{
	(void)ctx;
	FZ_CHECK(info->state >= TERN_TCP_CLOSED && info->state <= TERN_TCP_TIME_WAIT);
}

static void close_slot(side *s, int slot, bool abortive)
{
	if (!s->sk[slot])
		return;
	FZ_CHECK(FZ_RC(abortive ? tern_socket_abort(s->sk[slot]) : tern_socket_close(s->sk[slot])) ==
		 0);
	s->sk[slot] = NULL;
}

static void op(world *w, uint8_t b, fz_in *in)
{
	int k = b & 1;
	side *s = &w->s[k];
	int slot = fz_u8(in) % NSLOT;
	tern_socket *so = s->sk[slot];
	switch ((b >> 1) % 20) {
	case 0:
	case 1: {
		close_slot(s, slot, false);
		tern_socket *n = NULL;
		int rc = FZ_RC((b >> 1) % 20 == 0 ? tern_tcp_open(s->st, &n) : tern_udp_open(s->st, &n));
		if (rc == 0) {
			FZ_CHECK(n != NULL);
			s->sk[slot] = n;
			s->tcp[slot] = (b >> 1) % 20 == 0;
		}
		break;
	}
	case 2: {
		uint8_t c = fz_u8(in);
		tern_endpoint l = {where(w, k, c), ports[(c >> 4) & 7]};
		if (so)
			FZ_RC(tern_socket_bind(so, &l));
		break;
	}
	case 3: {
		uint8_t c = fz_u8(in);
		if (so)
			FZ_RC(tern_socket_listen(so, backlogs[c & 7]));
		break;
	}
	case 4: {
		uint8_t c = fz_u8(in);
		tern_endpoint r = {where(w, k, c), ports[(c >> 4) & 7]};
		if (so)
			FZ_RC(tern_socket_connect(so, &r));
		break;
	}
	case 5: {
		int to = fz_u8(in) % NSLOT;
		tern_socket *n = NULL;
		tern_endpoint peer;
		if (so && FZ_RC(tern_socket_accept(so, &n, &peer)) == 0) {
			FZ_CHECK(n != NULL && peer.addr == w->s[1 - k].addr);
			if (to == slot)
				to = (to + 1) % NSLOT;
			close_slot(s, to, false);
			s->sk[to] = n;
			s->tcp[to] = true;
		}
		break;
	}
	case 6: {
		uint8_t c = fz_u8(in);
		size_t n = send_lens[c & 7];
		if (so)
			FZ_CHECK(FZ_RC(tern_socket_send(so, pattern, n, (c & 8) ? TERN_MSG_OOB : 0)) <=
				 (int)n);
		break;
	}
	case 7: {
		uint8_t c = fz_u8(in);
		size_t n = udp_lens[c & 7];
		tern_endpoint d = {where(w, k, c >> 3), ports[(c >> 5) & 7]};
		if (so) {
			int rc = FZ_RC(tern_socket_sendto(so, pattern, n, (c & 0x80) ? NULL : &d));
			FZ_CHECK(rc <= (int)n);
		}
		break;
	}
	case 8: {
		uint8_t c = fz_u8(in);
		size_t cap = caps[c & 7];
		if (so) {
			int rc = FZ_RC(tern_socket_recv(so, rbuf, cap, (c & 8) ? TERN_MSG_PEEK : 0));
			/* TCP fills at most cap; UDP says the datagram's whole length */
			FZ_CHECK(s->tcp[slot] ? rc <= (int)cap : rc <= 65507);
		}
		break;
	}
	case 9: {
		size_t cap = caps[fz_u8(in) & 7];
		tern_endpoint from;
		if (so) {
			int rc = FZ_RC(tern_socket_recvfrom(so, rbuf, cap, &from));
			FZ_CHECK(s->tcp[slot] ? rc <= (int)cap : rc <= 65507);
		}
		break;
	}
	case 10: {
		int how = fz_u8(in) % 5;
		if (so)
			FZ_RC(tern_socket_shutdown(so, how));
		break;
	}
	case 11:
		close_slot(s, slot, false);
		break;
	case 12:
		close_slot(s, slot, true);
		break;
	case 13: {
		uint8_t c = fz_u8(in);
		if (so)
			FZ_RC(tern_socket_setopt(so, c % 17, opt_values[c >> 4]));
		break;
	}
	case 14: {
		int v = 0;
		uint8_t c = fz_u8(in);
		if (so)
			FZ_RC(tern_socket_getopt(so, c % 17, &v));
		break;
	}
	case 15:
		for (int j = 0; j < 2; j++) {
			for (int i = 0; i < NSLOT; i++)
				if (w->s[j].sk[i])
					check_socket(w->s[j].sk[i]);
			tern_tcp_walk(w->s[j].st, walk_cb, NULL);
		}
		break;
	case 16: {
		uint8_t t = (uint8_t)slot | (uint8_t)(fz_u8(in) << 3);
		run(w, w->now + ((tern_time)1 << (t & 31)), RUN_STEPS);
		break;
	}
	case 17:
		fault(w, fz_u8(in));
		break;
	case 18: {
		uint8_t c = fz_u8(in);
		s->alloc.fail_at = (uint32_t)(c & 15) + 1;
		s->alloc.fail_n = (uint32_t)(c >> 4) % 4 + 1;
		break;
	}
	case 19: {
		uint8_t c = fz_u8(in);
		static const char *const names[4] = {"newreno", "cubic", "", "nope"};
		uint32_t hops[TERN_IP4_SR_MAX + 1] = {TERN_IP4(192, 0, 2, 7), TERN_IP4(192, 0, 2, 8)};
		switch (c & 3) {
		case 0:
			if (so)
				FZ_RC(tern_socket_set_cc(so, names[(c >> 2) & 3]));
			break;
		case 1:
			if (so)
				FZ_RC(tern_socket_set_source_route(so, hops, (c >> 2) % 11, c & 0x80));
			break;
		case 2:
			if (s->batch < 3) {
				tern_stack_batch_begin(s->st);
				s->batch++;
			}
			break;
		default:
			if (s->batch > 0) {
				tern_stack_batch_end(s->st);
				s->batch--;
			}
			break;
		}
		break;
	}
	}
	link_take(w);
	check_side(&w->s[0]);
	check_side(&w->s[1]);
}

/* ---- set-up and tear-down ---------------------------------------------- */

static void side_init(side *s, uint32_t addr, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	s->seed = seed;
	s->addr = addr;
	tern_config cfg;
	tern_config_init(&cfg);
	cfg.pkt_pool_count = 64;
	cfg.max_sockets = 12;
	cfg.tcp_max_conns = 8;
	cfg.tcp_max_time_wait = 4;
	cfg.udp_rcvq_max = 16384;
	cfg.reasm_max_datagrams = 4;
	FZ_CHECK(fz_stack_new(&cfg, &s->alloc, &s->seed, &s->cap, addr, 1500, &s->st, &s->ifc) == 0);
	s->base_live = s->alloc.live_bytes;
}

static void fini(world *w)
{
	for (int k = 0; k < 2; k++) {
		side *s = &w->s[k];
		while (s->batch > 0) {
			tern_stack_batch_end(s->st);
			s->batch--;
		}
		for (int i = 0; i < NSLOT; i++)
			close_slot(s, i, false);
	}
	link_take(w);
	run(w, w->now + IDLE_LIMIT, FINI_STEPS);
	tern_time next[2];
	for (int k = 0; k < 2; k++)
		next[k] = tern_stack_poll(w->s[k].st, w->now);
	link_take(w);
	if (next[0] != TERN_TIME_NEVER || next[1] != TERN_TIME_NEVER || w->nq) {
		fprintf(stderr, "fuzz invariant failed: not idle after everything closed: "
				"%zu packets in flight, deadlines %lld %lld us ahead\n",
			w->nq, (long long)(next[0] - w->now), (long long)(next[1] - w->now));
		abort();
	}
	for (int k = 0; k < 2; k++) {
		side *s = &w->s[k];
		if (s->alloc.live_bytes != s->base_live || s->st->pool.in_use) {
			fprintf(stderr, "fuzz invariant failed: side %d holds %zu bytes after "
					"everything closed and expired, %zu when new; %u pooled "
					"packets in use\n",
				k, s->alloc.live_bytes, s->base_live, s->st->pool.in_use);
			abort();
		}
		tern_stack_del(s->st);
		fz_cap_clear(&s->cap);
		FZ_CHECK(s->alloc.live_bytes == 0 && s->alloc.live_blocks == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static world w;
	fz_in in = {data, size};
	if (!pattern[1])
		for (size_t i = 0; i < sizeof pattern; i++)
			pattern[i] = (uint8_t)((i * 2654435761u) >> 11);
	memset(&w, 0, sizeof w);
	w.now = TERN_SEC(1);
	side_init(&w.s[0], TERN_IP4(192, 0, 2, 1), 0x1234567890abcdefull);
	side_init(&w.s[1], TERN_IP4(192, 0, 2, 2), 0xfedcba0987654321ull);
	for (int r = 0; r < MAX_RECORDS && fz_more(&in); r++)
		op(&w, fz_u8(&in), &in);
	fini(&w);
	return 0;
}
