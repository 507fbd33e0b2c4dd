/* tcp_conn.c - TCB lifecycle and the tables that find them: the connection
 * table (4-tuple hash, O(1) lookup), TIME-WAIT records (compact, apart from
 * the TCB), the bound-port table, ISNs (RFC 6528) and ephemeral ports
 * (RFC 6056). */
#include <stddef.h>
#include <string.h>

#include "core/siphash.h"
#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

const char *tern_tcp_state_name(int state)
{
	if (state < 0 || state > TERN_TCP_TIME_WAIT)
		return "?";
	return state_names[state];
}

static void tw_expire(tern_timer *t, tern_time now);

static bool pending_resize(tern_tcp *tcp, uint32_t cap);
#define PENDING_KEEP 256u

void tern_tcp_spare_hold(tern_tcp *tcp)
{
	if (!tern_timer_armed(&tcp->spare_timer))
		tern_timer_arm(&tcp->st->wheel, &tcp->spare_timer, tcp->st->now + TERN_SEC(1));
}

void tern_tcp_spares_free(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	tern_timer_cancel(&st->wheel, &tcp->spare_timer);
	tern_tcp_spare_ring_free(st);
	tern_mem_free(st, tcp->spare_tcb, sizeof *tcp->spare_tcb);
	tcp->spare_tcb = NULL;
	tern_mem_free(st, tcp->spare_sock, sizeof *tcp->spare_sock);
	tcp->spare_sock = NULL;
	tern_mem_free(st, tcp->spare_txq, tcp->spare_txq_bytes);
	tcp->spare_txq = NULL;
}

static void spares_expire(tern_timer *t, tern_time now)
{
	tern_tcp *tcp = (tern_tcp *)((char *)t - offsetof(tern_tcp, spare_timer));
	(void)now;
	tern_tcp_spares_free(tcp->st);
}

int tern_tcp_init(tern_stack *st)
{
	tern_tcp *tcp = tern_mem_alloc(st, sizeof *tcp);
	if (!tcp)
		return TERN_ENOMEM;
	memset(tcp, 0, sizeof *tcp);
	size_t bytes = TERN_TCP_HASH_MIN * sizeof *tcp->buckets;
	tcp->buckets = tern_mem_alloc(st, bytes);
	tcp->tw_buckets = tern_mem_alloc(st, TERN_TCP_HASH_MIN * sizeof *tcp->tw_buckets);
	if (!tcp->buckets || !tcp->tw_buckets) {
		tern_mem_free(st, tcp->buckets, bytes);
		tern_mem_free(st, tcp->tw_buckets, TERN_TCP_HASH_MIN * sizeof *tcp->tw_buckets);
		tern_mem_free(st, tcp, sizeof *tcp);
		return TERN_ENOMEM;
	}
	memset(tcp->buckets, 0, bytes);
	memset(tcp->tw_buckets, 0, TERN_TCP_HASH_MIN * sizeof *tcp->tw_buckets);
	tcp->nbuckets = TERN_TCP_HASH_MIN;
	for (int i = 0; i < 16; i++)
		tcp->key[i] = (uint8_t)(st->cfg.secret[i] ^ 0x5c);
	tern_timer_init(&tcp->tw_timer, tw_expire);
	tern_timer_init(&tcp->spare_timer, spares_expire);
	tcp->st = st;
	st->tcp = tcp;
	if (tern_tcp_ports_init(st) < 0 || !pending_resize(tcp, PENDING_KEEP)) {
		tern_tcp_free(st);
		return TERN_ENOMEM;
	}
	return 0;
}

static uint32_t tuple_hash(tern_tcp *tcp, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp);

/* Double both tables when they hold more entries than buckets. An
 * allocation failure just leaves the chains longer. */
static void maybe_grow(tern_tcp *tcp)
{
	tern_stack *st = tcp->st;
	uint32_t n = tcp->nbuckets;
	if (tcp->nconns + tcp->ntw <= n || n >= TERN_TCP_HASH_MAX)
		return;
	tern_tcb **nb = tern_mem_alloc(st, 2 * n * sizeof *nb);
	tern_tw **nt = tern_mem_alloc(st, 2 * n * sizeof *nt);
	if (!nb || !nt) {
		tern_mem_free(st, nb, 2 * n * sizeof *nb);
		tern_mem_free(st, nt, 2 * n * sizeof *nt);
		return;
	}
	memset(nb, 0, 2 * n * sizeof *nb);
	memset(nt, 0, 2 * n * sizeof *nt);
	tern_tcb **ob = tcp->buckets;
	tern_tw **ot = tcp->tw_buckets;
	tcp->buckets = nb;
	tcp->tw_buckets = nt;
	tcp->nbuckets = 2 * n;
	for (uint32_t b = 0; b < n; b++) {
		while (ob[b]) {
			tern_tcb *t = ob[b];
			ob[b] = t->hnext;
			uint32_t h = tuple_hash(tcp, t->local.addr, t->local.port, t->remote.addr,
						t->remote.port);
			t->hnext = nb[h];
			nb[h] = t;
		}
		while (ot[b]) {
			tern_tw *w = ot[b];
			ot[b] = w->hnext;
			uint32_t h = tuple_hash(tcp, w->laddr, w->lport, w->raddr, w->rport);
			w->hnext = nt[h];
			nt[h] = w;
		}
	}
	tern_mem_free(st, ob, n * sizeof *ob);
	tern_mem_free(st, ot, n * sizeof *ot);
}

/* A connection's 4-tuple is hashed when its SYN finds no TCB, again when
 * the TCB goes into the table, and when it leaves: the last tuple's hash
 * is remembered (unmasked, so it outlives a doubling of the table). */
static uint32_t tuple_hash(tern_tcp *tcp, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	struct tern_tuple_memo *m = &tcp->memo;
	if (!m->valid || m->la != la || m->ra != ra || m->lp != lp || m->rp != rp) {
		uint8_t k[12];
		tern_put32(k, la);
		tern_put32(k + 4, ra);
		tern_put16(k + 8, lp);
		tern_put16(k + 10, rp);
		*m = (struct tern_tuple_memo){la, ra, lp, rp, true,
					      (uint32_t)tern_siphash13(tcp->key, k, sizeof k)};
	}
	return m->hash & (tcp->nbuckets - 1);
}

tern_tcb *tern_tcb_new(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	if (tcp->nconns >= st->cfg.tcp_max_conns) {
		TERN_COUNT(st, tcp_conn_limit);
		return NULL;
	}
	tern_tcb *tcb = tcp->spare_tcb;
	tcp->spare_tcb = NULL;
	if (!tcb)
		tcb = tern_mem_alloc(st, sizeof *tcb);
	if (!tcb)
		return NULL;
	memset(tcb, 0, sizeof *tcb);
	tcb->st = st;
	tern_timer_init(&tcb->timer, tern_tcp_timer_fire);
	for (int k = 0; k < TCPT_COUNT; k++)
		tcb->dl[k] = TERN_TCP_DL_NEVER;
	tern_rtt_init(&tcb->rtt);
	tcb->rack.reo_wnd_mult = 1;  /* RFC 8985 6.1 */
	tcb->cc_id = 0;  /* tern_cc_default(), the registry's first */
	tcp->nconns++;
	return tcb;
}

void tern_tcb_hash(tern_tcb *tcb)
{
	tern_tcp *tcp = tcb->st->tcp;
	uint32_t h = tuple_hash(tcp, tcb->local.addr, tcb->local.port, tcb->remote.addr,
				tcb->remote.port);
	tcb->hnext = tcp->buckets[h];
	tcp->buckets[h] = tcb;
	tcb->hashed = true;
	tcp->last = tcb;  /* its next segment is likely the next to arrive */
	maybe_grow(tcp);
}

static void unhash(tern_tcb *tcb)
{
	if (!tcb->hashed)
		return;
	tern_tcp *tcp = tcb->st->tcp;
	if (tcp->last == tcb)
		tcp->last = NULL;
	uint32_t h = tuple_hash(tcp, tcb->local.addr, tcb->local.port, tcb->remote.addr,
				tcb->remote.port);
	for (tern_tcb **pp = &tcp->buckets[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == tcb) {
			*pp = tcb->hnext;
			break;
		}
	}
	tcb->hashed = false;
}

static bool tcb_is(const tern_tcb *t, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	return t->local.port == lp && t->remote.port == rp && t->local.addr == la &&
	       t->remote.addr == ra;
}

static tern_tcb *tcb_in(tern_tcb *t, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	for (; t; t = t->hnext)
		if (tcb_is(t, la, lp, ra, rp))
			return t;
	return NULL;
}

static tern_tw *tw_in(tern_tw *tw, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	for (; tw; tw = tw->hnext)
		if (tw->lport == lp && tw->rport == rp && tw->laddr == la && tw->raddr == ra)
			return tw;
	return NULL;
}

/* The table holds at most one TCB per 4-tuple (a connection is hashed
 * only after a lookup of its 4-tuple found none), so the last one found,
 * while still hashed, is what the table would give for its 4-tuple: the
 * segments of one connection tend to arrive together, and each one so
 * found costs no SipHash (BSD's one-entry PCB cache). */
static tern_tcb *cached(const tern_tcp *tcp, uint32_t la, uint16_t lp, uint32_t ra,
			uint16_t rp)
{
	return tcp->last && tcb_is(tcp->last, la, lp, ra, rp) ? tcp->last : NULL;
}

tern_tcb *tern_tcb_lookup(tern_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	tern_tcp *tcp = st->tcp;
	tern_tcb *t = cached(tcp, la, lp, ra, rp);
	return t ? t : tcb_in(tcp->buckets[tuple_hash(tcp, la, lp, ra, rp)], la, lp, ra, rp);
}

/* Both tables share their size and hash, so a segment's arrival hashes its
 * 4-tuple once to look in both. */
tern_tcb *tern_tcp_lookup(tern_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp,
			  tern_tw **tw)
{
	tern_tcp *tcp = st->tcp;
	tern_tcb *t = cached(tcp, la, lp, ra, rp);
	*tw = NULL;
	if (t)
		return t;
	uint32_t h = tuple_hash(tcp, la, lp, ra, rp);
	t = tcb_in(tcp->buckets[h], la, lp, ra, rp);
	if (t)
		tcp->last = t;
	else
		*tw = tw_in(tcp->tw_buckets[h], la, lp, ra, rp);
	return t;
}

/* Free everything; the TCB must be out of every table. */
static void unpend(tern_tcb *tcb)
{
	if (!tcb->pending)
		return;
	tern_tcp *tcp = tcb->st->tcp;
	for (uint32_t i = 0; i < tcp->npending; i++) {
		if (tcp->pending[i] == tcb) {  /* the others keep their order */
			memmove(&tcp->pending[i], &tcp->pending[i + 1],
				(tcp->npending - i - 1) * sizeof *tcp->pending);
			tcp->npending--;
			break;
		}
	}
	tcb->pending = false;
}

/* The answer-later array has PENDING_KEEP entries from the start, so that
 * ordinary batches allocate nothing; one grown larger for a big batch goes
 * back to that size at the end of it. */
static bool pending_resize(tern_tcp *tcp, uint32_t cap)
{
	tern_tcb **a = cap ? tern_mem_alloc(tcp->st, cap * sizeof *a) : NULL;
	if (cap && !a)
		return false;  /* counted in mem_alloc_fail */
	if (a && tcp->npending)
		memcpy(a, tcp->pending, tcp->npending * sizeof *a);
	tern_mem_free(tcp->st, tcp->pending, tcp->pending_cap * sizeof *a);
	tcp->pending = a;
	tcp->pending_cap = cap;
	return true;
}

void tern_tcp_output_soon(tern_tcb *tcb)
{
	tern_tcp *tcp = tcb->st->tcp;
	if (tcb->pending)
		return;
	/* outside a batch, or out of memory for the array: answer now */
	if (!tcb->st->batch_depth || (tcp->npending == tcp->pending_cap &&
				      !pending_resize(tcp, tcp->pending_cap ? 2 * tcp->pending_cap
									     : PENDING_KEEP))) {
		tern_tcp_output(tcb);
		return;
	}
	tcb->pending = true;
	tcp->pending[tcp->npending++] = tcb;
}

void tern_tcp_flush(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	for (int guard = 0; tcp->npending && guard < 1000000; guard++) {
		tern_tcb *tcb = tcp->pending[--tcp->npending];
		tcb->pending = false;
		if (tcb->state != TERN_TCP_CLOSED && tcb->state != TERN_TCP_TIME_WAIT)
			tern_tcp_output(tcb);
	}
	if (tcp->pending_cap > PENDING_KEEP && !tcp->npending) {
		pending_resize(tcp, 0);
		pending_resize(tcp, PENDING_KEEP);  /* or empty, if that fails */
	}
}

/* A source route (RFC 9293 3.9.1.9) is rare: it lives out of line so that
 * the 40 bytes are not in every TCB (issue 4: lean connections). */
bool tern_tcb_set_route(tern_tcb *tcb, const tern_ip4_srcroute *sr)
{
	if (!sr->n)
		return true;
	tern_ip4_srcroute *copy = tern_mem_alloc(tcb->st, sizeof *copy);
	if (!copy)
		return false;  /* counted in mem_alloc_fail; the caller fails the open */
	*copy = *sr;
	tcb->sr = copy;
	return true;
}

static void tcb_free(tern_tcb *tcb)
{
	tern_stack *st = tcb->st;
	unpend(tcb);
	if (tcb->sr)
		tern_mem_free(st, tcb->sr, sizeof *tcb->sr);
	tern_tcp_timer_clear_all(tcb);
	tern_sndbuf_free(st, &tcb->snd);
	tern_rcvbuf_free(st, &tcb->rcv);
	tern_rack_free(tcb);
	tern_loss_free(tcb);
	st->tcp->nconns--;
	/* Kept for the next connection rather than freed (a lifecycle would
	 * otherwise allocate and free one each). */
	if (!st->tcp->spare_tcb) {
		st->tcp->spare_tcb = tcb;
		tern_tcp_spare_hold(st->tcp);
		return;
	}
	tern_mem_free(st, tcb, sizeof *tcb);
}

void tern_tcb_notify(tern_tcb *tcb)
{
	if (tern_tcb_sock(tcb))
		tern_socket_notify(tern_tcb_sock(tcb));
	else if (tern_tcb_listener(tcb) && tcb->state == TERN_TCP_ESTABLISHED)
		tern_socket_notify(tern_tcb_listener(tcb));
}

void tern_tcb_soft_error(tern_tcb *tcb, int err)
{
	tcb->soft_err = err;
	tcb->soft_err_fresh = true;
	tern_tcb_notify(tcb);
}

/* CLOSED: out of the tables; freed now if no socket holds it, else when the
 * application closes the socket (it still has to see the error). */
static void enter_closed(tern_tcb *tcb)
{
	tcb->state = TERN_TCP_CLOSED;
	tern_tcp_timer_clear_all(tcb);
	unhash(tcb);
	if (tern_tcb_listener(tcb))
		tern_tcp_listener_forget(tern_tcb_listener(tcb), tcb);
	tern_sndbuf_free(tcb->st, &tcb->snd);
	if (tern_tcb_sock(tcb)) {
		tern_tcb_notify(tcb);
		return;
	}
	tcb_free(tcb);
}

void tern_tcb_set_state(tern_tcb *tcb, uint8_t state, const char *cause)
{
	uint8_t old = tcb->state;
	if (old == state)
		return;
	tern_trace_state(tcb, old, state, cause);
	if (state == TERN_TCP_CLOSED) {
		enter_closed(tcb);
		return;
	}
	tcb->state = state;
	if (state == TERN_TCP_ESTABLISHED && tern_tcb_listener(tcb) && !tern_tcb_sock(tcb))
		tern_tcp_listener_established(tern_tcb_listener(tcb), tcb);
	tern_tcb_notify(tcb);
}

/* The trace's word for why a connection ended (docs/TRACE.md). */
static const char *drop_cause(const tern_tcb *tcb, int err)
{
	switch (err) {
	case 0:
		return tcb->state == TERN_TCP_LAST_ACK ? "rcv ACK of FIN" : "rcv RST";
	case TERN_ECONNRESET:
	case TERN_ECONNREFUSED:
		return "rcv RST";
	case TERN_ETIMEDOUT:
		return "timeout";
	default:
		return "abort";
	}
}

void tern_tcb_drop(tern_tcb *tcb, int err)
{
	tcb->err = err;
	tern_tcb_set_state(tcb, TERN_TCP_CLOSED, drop_cause(tcb, err));
}

/* The application closed its socket. A TCB that is already out of the
 * tables (CLOSED, or TIME-WAIT kept for the socket) goes now; an orphan in
 * FIN-WAIT-2 gets the FIN-WAIT-2 limit. */
void tern_tcb_release(tern_tcb *tcb)
{
	tern_tcb_set_sock(tcb, NULL);
	if (tcb->state == TERN_TCP_CLOSED || tcb->state == TERN_TCP_TIME_WAIT) {
		tcb_free(tcb);
		return;
	}
	if (tcb->state == TERN_TCP_FIN_WAIT_2)
		tern_tcp_timer_set(tcb, TCPT_LINGER, tcb->st->now + tcb->st->cfg.tcp_fin_wait2);
}

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secret)
 * with M a timer ticking every 4 microseconds. */
uint64_t tern_tcp_conn_prf(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r)
{
	struct tern_prf_memo *m = &st->tcp->prf;
	if (m->valid && m->la == l->addr && m->lp == l->port && m->ra == r->addr &&
	    m->rp == r->port)
		return m->h;
	uint8_t k[12];
	tern_put32(k, l->addr);
	tern_put16(k + 4, l->port);
	tern_put32(k + 6, r->addr);
	tern_put16(k + 10, r->port);
	*m = (struct tern_prf_memo){l->addr, r->addr, l->port, r->port, true,
				    tern_siphash(st->cfg.secret, k, sizeof k)};
	return m->h;
}

uint32_t tern_tcp_isn(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r)
{
	return (uint32_t)(st->now / 4) + (uint32_t)tern_tcp_conn_prf(st, l, r);
}

/* ---- TIME-WAIT ----------------------------------------------------------- */

static void tw_link(tern_tcp *tcp, tern_tw *tw)
{
	uint32_t h = tuple_hash(tcp, tw->laddr, tw->lport, tw->raddr, tw->rport);
	tw->hnext = tcp->tw_buckets[h];
	tcp->tw_buckets[h] = tw;
	tw->next = NULL;
	tw->prev = tcp->tw_tail;
	if (tcp->tw_tail)
		tcp->tw_tail->next = tw;
	else
		tcp->tw_head = tw;
	tcp->tw_tail = tw;
	tcp->ntw++;
	maybe_grow(tcp);
}

static void tw_unlink(tern_tcp *tcp, tern_tw *tw)
{
	uint32_t h = tuple_hash(tcp, tw->laddr, tw->lport, tw->raddr, tw->rport);
	for (tern_tw **pp = &tcp->tw_buckets[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == tw) {
			*pp = tw->hnext;
			break;
		}
	}
	if (tw->prev)
		tw->prev->next = tw->next;
	else
		tcp->tw_head = tw->next;
	if (tw->next)
		tw->next->prev = tw->prev;
	else
		tcp->tw_tail = tw->prev;
	tcp->ntw--;
}

static void tw_arm(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	if (tcp->tw_head)
		tern_timer_arm(&st->wheel, &tcp->tw_timer, tcp->tw_head->expire);
	else
		tern_timer_cancel(&st->wheel, &tcp->tw_timer);
}

void tern_tw_free(tern_stack *st, tern_tw *tw)
{
	tw_unlink(st->tcp, tw);
	tern_mem_free(st, tw, sizeof *tw);
	tw_arm(st);
}

/* Every record lasts 2*MSL, so expiry order is creation order: one list and
 * one wheel timer serve them all; a restarted record moves to the tail. */
static void tw_expire(tern_timer *t, tern_time now)
{
	tern_tcp *tcp = (tern_tcp *)((char *)t - offsetof(tern_tcp, tw_timer));
	tern_stack *st = tcp->st;
	while (tcp->tw_head && tcp->tw_head->expire <= now) {
		tern_tw *tw = tcp->tw_head;
		if (TERN_TRACING(st))
			tern_trace_state_tuple_(st, tw->laddr, tw->lport, tw->raddr, tw->rport,
						TERN_TCP_TIME_WAIT, TERN_TCP_CLOSED, "2MSL");
		tw_unlink(tcp, tw);
		tern_mem_free(st, tw, sizeof *tw);
	}
	tw_arm(st);
}

void tern_tw_restart(tern_stack *st, tern_tw *tw)
{
	tw_unlink(st->tcp, tw);
	tw->expire = st->now + 2 * st->cfg.tcp_msl;
	tw_link(st->tcp, tw);
	tw_arm(st);
}

tern_tw *tern_tw_lookup(tern_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	tern_tcp *tcp = st->tcp;
	return tw_in(tcp->tw_buckets[tuple_hash(tcp, la, lp, ra, rp)], la, lp, ra, rp);
}

/* RFC 9293 3.6.1: TIME-WAIT holds the 4-tuple for 2*MSL. The TCB goes; what
 * answering a retransmitted FIN needs stays in a record of a few dozen
 * bytes. Over the TIME-WAIT limit the connection closes at once (counted),
 * as Linux does past tcp_max_tw_buckets. */
void tern_tcb_time_wait(tern_tcb *tcb)
{
	tern_stack *st = tcb->st;
	tern_tcp *tcp = st->tcp;
	tern_tw *tw = NULL;
	if (tcp->ntw < st->cfg.tcp_max_time_wait)
		tw = tern_mem_alloc(st, sizeof *tw);
	else
		TERN_COUNT(st, tcp_time_wait_limit);
	if (tw) {
		memset(tw, 0, sizeof *tw);
		tw->laddr = tcb->local.addr;
		tw->lport = tcb->local.port;
		tw->raddr = tcb->remote.addr;
		tw->rport = tcb->remote.port;
		tw->snd_nxt = tcb->snd_nxt;
		tw->rcv_nxt = tcb->rcv_nxt;
		tw->ts_ok = tcb->ts_ok;
		tw->ts_recent = tcb->ts_recent;
		tw->ts_offset = tcb->ts_offset;
		tw->expire = st->now + 2 * st->cfg.tcp_msl;
		tw_link(tcp, tw);
		tw_arm(st);
	}
	tern_tcp_timer_clear_all(tcb);
	unhash(tcb);
	if (tern_tcb_listener(tcb))
		tern_tcp_listener_forget(tern_tcb_listener(tcb), tcb);
	tern_sndbuf_free(st, &tcb->snd);
	const char *cause = tcb->state == TERN_TCP_FIN_WAIT_2 ? "rcv FIN" : "rcv ACK of FIN";
	tern_trace_state(tcb, tcb->state, TERN_TCP_TIME_WAIT, cause);
	if (!tw)
		tern_trace_state(tcb, TERN_TCP_TIME_WAIT, TERN_TCP_CLOSED, "time-wait limit");
	/* A socket still holding the TCB sees TIME-WAIT until it closes. */
	tcb->state = tw ? TERN_TCP_TIME_WAIT : TERN_TCP_CLOSED;
	if (tern_tcb_sock(tcb))
		tern_tcb_notify(tcb);
	else
		tcb_free(tcb);
}

/* ---- ports ---------------------------------------------------------------- */

/* RFC 6056 3.3.3 (algorithm 3): the search starts at a keyed hash of the
 * addresses and remote port plus a counter, so ports are hard to guess
 * off-path yet spread per destination. */
uint16_t tern_tcp_ephemeral(tern_stack *st, uint32_t laddr, const tern_endpoint *r)
{
	tern_tcp *tcp = st->tcp;
	uint8_t k[10];
	tern_put32(k, laddr);
	tern_put32(k + 4, r->addr);
	tern_put16(k + 8, r->port);
	uint32_t n = 65535u - 49152u + 1u;
	uint32_t off = (uint32_t)tern_siphash(st->cfg.secret, k, sizeof k);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(49152u + (off + tcp->eph_next + i) % n);
		if (tern_tcp_port_bound(st, NULL, laddr, port))
			continue;
		if (tern_tcb_lookup(st, laddr, port, r->addr, r->port) ||
		    tern_tw_lookup(st, laddr, port, r->addr, r->port))
			continue;
		tcp->eph_next += i + 1;
		return port;
	}
	return 0;
}

void tern_tcp_free(tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	if (!tcp)
		return;
	tcp->last = NULL;
	for (uint32_t b = 0; b < tcp->nbuckets; b++) {
		while (tcp->buckets[b]) {
			tern_tcb *t = tcp->buckets[b];
			tcp->buckets[b] = t->hnext;
			t->hashed = false;
			if (tern_tcb_sock(t))
				tern_tcb_sock(t)->tcb = NULL;
			tcb_free(t);
		}
	}
	while (tcp->tw_head) {
		tern_tw *tw = tcp->tw_head;
		tcp->tw_head = tw->next;
		tern_mem_free(st, tw, sizeof *tw);
	}
	tern_timer_cancel(&st->wheel, &tcp->tw_timer);
	tcp->npending = 0;
	pending_resize(tcp, 0);
	tern_tcp_spares_free(st);
	tern_tcp_ports_free(st);
	tern_mem_free(st, tcp->buckets, tcp->nbuckets * sizeof *tcp->buckets);
	tern_mem_free(st, tcp->tw_buckets, tcp->nbuckets * sizeof *tcp->tw_buckets);
	tern_mem_free(st, tcp, sizeof *tcp);
	st->tcp = NULL;
}
